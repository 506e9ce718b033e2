// memcpy and memset for the kernel. The compiler emits calls to these for
// struct copies, so they must exist even in code that never names them.
//
// The bulk moves 8 bytes per iteration with `rep movsq`/`rep stosq`, the
// tail with the byte forms. On CPUs with ERMSB (Intel SDM Vol. 1 §7.3.9.3)
// `rep movsb` alone would be as fast, but under QEMU's -icount every
// iteration counts as an instruction, and the benchmarks count those.
#include "libk/string.h"

#include <stdint.h>

extern "C" {

void* memcpy(void* dest, const void* src, size_t n) {
    void* ret = dest;
    size_t words = n / 8, bytes = n % 8;
    asm volatile("rep movsq" : "+D"(dest), "+S"(src), "+c"(words) : : "memory");
    asm volatile("rep movsb" : "+D"(dest), "+S"(src), "+c"(bytes) : : "memory");
    return ret;
}

void* memset(void* dest, int value, size_t n) {
    void* ret = dest;
    uint64_t pattern = 0x0101010101010101ull * static_cast<uint8_t>(value);
    size_t words = n / 8, bytes = n % 8;
    asm volatile("rep stosq" : "+D"(dest), "+c"(words) : "a"(pattern) : "memory");
    asm volatile("rep stosb" : "+D"(dest), "+c"(bytes) : "a"(pattern) : "memory");
    return ret;
}

}  // extern "C"
