#include "kernel/ksyms.h"

extern "C" const uint8_t __ksyms_start[];
extern "C" const uint8_t __ksyms_end[];

namespace kernel {

namespace {
const k::KsymsTable& table() {
    static k::KsymsTable instance(__ksyms_start, static_cast<size_t>(__ksyms_end - __ksyms_start));
    return instance;
}
}  // namespace

bool symbolize(uint64_t address, k::KsymsTable::Symbol& out) { return table().lookup(address, out); }
uint32_t symbol_count() { return table().count(); }

}  // namespace kernel
