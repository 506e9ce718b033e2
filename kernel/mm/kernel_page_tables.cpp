#include "kernel/mm/kernel_page_tables.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/cpu.h"
#include "kernel/log.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/panic.h"
#include "kernel/smp_call.h"
#include "kernel/sync/guards.h"
#include "libk/new.h"
#include "libk/string.h"

extern "C" const char __text_start[], __text_end[];
extern "C" const char __rodata_start[], __rodata_end[];
extern "C" const char __data_start[], __data_end[];
extern "C" const char boot_stack_guard[];

namespace mm {

namespace {

// Page-table pages are reached through the direct map, which the boot
// tables already provide for the first 4 GiB (where boot memory takes its
// early table frames) and the new tables provide for everything.
class DirectMapAccess final : public PhysMemoryAccess {
public:
    void* table_pointer(PhysAddr table) override { return phys_to_virt(table); }
};

// Before the buddy allocator exists, tables come from boot memory (below
// 4 GiB, so the boot tables' direct map reaches them); afterwards from the
// buddy allocator. Boot-time tables are never freed: they map the kernel
// for its whole life.
class KernelTableFrames final : public TableFrameAllocator {
public:
    explicit KernelTableFrames(BootMemory* boot) : boot_(boot) {}
    k::Result<PhysAddr> allocate_table() override {
        if (boot_ != nullptr) return boot_->allocate(kPageSize, kPageSize, uint64_t{4} << 30);
        Page* page = allocate_pages(0);
        if (page == nullptr) return k::error(k::Errno::enomem);
        return page_to_phys(page);
    }
    void free_table(PhysAddr table) override {
        Page* page = phys_to_page(table);
        if (boot_ == nullptr && page != nullptr && !page->has(PageFlag::Reserved)) free_pages(page, 0);
    }
    void switch_to_buddy() { boot_ = nullptr; }

private:
    BootMemory* boot_;
};

// INVLPG drops one translation (of any page size: Intel SDM Vol. 3A
// §4.10.4.1) and the paging-structure caches for it. Flushing everything
// must include global entries, which a CR3 write keeps: toggle CR4.PGE.
// Kernel mappings are shared by every CPU, so a change is also shot down
// on the others (kernel/smp_call.cpp) before the mapper call returns.
class KernelTlb final : public TlbInvalidator {
public:
    void invalidate(uint64_t virt, PageSize size) override {
        arch::invlpg(virt);
        if (kernel::cpu_count() > 1) kernel::tlb_shootdown(virt, page_size_bytes(size));
    }
    void invalidate_all() override {
        uint64_t cr4 = arch::read_cr4();
        if (cr4 & arch::kCr4Pge) {
            arch::write_cr4(cr4 & ~arch::kCr4Pge);
            arch::write_cr4(cr4);
        } else {
            arch::write_cr3(arch::read_cr3());
        }
        if (kernel::cpu_count() > 1) kernel::tlb_shootdown(0, ~uint64_t{0});
    }
};

DirectMapAccess direct_map_access;
KernelTableFrames* table_frames;
KernelTlb kernel_tlb;
PageTableMapper* mapper;
ksync::SpinLock mapper_lock;
KernelMapper locked_mapper;

// The kernel mapper's lock for one call: preemption off so the holder
// cannot be switched out while others spin.
class MapperGuard {
public:
    MapperGuard() { mapper_lock.lock(); }
    ~MapperGuard() { mapper_lock.unlock(); }

private:
    kernel::PreemptDisabled preempt_;
};
alignas(KernelTableFrames) unsigned char table_frames_storage[sizeof(KernelTableFrames)];
alignas(PageTableMapper) unsigned char mapper_storage[sizeof(PageTableMapper)];

void map_or_panic(k::Result<void> result, const char* what) {
    if (!result.ok()) kernel::panic("mm: cannot map %s: %s", what, k::errno_name(result.error()));
}

uint64_t image_phys(const char* symbol) { return image_virt_to_phys(symbol); }

void map_image_section(const char* start, const char* end, PageProt prot, const char* what) {
    uint64_t length = reinterpret_cast<uint64_t>(end) - reinterpret_cast<uint64_t>(start);
    map_or_panic(mapper->map_range(reinterpret_cast<uint64_t>(start), image_phys(start), length, prot, PageSize::k4K),
                 what);
}

}  // namespace

PageSize direct_map_page_size() {
    return arch::cpu_features().huge_1g_pages ? PageSize::k1G : PageSize::k2M;
}

void kernel_page_tables_init(BootMemory& boot_memory, const k::BootInfo& info) {
    table_frames = new (table_frames_storage) KernelTableFrames(&boot_memory);
    auto root = table_frames->allocate_table();
    if (!root.ok()) kernel::panic("mm: no memory for the kernel's page tables");
    memset(phys_to_virt(root.value()), 0, kPageSize);
    mapper = new (mapper_storage) PageTableMapper(root.value(), direct_map_access, *table_frames, kernel_tlb);

    const bool nx = arch::cpu_features().no_execute;
    const bool global = arch::cpu_features().global_pages;
    // Direct map: all RAM, and at least the low 4 GiB, where the firmware
    // puts the local APIC, I/O APIC, HPET and usually the framebuffer.
    // MTRRs keep those MMIO ranges uncached whatever the page tables say.
    const PageSize huge = direct_map_page_size();
    const uint64_t huge_bytes = page_size_bytes(huge);
    uint64_t direct_end = k::max(boot_memory.highest_end(), uint64_t{4} << 30);
    // RAM the firmware keeps (ACPI tables and NVS) may lie above the last
    // usable byte; plain "reserved" ranges far above (PCI windows, up to
    // 1 TiB on QEMU) are device space and stay out of the direct map.
    for (size_t i = 0; i < info.memory_region_count; ++i) {
        const k::MemoryRegion& region = info.memory_regions[i];
        if (region.type == k::MemoryType::AcpiReclaimable || region.type == k::MemoryType::AcpiNvs) {
            direct_end = k::max(direct_end, region.base + region.length);
        }
    }
    direct_end = k::align_up(direct_end, huge_bytes);
    if (direct_end > kDirectMapSize) direct_end = kDirectMapSize;
    PageProt data{.writable = true, .user = false, .executable = !nx, .global = global, .uncached = false};
    map_or_panic(mapper->map_range(kDirectMapBase, 0, direct_end, data, huge), "the direct map");
    // A framebuffer above the direct map's end (large PCI BARs on UEFI
    // machines) gets mapped at its direct-map address too.
    if (info.framebuffer.present) {
        uint64_t fb_start = k::align_down(info.framebuffer.phys_address, kPageSize);
        uint64_t fb_end = k::align_up(info.framebuffer.phys_address +
                                          uint64_t{info.framebuffer.pitch} * info.framebuffer.height, kPageSize);
        if (fb_end > direct_end && fb_end <= kDirectMapSize) {
            fb_start = k::max(fb_start, direct_end);
            map_or_panic(mapper->map_range(kDirectMapBase + fb_start, fb_start, fb_end - fb_start, data,
                                           PageSize::k2M),
                         "the framebuffer");
        }
    }

    // The kernel image, section by section (linker.ld aligns them to pages).
    PageProt text{.writable = false, .user = false, .executable = true, .global = global, .uncached = false};
    PageProt rodata{.writable = false, .user = false, .executable = !nx, .global = global, .uncached = false};
    map_image_section(__text_start, __text_end, text, "kernel text");
    map_image_section(__rodata_start, __rodata_end, rodata, "kernel rodata");
    map_image_section(__data_start, __data_end, data, "kernel data");
    // The boot stack's guard page: unmapped, so an overflow faults.
    map_or_panic(mapper->unmap(reinterpret_cast<uint64_t>(boot_stack_guard), kPageSize), "the boot stack guard");
    // The image's text and rodata are also reachable through the direct
    // map; make that alias read-only too, so no mapping lets code be written.
    uint64_t ro_phys = image_phys(__text_start);
    uint64_t ro_length = image_phys(__rodata_end) - ro_phys;
    map_or_panic(mapper->protect(kDirectMapBase + ro_phys, ro_length, rodata), "the image alias read-only");

    // Every user address space copies the higher half of this root: give
    // each of its 256 entries a table now, so that nothing the kernel maps
    // later needs a new root entry.
    map_or_panic(mapper->pin_root_links(kDirectMapBase, ~uint64_t{0}), "the kernel's root entries");

    arch::write_cr3(root.value());
    log_info("mm: kernel page tables at 0x%lx; direct map of %lu GiB with %s pages%s", root.value(),
             direct_end >> 30, huge == PageSize::k1G ? "1 GiB" : "2 MiB", nx ? ", NX on" : ", no NX on this CPU");
}

void kernel_page_tables_use_buddy() { table_frames->switch_to_buddy(); }

KernelMapper& kernel_mapper() { return locked_mapper; }

PhysAddr kernel_root_table() { return mapper->root(); }
PhysMemoryAccess& direct_map_table_access() { return direct_map_access; }

k::Result<void> KernelMapper::map(uint64_t virt, PhysAddr phys, PageSize size, PageProt prot) {
    MapperGuard guard;
    return mapper->map(virt, phys, size, prot);
}
k::Result<void> KernelMapper::map_range(uint64_t virt, PhysAddr phys, uint64_t length, PageProt prot,
                                        PageSize largest) {
    MapperGuard guard;
    return mapper->map_range(virt, phys, length, prot, largest);
}
k::Result<void> KernelMapper::unmap(uint64_t virt, uint64_t length) {
    MapperGuard guard;
    return mapper->unmap(virt, length);
}
k::Result<void> KernelMapper::protect(uint64_t virt, uint64_t length, PageProt prot) {
    MapperGuard guard;
    return mapper->protect(virt, length, prot);
}
k::Result<Translation> KernelMapper::translate(uint64_t virt) {
    MapperGuard guard;
    return mapper->translate(virt);
}

}  // namespace mm
