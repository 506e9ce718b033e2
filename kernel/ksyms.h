#pragma once
// The kernel's own symbol table (embedded by the build, see
// tools/gen_ksyms.py): code address -> function name, for backtraces.
#include <stdint.h>

#include "libk/ksyms_table.h"

namespace kernel {

// False if the address is not inside a known function.
bool symbolize(uint64_t address, k::KsymsTable::Symbol& out);
uint32_t symbol_count();

}  // namespace kernel
