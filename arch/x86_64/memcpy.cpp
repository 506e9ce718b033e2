// memcpy and memset for the kernel: `rep movsb`/`rep stosb` are fast on every
// CPU with ERMSB (Intel SDM Vol. 1 §7.3.9.3) and correct on all of them, and
// the kernel has no SSE to do better with. The compiler emits calls to these
// for struct copies, so they must exist even in code that never names them.
#include "libk/string.h"

extern "C" {

void* memcpy(void* dest, const void* src, size_t n) {
    void* ret = dest;
    asm volatile("rep movsb" : "+D"(dest), "+S"(src), "+c"(n) : : "memory");
    return ret;
}

void* memset(void* dest, int value, size_t n) {
    void* ret = dest;
    asm volatile("rep stosb" : "+D"(dest), "+c"(n) : "a"(value) : "memory");
    return ret;
}

}  // extern "C"
