#pragma once
// The boot information, normalised from whichever loader started the
// kernel (Multiboot2 or PVH) into one k::BootInfo, and the parsed command line.
#include "libk/boot_info.h"
#include "libk/cmdline.h"

namespace kernel {

// Parses the loader's structure at physical address info_phys. Must run
// while the boot page tables still map the low 4 GiB at the direct-map base.
void boot_info_init(unsigned protocol, uint64_t info_phys);
const k::BootInfo& boot_info();
const k::CommandLine& command_line();
void log_boot_info();

}  // namespace kernel
