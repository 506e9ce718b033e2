#pragma once
// Placement new. The host build gets it from <new>; the freestanding kernel
// declares its own (defined inline: it only returns its argument).
#include <stddef.h>
#if __STDC_HOSTED__
#include <new>
#else
inline void* operator new(size_t, void* where) noexcept { return where; }
inline void* operator new[](size_t, void* where) noexcept { return where; }
#endif
