#pragma once
// Multiboot2: how GRUB 2 tells the kernel about the machine.
//
// GRUB leaves EAX = kBootMagic and EBX = the physical address of the boot
// information structure: an 8-byte header (total_size, reserved) followed by
// tags, each 8-byte aligned, each starting with (type, size), ending with a
// tag of type End. References are to "The Multiboot2 Specification version
// 2.0", section 3.6 "Boot information format".
//
// parse_multiboot2() reads that structure into a BootInfo (libk/boot_info.h).
// It trusts nothing: every size is checked against the bytes that exist
// before anything is read, so a corrupt structure yields warnings, never a
// read out of bounds.
#include <stddef.h>
#include <stdint.h>

#include "libk/boot_info.h"
#include "libk/result.h"

namespace k {
namespace multiboot2 {

// In the kernel image's Multiboot2 header (spec 3.1.1), and the checksum
// that makes magic + architecture + header_length + checksum == 0 (mod 2^32).
constexpr uint32_t kHeaderMagic = 0xE85250D6;
constexpr uint32_t kArchitectureI386 = 0;  // 32-bit protected mode entry
constexpr uint32_t header_checksum(uint32_t architecture, uint32_t header_length) {
    return 0u - (kHeaderMagic + architecture + header_length);
}

// In EAX at the kernel's entry point (spec 3.3).
constexpr uint32_t kBootMagic = 0x36D76289;

// Anything larger is not a structure GRUB built (a full one is a few KiB);
// it is a wrong pointer or corruption, and walking it would take forever.
constexpr uint32_t kMaxInfoSize = 1024 * 1024;

enum class TagType : uint32_t {
    End = 0,
    Cmdline = 1,
    BootLoaderName = 2,
    Module = 3,
    BasicMeminfo = 4,
    BootDevice = 5,
    MemoryMap = 6,
    Vbe = 7,
    Framebuffer = 8,
    ElfSections = 9,
    Apm = 10,
    Efi32SystemTable = 11,
    Efi64SystemTable = 12,
    Smbios = 13,
    AcpiOldRsdp = 14,
    AcpiNewRsdp = 15,
    Network = 16,
    EfiMemoryMap = 17,
    EfiBootServicesNotTerminated = 18,
    Efi32ImageHandle = 19,
    Efi64ImageHandle = 20,
    ImageLoadBase = 21,
};

// The on-memory layouts. The parser copies them out with memcpy, so neither
// the alignment of the structure nor the compiler's aliasing rules matter.
struct InfoHeader {
    uint32_t total_size;  // including this header and the End tag
    uint32_t reserved;
};
static_assert(sizeof(InfoHeader) == 8);

struct TagHeader {
    uint32_t type;
    uint32_t size;  // including this header, excluding the padding after the tag
};
static_assert(sizeof(TagHeader) == 8);

constexpr uint32_t kTagAlignment = 8;

// Tags 1 and 2: TagHeader then a NUL-terminated UTF-8 string.

struct ModuleTag {  // 3.6.6
    TagHeader header;
    uint32_t mod_start;
    uint32_t mod_end;  // exclusive (GRUB sets it to mod_start + size)
    // then the module's command line, NUL-terminated
};
static_assert(sizeof(ModuleTag) == 16);

struct BasicMeminfoTag {  // 3.6.8
    TagHeader header;
    uint32_t mem_lower;  // KiB
    uint32_t mem_upper;  // KiB
};
static_assert(sizeof(BasicMeminfoTag) == 16);

struct MemoryMapTag {  // 3.6.8
    TagHeader header;
    uint32_t entry_size;     // a multiple of 8, at least sizeof(MemoryMapEntry)
    uint32_t entry_version;  // 0; later versions only append fields
    // then the entries
};
static_assert(sizeof(MemoryMapTag) == 16);

struct MemoryMapEntry {
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;  // E820 numbering: see memory_type_from_e820()
    uint32_t reserved;
};
static_assert(sizeof(MemoryMapEntry) == 24);

struct FramebufferTag {  // 3.6.12
    TagHeader header;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type;  // FramebufferType numbering
    uint16_t reserved;
    // then the colour info, which depends on the type
};
static_assert(sizeof(FramebufferTag) == 32);
static_assert(offsetof(FramebufferTag, framebuffer_bpp) == 28);

struct FramebufferRgbInfo {  // colour info of framebuffer_type 1
    uint8_t red_field_position;
    uint8_t red_mask_size;
    uint8_t green_field_position;
    uint8_t green_mask_size;
    uint8_t blue_field_position;
    uint8_t blue_mask_size;
};
static_assert(sizeof(FramebufferRgbInfo) == 6);

struct Efi64SystemTableTag {  // 3.6.14
    TagHeader header;
    uint64_t pointer;
};
static_assert(sizeof(Efi64SystemTableTag) == 16);

// Tags 14 and 15: TagHeader then a copy of the RSDP (20 or 36 bytes).
constexpr uint32_t kAcpiOldRsdpSize = 20;  // ACPI 1.0 RSDP
constexpr uint32_t kAcpiNewRsdpSize = 36;  // ACPI 2.0+ RSDP (XSDT address added)
constexpr uint32_t kRsdpRevisionOffset = 15;

struct EfiMemoryMapTag {  // 3.6.17
    TagHeader header;
    uint32_t descriptor_size;  // may exceed sizeof(EfiMemoryDescriptor): step by this
    uint32_t descriptor_version;
    // then the descriptors, exactly as GetMemoryMap() returned them
};
static_assert(sizeof(EfiMemoryMapTag) == 16);

struct EfiMemoryDescriptor {  // UEFI 2.10, 7.2, EFI_MEMORY_DESCRIPTOR
    uint32_t type;
    uint32_t padding;
    uint64_t physical_start;
    uint64_t virtual_start;
    uint64_t number_of_pages;
    uint64_t attribute;
};
static_assert(sizeof(EfiMemoryDescriptor) == 40);

struct ImageLoadBaseTag {  // 3.6.20
    TagHeader header;
    uint32_t load_base_addr;
};
static_assert(sizeof(ImageLoadBaseTag) == 12);

}  // namespace multiboot2

// Fills `out` (cleared first) from the Multiboot2 information structure at
// `mbi`, of which at most `available_bytes` may be read.
//
// Fails with EINVAL only when the header itself is unusable: mbi is null,
// fewer than 8 bytes are available, or total_size is too small, larger than
// available_bytes, or larger than kMaxInfoSize. Everything else, from an
// unknown tag (skipped silently) to a tag that overruns the structure (the
// walk stops there, keeping what was parsed), ends as a warning in
// out.warnings, and the caller decides what it can live without.
Result<void> parse_multiboot2(const void* mbi, uint64_t available_bytes, BootInfo& out);

}  // namespace k
