#pragma once
// Random bytes for AT_RANDOM and getrandom(2): RDRAND where the CPU has it,
// mixed with the TSC, whitened by SplitMix64. Not a cryptographic
// generator: good enough for stack canaries and hash seeds in a teaching
// kernel, and documented as such in docs/ABI.md.
#include <stddef.h>

namespace kernel {
void random_bytes(void* out, size_t length);
}
