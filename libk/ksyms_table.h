#pragma once
// Lookup in the kernel's embedded symbol table (built by tools/gen_ksyms.py
// and linked into .ksyms): address -> "function+offset" for backtraces.
#include <stddef.h>
#include <stdint.h>

namespace k {

class KsymsTable {
public:
    // `data` points at the table bytes; an empty or malformed table makes
    // every lookup fail rather than read out of bounds.
    KsymsTable(const void* data, size_t size);

    struct Symbol {
        const char* name;
        uint64_t address;
        uint64_t offset;  // looked-up address minus symbol address
    };
    // The function containing `address`, or false.
    bool lookup(uint64_t address, Symbol& out) const;
    uint32_t count() const { return count_; }

private:
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    uint32_t count_ = 0;
    uint64_t strings_offset_ = 0;
};

}  // namespace k
