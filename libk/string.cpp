// The C memory and string functions for the freestanding kernel (the host
// tests use the C library's, so this file is not in the portable list).
// memcpy and memset, which want string instructions, are in
// arch/x86_64/memcpy.cpp.
#include "libk/string.h"

#include <stdint.h>

extern "C" {

void* memmove(void* dest, const void* src, size_t n) {
    auto d = static_cast<unsigned char*>(dest);
    auto s = static_cast<const unsigned char*>(src);
    if (d == s || n == 0) return dest;
    if (d < s || d >= s + n) return memcpy(dest, src, n);
    // Overlapping with dest above src: copy backwards.
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
    return dest;
}

int memcmp(const void* a, const void* b, size_t n) {
    auto x = static_cast<const unsigned char*>(a);
    auto y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; ++i) {
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

void* memchr(const void* s, int c, size_t n) {
    auto p = static_cast<const unsigned char*>(s);
    for (size_t i = 0; i < n; ++i) {
        if (p[i] == static_cast<unsigned char>(c)) return const_cast<unsigned char*>(p + i);
    }
    return nullptr;
}

size_t strnlen(const char* s, size_t max) {
    size_t n = 0;
    while (n < max && s[n] != '\0') ++n;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

int strncmp(const char* a, const char* b, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (a[i] != b[i] || a[i] == '\0') return static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]);
    }
    return 0;
}

}  // extern "C"
