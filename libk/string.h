#pragma once
// The C string and memory functions. The kernel defines them itself
// (libk/string.cpp, kernel build only; the compiler also emits calls to
// memcpy/memset for struct copies); the host tests use the C library's.
#include <stddef.h>
#if __STDC_HOSTED__
#include <string.h>
#else
extern "C" {
void* memcpy(void* dest, const void* src, size_t n);
void* memmove(void* dest, const void* src, size_t n);
void* memset(void* dest, int value, size_t n);
int memcmp(const void* a, const void* b, size_t n);
void* memchr(const void* s, int c, size_t n);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t max);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
}
#endif
