#pragma once
// VERIFY(cond): an invariant that stays checked in release builds. When it
// fails, k::verify_failed() runs: the kernel panics (with registers and a
// backtrace); the host tests abort, so a broken invariant fails the test.
// DEBUG_VERIFY is for checks too expensive to leave on outside debug builds.
#include "config.h"

namespace k {
[[noreturn]] void verify_failed(const char* expression, const char* file, int line, const char* function);
}

#define VERIFY(cond)                                                                     \
    do {                                                                                 \
        if (__builtin_expect(!(cond), 0)) ::k::verify_failed(#cond, __FILE__, __LINE__, __func__); \
    } while (0)

#define DEBUG_VERIFY(cond)                         \
    do {                                           \
        if constexpr (::config::kDebug) VERIFY(cond); \
    } while (0)

#define VERIFY_NOT_REACHED() ::k::verify_failed("not reached", __FILE__, __LINE__, __func__)
