#pragma once
// BootInfo: everything the kernel learns from whoever loaded it, in one shape.
//
// The kernel has two ways in (see docs/ARCHITECTURE.md): GRUB hands over a
// Multiboot2 information structure (libk/multiboot2.h), QEMU's `-kernel` PVH
// boot hands over a Xen `hvm_start_info` (libk/pvh.h). Each parser translates
// its format into this structure, and nothing after the parsers needs to know
// which loader ran.
//
// The kernel fills this in before it has a heap, so every list has a fixed
// capacity and nothing here allocates. When a list is full the parser keeps
// what fits and records a warning; it never fails the boot over it.
//
// A BootInfo is a plain aggregate whose all-zero state means "nothing known":
// a `static BootInfo` in .bss is ready to use, and the parsers start by
// calling clear().
#include <stddef.h>
#include <stdint.h>

#include "libk/string.h"

namespace k {

enum class BootProtocol : uint8_t {
    None = 0,    // not filled in yet
    Multiboot2,  // GRUB 2, BIOS or UEFI
    Pvh,         // Xen PVH entry: QEMU -kernel, other VMMs
};

// The E820 memory types (ACPI 6.5, section 15 "System Address Map
// Interfaces"), which both Multiboot2 and PVH use for their memory maps.
enum class MemoryType : uint8_t {
    Usable = 1,           // E820 1: free RAM
    Reserved = 2,         // E820 2, and every type we do not know: never touch
    AcpiReclaimable = 3,  // E820 3: ACPI tables; RAM once they have been read
    AcpiNvs = 4,          // E820 4: firmware keeps state here across sleep
    BadMemory = 5,        // E820 5: RAM that failed the firmware's test
};

// Anything unknown is Reserved: using memory we do not understand could
// overwrite firmware or a device, while ignoring it only costs capacity.
constexpr MemoryType memory_type_from_e820(uint32_t e820_type) {
    switch (e820_type) {
    case 1: return MemoryType::Usable;
    case 3: return MemoryType::AcpiReclaimable;
    case 4: return MemoryType::AcpiNvs;
    case 5: return MemoryType::BadMemory;
    default: return MemoryType::Reserved;
    }
}

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    MemoryType type;
};

// A boot module (the initrd is one): a range of physical memory the loader
// filled with a file, plus the words that followed the file name.
struct BootModule {
    static constexpr size_t kCmdlineCapacity = 128;  // including the NUL
    uint64_t phys_start;
    uint64_t phys_end;  // exclusive: phys_end - phys_start is the module's size
    char cmdline[kCmdlineCapacity];
};

// The numbering is Multiboot2's framebuffer_type (Multiboot2 spec, 3.6.12).
enum class FramebufferType : uint8_t {
    Indexed = 0,  // a palette (not copied here: text consoles do not use it)
    Rgb = 1,      // direct colour, described by the shift/size fields
    EgaText = 2,  // 80x25-style text mode; width and height count characters
};

struct FramebufferInfo {
    bool present;
    FramebufferType type;
    uint8_t bpp;
    uint64_t phys_address;
    uint32_t pitch;  // bytes per line; may exceed width * bpp / 8
    uint32_t width;
    uint32_t height;
    // Direct colour only (type Rgb): a pixel's red value is
    // (pixel >> red_shift) & ((1 << red_size) - 1), and so on.
    uint8_t red_shift, red_size;
    uint8_t green_shift, green_size;
    uint8_t blue_shift, blue_size;
};

// Where the ACPI root pointer came from. GRUB copies the RSDP into the
// information structure (from ACPI 1.0, tag 14, or 2.0+, tag 15); PVH gives
// its physical address.
enum class RsdpSource : uint8_t {
    None = 0,
    Multiboot2AcpiOld,  // tag 14: the 20-byte ACPI 1.0 RSDP
    Multiboot2AcpiNew,  // tag 15: the 36-byte ACPI 2.0+ RSDP (preferred: it has the XSDT)
    Pvh,                // hvm_start_info.rsdp_paddr
};

struct AcpiRsdpInfo {
    static constexpr size_t kMaxBytes = 36;  // ACPI 6.5, 5.2.5.3: the 2.0+ RSDP
    RsdpSource source;
    uint8_t revision;      // byte 15 of the RSDP: 0 for ACPI 1.0, 2 for 2.0 and later
    uint8_t length;        // bytes copied into `bytes`: 0 (none), 20 or 36
    uint8_t bytes[kMaxBytes];
    bool has_phys_address;
    uint64_t phys_address;  // where the RSDP itself lives (PVH only)
};

// One UEFI memory descriptor, reduced to what the kernel uses (UEFI 2.10,
// 7.2 EFI_BOOT_SERVICES.GetMemoryMap(); pages are always 4 KiB there).
struct EfiMemoryRange {
    uint32_t type;  // EFI_MEMORY_TYPE: 7 is EfiConventionalMemory, ...
    uint64_t phys_start;
    uint64_t page_count;
};

struct EfiInfo {
    static constexpr size_t kMaxDescriptors = 256;
    bool has_memory_map;
    uint32_t descriptor_size;     // as the firmware reported it (>= 40)
    uint32_t descriptor_version;  // EFI_MEMORY_DESCRIPTOR_VERSION (1)
    uint32_t descriptors_in_map;  // how many the map held
    uint32_t descriptor_count;    // how many were copied into `descriptors`
    EfiMemoryRange descriptors[kMaxDescriptors];
    bool has_system_table64;
    uint64_t system_table64;  // physical address of EFI_SYSTEM_TABLE
    // GRUB left the boot services running (Multiboot2 tag 18): the kernel,
    // not the loader, must call ExitBootServices().
    bool boot_services_active;
};

// A problem a parser noticed but survived: a fixed message plus the value
// that explains it (an offset, a size, a count).
struct BootWarning {
    const char* message;  // a string literal; never freed
    uint64_t value;
};

// Copies at most capacity - 1 bytes of src (src_length bytes long, not
// necessarily NUL-terminated) into dest and terminates it. Returns false when
// the string did not fit.
inline bool copy_bounded_string(char* dest, size_t capacity, const char* src, size_t src_length) {
    if (capacity == 0) return src_length == 0;
    size_t n = src_length < capacity - 1 ? src_length : capacity - 1;
    memcpy(dest, src, n);
    dest[n] = '\0';
    return n == src_length;
}

struct BootInfo {
    static constexpr size_t kCmdlineCapacity = 1024;  // including the NUL
    static constexpr size_t kMaxMemoryRegions = 256;
    static constexpr size_t kMaxModules = 16;
    static constexpr size_t kBootloaderNameCapacity = 64;  // including the NUL
    static constexpr size_t kMaxWarnings = 16;

    BootProtocol protocol;
    char cmdline[kCmdlineCapacity];
    char bootloader_name[kBootloaderNameCapacity];

    // The loader's memory map, in the order it gave it (neither sorted nor
    // merged: the physical-frame allocator does that).
    MemoryRegion memory_regions[kMaxMemoryRegions];
    uint32_t memory_region_count;

    BootModule modules[kMaxModules];
    uint32_t module_count;

    FramebufferInfo framebuffer;
    AcpiRsdpInfo acpi_rsdp;
    EfiInfo efi;

    // Multiboot2 only: the BIOS's count of KiB below 1 MiB and above it
    // (tag 4). Kept for completeness; the memory map is what counts.
    bool has_basic_meminfo;
    uint32_t mem_lower_kib;
    uint32_t mem_upper_kib;

    // Multiboot2 only (tag 21): where GRUB put a relocatable image.
    bool has_load_base;
    uint64_t load_base;

    BootWarning warnings[kMaxWarnings];
    uint32_t warning_count;
    uint32_t warnings_dropped;  // warnings that did not fit in the list

    // Back to "nothing known". (memset rather than `*this = BootInfo{}`: that
    // would build a 20 KiB temporary on a boot stack that may be smaller.)
    void clear() { memset(static_cast<void*>(this), 0, sizeof(*this)); }

    void warn(const char* message, uint64_t value) {
        if (warning_count < kMaxWarnings) {
            warnings[warning_count++] = BootWarning{message, value};
        } else {
            warnings_dropped++;
        }
    }

    // Returns false (and stores nothing) when the list is full; the caller
    // knows how to word the warning.
    bool add_memory_region(uint64_t base, uint64_t length, MemoryType type) {
        if (memory_region_count >= kMaxMemoryRegions) return false;
        memory_regions[memory_region_count++] = MemoryRegion{base, length, type};
        return true;
    }

    // Returns the new module to fill in, or nullptr when the list is full.
    BootModule* add_module(uint64_t phys_start, uint64_t phys_end) {
        if (module_count >= kMaxModules) return nullptr;
        BootModule& module = modules[module_count++];
        module.phys_start = phys_start;
        module.phys_end = phys_end;
        module.cmdline[0] = '\0';
        return &module;
    }

    // Sum of the lengths of the Usable regions. Saturates at UINT64_MAX
    // rather than wrapping, should a hostile map claim more than exists.
    uint64_t total_usable_bytes() const {
        uint64_t total = 0;
        for (uint32_t i = 0; i < memory_region_count; i++) {
            const MemoryRegion& region = memory_regions[i];
            if (region.type != MemoryType::Usable) continue;
            total = region.length > UINT64_MAX - total ? UINT64_MAX : total + region.length;
        }
        return total;
    }

    // One past the last usable byte (the exclusive end of the highest
    // Usable region), 0 when there is none: how far the direct map and the
    // frame allocator's Page array must reach. Saturates at UINT64_MAX.
    uint64_t highest_usable_address() const {
        uint64_t highest = 0;
        for (uint32_t i = 0; i < memory_region_count; i++) {
            const MemoryRegion& region = memory_regions[i];
            if (region.type != MemoryType::Usable || region.length == 0) continue;
            uint64_t end =
                region.length > UINT64_MAX - region.base ? UINT64_MAX : region.base + region.length;
            if (end > highest) highest = end;
        }
        return highest;
    }
};

}  // namespace k
