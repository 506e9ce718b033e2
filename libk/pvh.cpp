// PVH hvm_start_info -> BootInfo. See libk/pvh.h for the format and the
// contract.
#include "libk/pvh.h"

#include "libk/string.h"
#include "libk/utility.h"

namespace k {
namespace {

using namespace pvh;

// ACPI 6.5, 5.2.5.3: the RSDP starts with this signature, and byte 15 is its
// revision (0 = ACPI 1.0, 20 bytes; 2 = ACPI 2.0+, 36 bytes).
constexpr char kRsdpSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
constexpr size_t kRsdpV1Size = 20;
constexpr size_t kRsdpV2Size = 36;
constexpr size_t kRsdpRevisionOffset = 15;


template <typename T> bool read_struct(PhysReader& reader, uint64_t phys, T& dest) {
    return read_phys_bytes(reader, phys, &dest, sizeof(T));
}

// Reads element `index` of an array of T at physical address `base`; false
// also when the element's address would wrap.
template <typename T> bool read_element(PhysReader& reader, uint64_t base, uint32_t index, T& dest) {
    uint64_t offset = uint64_t{index} * sizeof(T);
    if (offset > UINT64_MAX - base) return false;
    return read_struct(reader, base + offset, dest);
}

enum class StringRead { Complete, Truncated, Unreadable };

// Reads the NUL-terminated string at `phys` into dest, keeping at most
// capacity - 1 characters. One byte at a time: the string's length is unknown
// until its NUL, and asking for more bytes than it has could reach past the
// end of readable memory and fail a perfectly good string.
StringRead read_string(PhysReader& reader, uint64_t phys, char* dest, size_t capacity) {
    size_t length = 0;
    StringRead result = StringRead::Truncated;
    // Examine one byte more than fits: if it is the NUL, nothing was lost.
    for (size_t i = 0; i < capacity; i++) {
        char c;
        if (i > UINT64_MAX - phys || !read_phys_bytes(reader, phys + i, &c, 1)) {
            result = StringRead::Unreadable;
            break;
        }
        if (c == '\0') {
            result = StringRead::Complete;
            break;
        }
        if (i + 1 < capacity) dest[length++] = c;
    }
    dest[length] = '\0';
    return result;
}

void report_string(BootInfo& out, StringRead result, const char* truncated_message,
                   const char* unreadable_message, uint64_t phys) {
    if (result == StringRead::Truncated) out.warn(truncated_message, phys);
    if (result == StringRead::Unreadable) out.warn(unreadable_message, phys);
}

void parse_modules(const StartInfo& info, PhysReader& reader, BootInfo& out) {
    if (info.nr_modules == 0) return;
    if (info.modlist_paddr == 0) {
        out.warn("pvh: modules announced but modlist_paddr is 0; count", info.nr_modules);
        return;
    }
    // nr_modules comes from outside: read no more entries than we can keep,
    // so a garbage count costs nothing.
    uint32_t to_read = k::min<uint32_t>(info.nr_modules, BootInfo::kMaxModules);
    if (info.nr_modules > to_read) out.warn("pvh: too many modules; dropped", info.nr_modules - to_read);
    for (uint32_t i = 0; i < to_read; i++) {
        ModlistEntry entry;
        if (!read_element(reader, info.modlist_paddr, i, entry)) {
            out.warn("pvh: module list unreadable; stopped at entry", i);
            return;
        }
        if (entry.size > UINT64_MAX - entry.paddr) {
            out.warn("pvh: module wraps past 2^64; ignored, address", entry.paddr);
            continue;
        }
        BootModule* module = out.add_module(entry.paddr, entry.paddr + entry.size);
        if (module == nullptr) return;  // cannot happen: to_read is bounded by kMaxModules
        if (entry.cmdline_paddr != 0) {
            StringRead result =
                read_string(reader, entry.cmdline_paddr, module->cmdline, BootModule::kCmdlineCapacity);
            report_string(out, result, "pvh: module command line truncated; at",
                          "pvh: module command line unreadable; at", entry.cmdline_paddr);
        }
    }
}

// The start info gives only the RSDP's address; copying the bytes too means
// the ACPI code finds the same thing whichever loader ran.
void parse_rsdp(uint64_t rsdp_paddr, PhysReader& reader, BootInfo& out) {
    AcpiRsdpInfo& rsdp = out.acpi_rsdp;
    rsdp.source = RsdpSource::Pvh;
    rsdp.has_phys_address = true;
    rsdp.phys_address = rsdp_paddr;
    uint8_t bytes[kRsdpV2Size];
    if (!read_phys_bytes(reader, rsdp_paddr, bytes, kRsdpV1Size)) {
        out.warn("pvh: RSDP unreadable; address kept", rsdp_paddr);
        return;
    }
    if (memcmp(bytes, kRsdpSignature, sizeof(kRsdpSignature)) != 0) {
        out.warn("pvh: no RSDP signature at rsdp_paddr; address kept", rsdp_paddr);
        return;
    }
    size_t length = kRsdpV1Size;
    if (bytes[kRsdpRevisionOffset] >= 2) {
        if (read_phys_bytes(reader, rsdp_paddr, bytes, kRsdpV2Size)) {
            length = kRsdpV2Size;
        } else {
            out.warn("pvh: ACPI 2.0 RSDP unreadable past 20 bytes; at", rsdp_paddr);
        }
    }
    memcpy(rsdp.bytes, bytes, length);
    rsdp.length = static_cast<uint8_t>(length);
    rsdp.revision = bytes[kRsdpRevisionOffset];
}

void parse_memory_map(const StartInfo& info, PhysReader& reader, BootInfo& out) {
    if (info.memmap_entries == 0 || info.memmap_paddr == 0) {
        out.warn("pvh: no memory map; entries", info.memmap_entries);
        return;
    }
    uint32_t to_read = k::min<uint32_t>(info.memmap_entries, BootInfo::kMaxMemoryRegions);
    if (info.memmap_entries > to_read) {
        out.warn("pvh: memory map too long; regions dropped", info.memmap_entries - to_read);
    }
    for (uint32_t i = 0; i < to_read; i++) {
        MemmapEntry entry;
        if (!read_element(reader, info.memmap_paddr, i, entry)) {
            out.warn("pvh: memory map unreadable; stopped at entry", i);
            return;
        }
        uint64_t length = entry.size;
        if (length > UINT64_MAX - entry.addr) {
            // Clamped, as in the Multiboot2 parser, so base + length fits.
            out.warn("pvh: memory region wraps past 2^64; clamped, base", entry.addr);
            length = UINT64_MAX - entry.addr;
        }
        out.add_memory_region(entry.addr, length, memory_type_from_e820(entry.type));
    }
}

}  // namespace

Result<void> parse_pvh(uint64_t start_info_phys, PhysReader& reader, BootInfo& out) {
    out.clear();
    out.protocol = BootProtocol::Pvh;

    // Read only the version-0 part first: a version-0 start info may end
    // right there, at the edge of readable memory.
    StartInfo info{};
    if (!read_phys_bytes(reader, start_info_phys, &info, kStartInfoV0Size)) {
        out.warn("pvh: start info unreadable; at", start_info_phys);
        return error(Errno::efault);
    }
    if (info.magic != kStartInfoMagic) {
        out.warn("pvh: bad start info magic", info.magic);
        return error(Errno::einval);
    }
    bool has_memory_map = false;
    if (info.version == 0) {
        out.warn("pvh: start info version 0 has no memory map", 0);
    } else if (read_struct(reader, start_info_phys, info)) {
        // Later versions promise to keep version 1's layout as a prefix.
        has_memory_map = true;
    } else {
        out.warn("pvh: start info version 1 fields unreadable; version", info.version);
    }

    if (info.cmdline_paddr != 0) {
        StringRead result = read_string(reader, info.cmdline_paddr, out.cmdline, BootInfo::kCmdlineCapacity);
        report_string(out, result, "pvh: command line truncated to 1023 bytes; at",
                      "pvh: command line unreadable; at", info.cmdline_paddr);
    }
    parse_modules(info, reader, out);
    if (info.rsdp_paddr != 0) parse_rsdp(info.rsdp_paddr, reader, out);
    if (has_memory_map) parse_memory_map(info, reader, out);
    return {};
}

}  // namespace k
