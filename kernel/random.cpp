#include "kernel/random.h"

#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "libk/string.h"

namespace kernel {

namespace {

uint64_t state = 0x9e3779b97f4a7c15ull;

uint64_t split_mix(uint64_t& s) {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

}  // namespace

void random_bytes(void* out, size_t length) {
    auto bytes = static_cast<uint8_t*>(out);
    while (length > 0) {
        uint64_t mixed = __atomic_add_fetch(&state, arch::read_tsc() | 1, __ATOMIC_RELAXED);
        const uint64_t value = split_mix(mixed);
        const size_t chunk = length < 8 ? length : 8;
        memcpy(bytes, &value, chunk);
        bytes += chunk;
        length -= chunk;
    }
}

}  // namespace kernel
