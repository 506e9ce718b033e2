// Multiboot2 boot information -> BootInfo. See libk/multiboot2.h for the
// format and the contract; the comments here cite the Multiboot2
// specification 2.0, section 3.6.
#include "libk/multiboot2.h"

#include "libk/string.h"
#include "libk/utility.h"

namespace k {
namespace {

using namespace multiboot2;

// Copies a layout struct out of the byte stream. memcpy, not a cast: the
// stream has no alignment the compiler may assume, and reading it through a
// struct pointer would also break the aliasing rules.
template <typename T> T load(const uint8_t* at) {
    T value;
    memcpy(&value, at, sizeof(T));
    return value;
}

// A tag whose header has been checked: `size` bytes from `bytes` lie inside
// the structure, and size >= sizeof(TagHeader).
struct Tag {
    const uint8_t* bytes;
    uint32_t type;
    uint32_t size;
};

// Length of the string at s, reading no more than `available` bytes.
size_t bounded_length(const uint8_t* s, size_t available) {
    size_t n = 0;
    while (n < available && s[n] != '\0') n++;
    return n;
}

// Copies the NUL-terminated string that fills the tag from `payload_offset`
// to its end. An unterminated string is kept (up to the tag's end) with a
// warning: the text is probably fine, and the bound keeps us inside the tag.
void copy_tag_string(BootInfo& out, const Tag& tag, uint32_t payload_offset, char* dest,
                     size_t capacity, const char* truncated_message) {
    const uint8_t* text = tag.bytes + payload_offset;
    size_t available = tag.size - payload_offset;
    size_t length = bounded_length(text, available);
    if (length == available) out.warn("multiboot2: string not NUL-terminated in tag of type", tag.type);
    if (!copy_bounded_string(dest, capacity, reinterpret_cast<const char*>(text), length)) {
        out.warn(truncated_message, length);
    }
}

bool check_tag_size(BootInfo& out, const Tag& tag, uint32_t minimum) {
    if (tag.size >= minimum) return true;
    out.warn("multiboot2: tag too short for its type; ignored, type", tag.type);
    return false;
}

void parse_module(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(ModuleTag))) return;
    ModuleTag module_tag = load<ModuleTag>(tag.bytes);
    if (module_tag.mod_end < module_tag.mod_start) {
        out.warn("multiboot2: module ends before it starts; ignored, start", module_tag.mod_start);
        return;
    }
    BootModule* module = out.add_module(module_tag.mod_start, module_tag.mod_end);
    if (module == nullptr) {
        out.warn("multiboot2: too many modules; dropped module at", module_tag.mod_start);
        return;
    }
    copy_tag_string(out, tag, sizeof(ModuleTag), module->cmdline, BootModule::kCmdlineCapacity,
                    "multiboot2: module command line truncated; its length was");
}

void parse_basic_meminfo(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(BasicMeminfoTag))) return;
    BasicMeminfoTag meminfo = load<BasicMeminfoTag>(tag.bytes);
    out.has_basic_meminfo = true;
    out.mem_lower_kib = meminfo.mem_lower;
    out.mem_upper_kib = meminfo.mem_upper;
}

void parse_memory_map(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(MemoryMapTag))) return;
    MemoryMapTag map = load<MemoryMapTag>(tag.bytes);
    // The spec promises entry_size is a multiple of 8 and that later
    // versions only append fields; anything else is not a map we can read.
    if (map.entry_size < sizeof(MemoryMapEntry) || map.entry_size % 8 != 0) {
        out.warn("multiboot2: memory map entry_size invalid; map ignored", map.entry_size);
        return;
    }
    if (map.entry_version != 0) {
        out.warn("multiboot2: memory map entry_version not 0; reading version 0 fields", map.entry_version);
    }
    uint32_t entries_bytes = tag.size - sizeof(MemoryMapTag);
    if (entries_bytes % map.entry_size != 0) {
        out.warn("multiboot2: memory map ends in a partial entry; its bytes", entries_bytes % map.entry_size);
    }
    uint32_t entry_count = entries_bytes / map.entry_size;
    uint32_t dropped = 0;
    for (uint32_t i = 0; i < entry_count; i++) {
        MemoryMapEntry entry = load<MemoryMapEntry>(tag.bytes + sizeof(MemoryMapTag) + i * map.entry_size);
        uint64_t length = entry.length;
        if (length > UINT64_MAX - entry.base_addr) {
            // The region would wrap past the top of the address space. Clamp
            // it so that base + length, which every user computes, fits.
            out.warn("multiboot2: memory region wraps past 2^64; clamped, base", entry.base_addr);
            length = UINT64_MAX - entry.base_addr;
        }
        if (!out.add_memory_region(entry.base_addr, length, memory_type_from_e820(entry.type))) dropped++;
    }
    if (dropped != 0) out.warn("multiboot2: memory map too long; regions dropped", dropped);
}

void parse_framebuffer(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(FramebufferTag))) return;
    FramebufferTag fb = load<FramebufferTag>(tag.bytes);
    FramebufferInfo info{};
    switch (fb.framebuffer_type) {
    case static_cast<uint8_t>(FramebufferType::Indexed):
        info.type = FramebufferType::Indexed;
        break;
    case static_cast<uint8_t>(FramebufferType::Rgb): {
        if (tag.size < sizeof(FramebufferTag) + sizeof(FramebufferRgbInfo)) {
            out.warn("multiboot2: framebuffer tag too short for its RGB colour info; size", tag.size);
            return;
        }
        FramebufferRgbInfo rgb = load<FramebufferRgbInfo>(tag.bytes + sizeof(FramebufferTag));
        info.type = FramebufferType::Rgb;
        info.red_shift = rgb.red_field_position;
        info.red_size = rgb.red_mask_size;
        info.green_shift = rgb.green_field_position;
        info.green_size = rgb.green_mask_size;
        info.blue_shift = rgb.blue_field_position;
        info.blue_size = rgb.blue_mask_size;
        break;
    }
    case static_cast<uint8_t>(FramebufferType::EgaText):
        info.type = FramebufferType::EgaText;
        break;
    default:
        out.warn("multiboot2: unknown framebuffer type; ignored", fb.framebuffer_type);
        return;
    }
    info.present = true;
    info.phys_address = fb.framebuffer_addr;
    info.pitch = fb.framebuffer_pitch;
    info.width = fb.framebuffer_width;
    info.height = fb.framebuffer_height;
    info.bpp = fb.framebuffer_bpp;
    out.framebuffer = info;
}

void parse_efi64_system_table(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(Efi64SystemTableTag))) return;
    out.efi.has_system_table64 = true;
    out.efi.system_table64 = load<Efi64SystemTableTag>(tag.bytes).pointer;
}

// GRUB passes tag 14, tag 15, or both (the old one for ACPI 1.0 operating
// systems). The new RSDP also points at the XSDT, with 64-bit table
// addresses, so it wins whatever the order of the tags.
void parse_acpi_rsdp(BootInfo& out, const Tag& tag, bool is_new) {
    uint32_t rsdp_size = is_new ? kAcpiNewRsdpSize : kAcpiOldRsdpSize;
    if (!check_tag_size(out, tag, sizeof(TagHeader) + rsdp_size)) return;
    AcpiRsdpInfo& rsdp = out.acpi_rsdp;
    if (!is_new && rsdp.source == RsdpSource::Multiboot2AcpiNew) return;
    memcpy(rsdp.bytes, tag.bytes + sizeof(TagHeader), rsdp_size);
    rsdp.length = static_cast<uint8_t>(rsdp_size);
    rsdp.revision = rsdp.bytes[kRsdpRevisionOffset];
    rsdp.source = is_new ? RsdpSource::Multiboot2AcpiNew : RsdpSource::Multiboot2AcpiOld;
}

void parse_efi_memory_map(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(EfiMemoryMapTag))) return;
    EfiMemoryMapTag map = load<EfiMemoryMapTag>(tag.bytes);
    // Firmware may use descriptors larger than the 40 bytes UEFI defines
    // (it must be stepped through by descriptor_size), never smaller.
    if (map.descriptor_size < sizeof(EfiMemoryDescriptor)) {
        out.warn("multiboot2: EFI memory map descriptor_size below 40; map ignored", map.descriptor_size);
        return;
    }
    EfiInfo& efi = out.efi;
    uint32_t descriptor_count = (tag.size - sizeof(EfiMemoryMapTag)) / map.descriptor_size;
    efi.has_memory_map = true;
    efi.descriptor_size = map.descriptor_size;
    efi.descriptor_version = map.descriptor_version;
    efi.descriptors_in_map = descriptor_count;
    efi.descriptor_count = 0;
    for (uint32_t i = 0; i < descriptor_count && efi.descriptor_count < EfiInfo::kMaxDescriptors; i++) {
        EfiMemoryDescriptor descriptor =
            load<EfiMemoryDescriptor>(tag.bytes + sizeof(EfiMemoryMapTag) + i * map.descriptor_size);
        efi.descriptors[efi.descriptor_count++] =
            EfiMemoryRange{descriptor.type, descriptor.physical_start, descriptor.number_of_pages};
    }
    if (descriptor_count > efi.descriptor_count) {
        out.warn("multiboot2: EFI memory map too long; descriptors dropped", descriptor_count - efi.descriptor_count);
    }
}

void parse_image_load_base(BootInfo& out, const Tag& tag) {
    if (!check_tag_size(out, tag, sizeof(ImageLoadBaseTag))) return;
    out.has_load_base = true;
    out.load_base = load<ImageLoadBaseTag>(tag.bytes).load_base_addr;
}

void parse_tag(BootInfo& out, const Tag& tag) {
    switch (static_cast<TagType>(tag.type)) {
    case TagType::Cmdline:
        copy_tag_string(out, tag, sizeof(TagHeader), out.cmdline, BootInfo::kCmdlineCapacity,
                        "multiboot2: command line truncated; its length was");
        break;
    case TagType::BootLoaderName:
        copy_tag_string(out, tag, sizeof(TagHeader), out.bootloader_name, BootInfo::kBootloaderNameCapacity,
                        "multiboot2: boot loader name truncated; its length was");
        break;
    case TagType::Module: parse_module(out, tag); break;
    case TagType::BasicMeminfo: parse_basic_meminfo(out, tag); break;
    case TagType::MemoryMap: parse_memory_map(out, tag); break;
    case TagType::Framebuffer: parse_framebuffer(out, tag); break;
    case TagType::Efi64SystemTable: parse_efi64_system_table(out, tag); break;
    case TagType::AcpiOldRsdp: parse_acpi_rsdp(out, tag, false); break;
    case TagType::AcpiNewRsdp: parse_acpi_rsdp(out, tag, true); break;
    case TagType::EfiMemoryMap: parse_efi_memory_map(out, tag); break;
    case TagType::EfiBootServicesNotTerminated: out.efi.boot_services_active = true; break;
    case TagType::ImageLoadBase: parse_image_load_base(out, tag); break;
    default:
        // Boot device, VBE, ELF sections, APM, SMBIOS, network, EFI32, image
        // handles, and tags newer than this code: nothing the kernel uses.
        // The spec requires skipping unknown tags (3.6.1).
        break;
    }
}

bool is_repeatable(uint32_t type) { return type == static_cast<uint32_t>(TagType::Module); }

}  // namespace

Result<void> parse_multiboot2(const void* mbi, uint64_t available_bytes, BootInfo& out) {
    out.clear();
    out.protocol = BootProtocol::Multiboot2;
    if (mbi == nullptr || available_bytes < sizeof(InfoHeader)) {
        out.warn("multiboot2: information structure missing; bytes available", available_bytes);
        return error(Errno::einval);
    }
    const uint8_t* bytes = static_cast<const uint8_t*>(mbi);
    uint32_t total_size = load<InfoHeader>(bytes).total_size;
    if (total_size < sizeof(InfoHeader) + sizeof(TagHeader)) {
        out.warn("multiboot2: total_size too small to hold an End tag", total_size);
        return error(Errno::einval);
    }
    if (total_size > kMaxInfoSize) {
        out.warn("multiboot2: total_size implausibly large", total_size);
        return error(Errno::einval);
    }
    if (total_size > available_bytes) {
        out.warn("multiboot2: total_size larger than the bytes available", total_size);
        return error(Errno::einval);
    }

    // Tags that may appear once: a second copy is reported and ignored,
    // rather than silently merged (two memory maps) or overwritten.
    uint32_t seen_types = 0;
    bool found_end = false;
    bool walk_stopped = false;
    uint64_t offset = sizeof(InfoHeader);
    // Every pass moves offset forward by at least 8, so the walk ends.
    while (offset < total_size && total_size - offset >= sizeof(TagHeader)) {
        TagHeader header = load<TagHeader>(bytes + offset);
        if (header.size < sizeof(TagHeader)) {
            out.warn("multiboot2: tag size below 8; walk stopped at offset", offset);
            walk_stopped = true;
            break;
        }
        if (header.size > total_size - offset) {
            out.warn("multiboot2: tag overruns the information structure; walk stopped at offset", offset);
            walk_stopped = true;
            break;
        }
        if (header.type == static_cast<uint32_t>(TagType::End)) {
            found_end = true;
            break;
        }
        uint32_t type_bit = header.type < 32 ? 1u << header.type : 0;
        if (type_bit != 0 && (seen_types & type_bit) != 0 && !is_repeatable(header.type)) {
            out.warn("multiboot2: duplicate tag ignored; type", header.type);
        } else {
            seen_types |= type_bit;
            parse_tag(out, Tag{bytes + offset, header.type, header.size});
        }
        offset += align_up(header.size, kTagAlignment);  // tags start 8-byte aligned (3.6.1)
    }
    if (!found_end && !walk_stopped) {  // (a bad tag has been reported already)
        out.warn("multiboot2: no End tag before total_size", total_size);
    }
    if ((seen_types & (1u << static_cast<uint32_t>(TagType::MemoryMap))) == 0) {
        out.warn("multiboot2: no memory map tag", 0);
    }
    return {};
}

}  // namespace k
