#pragma once
// PhysReader: how portable parsers (libk/pvh.h, libk/acpi.h) read structures
// that firmware and boot loaders identify by PHYSICAL address. The kernel
// implements it over its identity or direct map; the host tests over a
// simulated memory.
#include <stddef.h>
#include <stdint.h>

#include "libk/string.h"

namespace k {

// Access to physical memory for code that must not know how it is mapped.
// read() returns a pointer through which the `len` bytes at physical
// addresses [phys, phys + len) can be read, or nullptr if any of them cannot
// (a hole, beyond the mapping, a wrapping range). The pointer need only stay
// valid until the next call to read(): callers copy out what they keep.
struct PhysReader {
    virtual const void* read(uint64_t phys, size_t len) = 0;

protected:
    // Never deleted through this interface, so no virtual destructor (which
    // would drag operator delete into the freestanding kernel).
    ~PhysReader() = default;
};

// Copies `len` bytes at physical address `phys` into `dest`. False if the
// reader refuses, or the range would wrap past 2^64 (a reader should refuse
// that too, but it is cheap not to ask).
inline bool read_phys_bytes(PhysReader& reader, uint64_t phys, void* dest, size_t len) {
    if (len > UINT64_MAX - phys) return false;
    const void* source = reader.read(phys, len);
    if (source == nullptr) return false;
    memcpy(dest, source, len);
    return true;
}

}  // namespace k
