#include "kernel/boot_info.h"

#include "kernel/log.h"
#include "kernel/mm/layout.h"
#include "libk/multiboot2.h"
#include "libk/pvh.h"

namespace kernel {

namespace {

k::BootInfo info;
k::CommandLine cmdline;

// Until the kernel's own page tables exist, only the boot tables' direct
// map of the first 4 GiB reaches physical memory. Loaders put their
// structures there; anything beyond is refused, not read.
constexpr uint64_t kBootMappedLimit = uint64_t{4} << 30;

class BootPhysReader final : public k::PhysReader {
public:
    const void* read(uint64_t phys, size_t length) override {
        if (phys >= kBootMappedLimit || length > kBootMappedLimit - phys) return nullptr;
        return mm::phys_to_virt(phys);
    }
};

const char* memory_type_name(k::MemoryType type) {
    switch (type) {
        case k::MemoryType::Usable: return "usable";
        case k::MemoryType::Reserved: return "reserved";
        case k::MemoryType::AcpiReclaimable: return "ACPI reclaimable";
        case k::MemoryType::AcpiNvs: return "ACPI NVS";
        case k::MemoryType::BadMemory: return "bad";
    }
    return "?";
}

}  // namespace

void boot_info_init(unsigned protocol, uint64_t info_phys) {
    info.clear();
    k::Result<void> parsed = k::error(k::Errno::einval);
    if (protocol == 1) {
        if (info_phys < kBootMappedLimit) {
            parsed = k::parse_multiboot2(mm::phys_to_virt(info_phys), kBootMappedLimit - info_phys, info);
        }
    } else if (protocol == 2) {
        BootPhysReader reader;
        parsed = k::parse_pvh(info_phys, reader, info);
    } else {
        log_error("boot: started by an unknown loader (no Multiboot2 magic in EAX, no PVH entry)");
    }
    if (!parsed.ok()) {
        log_error("boot: cannot read the boot information at 0x%lx: %s", info_phys, k::errno_name(parsed.error()));
    }
    cmdline.parse(k::StringView(info.cmdline));
}

const k::BootInfo& boot_info() { return info; }
const k::CommandLine& command_line() { return cmdline; }

void log_boot_info() {
    log_info("boot: %s%s%s, command line \"%s\"",
             info.protocol == k::BootProtocol::Multiboot2 ? "Multiboot2"
             : info.protocol == k::BootProtocol::Pvh      ? "PVH"
                                                          : "unknown protocol",
             info.bootloader_name[0] ? " from " : "", info.bootloader_name, info.cmdline);
    for (uint32_t i = 0; i < info.memory_region_count; ++i) {
        const k::MemoryRegion& r = info.memory_regions[i];
        log_debug("boot: memory 0x%016lx-0x%016lx %s", r.base, r.base + r.length, memory_type_name(r.type));
    }
    for (uint32_t i = 0; i < info.module_count; ++i) {
        const k::BootModule& m = info.modules[i];
        log_info("boot: module 0x%lx-0x%lx (%lu KiB) \"%s\"", m.phys_start, m.phys_end,
                 (m.phys_end - m.phys_start) >> 10, m.cmdline);
    }
    if (info.framebuffer.present) {
        log_info("boot: framebuffer %ux%u, %u bpp, pitch %u at 0x%lx", info.framebuffer.width, info.framebuffer.height,
                 info.framebuffer.bpp, info.framebuffer.pitch, info.framebuffer.phys_address);
    }
    if (info.acpi_rsdp.source != k::RsdpSource::None) {
        log_info("boot: ACPI RSDP revision %u (%s)", info.acpi_rsdp.revision,
                 info.acpi_rsdp.source == k::RsdpSource::Pvh ? "address from PVH" : "copy from Multiboot2");
    } else {
        log_warn("boot: no ACPI RSDP from the loader");
    }
    if (info.efi.has_memory_map) {
        log_info("boot: EFI memory map with %u descriptors", info.efi.descriptors_in_map);
    }
    for (uint32_t i = 0; i < info.warning_count; ++i) {
        log_warn("boot: %s (0x%lx)", info.warnings[i].message, info.warnings[i].value);
    }
    if (info.memory_region_count == 0) log_error("boot: the loader gave no memory map");
}

}  // namespace kernel
