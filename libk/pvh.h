#pragma once
// PVH: how a virtual machine monitor starts the kernel without a boot loader.
//
// QEMU's `-kernel kernel.elf` finds the ELF note XEN_ELFNOTE_PHYS32_ENTRY and
// jumps there in 32-bit protected mode, paging off, with EBX = the physical
// address of an `hvm_start_info`. That structure, and everything it points at
// (command line, module list, memory map), is identified by PHYSICAL address.
// The layouts are Xen's public ABI: xen/include/public/arch-x86/hvm/start_info.h.
//
// parse_pvh() reads it all through a PhysReader, so the same code runs in the
// kernel (which reads physical memory through its identity or direct map) and
// in the host tests (which hand it a vector). Like parse_multiboot2() it
// trusts nothing: counts are bounded, every range is asked for before it is
// read, and problems become warnings in the BootInfo.
#include <stddef.h>
#include <stdint.h>

#include "libk/boot_info.h"
#include "libk/phys_reader.h"
#include "libk/result.h"

namespace k {
namespace pvh {

constexpr uint32_t kStartInfoMagic = 0x336ec578;  // "xEn3" with the 0x80 bit of the "E" set

struct StartInfo {
    uint32_t magic;
    uint32_t version;     // 0: fields up to rsdp_paddr; 1: adds the memory map
    uint32_t flags;       // SIF_xxx; none matter to a non-Xen guest
    uint32_t nr_modules;
    uint64_t modlist_paddr;  // array of nr_modules ModlistEntry
    uint64_t cmdline_paddr;  // NUL-terminated; 0 if none
    uint64_t rsdp_paddr;     // ACPI RSDP; 0 if none
    // Version 1 and later:
    uint64_t memmap_paddr;  // array of memmap_entries MemmapEntry
    uint32_t memmap_entries;
    uint32_t reserved;
};
static_assert(sizeof(StartInfo) == 56);
static_assert(offsetof(StartInfo, memmap_paddr) == 40);
constexpr size_t kStartInfoV0Size = offsetof(StartInfo, memmap_paddr);

struct ModlistEntry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;  // 0 if none
    uint64_t reserved;
};
static_assert(sizeof(ModlistEntry) == 32);

struct MemmapEntry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;  // E820 numbering (XEN_HVM_MEMMAP_TYPE_*): see memory_type_from_e820()
    uint32_t reserved;
};
static_assert(sizeof(MemmapEntry) == 24);

}  // namespace pvh

// Fills `out` (cleared first) from the hvm_start_info at `start_info_phys`.
//
// Fails with EFAULT when the start info itself cannot be read and EINVAL when
// its magic is wrong. Everything else becomes a warning in out.warnings:
// version 0 (no memory map), unreadable or over-long strings (the command
// line is kept up to BootInfo::kCmdlineCapacity - 1 bytes), more modules or
// memory-map entries than BootInfo holds, unreadable lists.
Result<void> parse_pvh(uint64_t start_info_phys, PhysReader& reader, BootInfo& out);

}  // namespace k
