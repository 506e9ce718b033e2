// Host-side definitions of the hooks portable code expects from the kernel.
#include <cstdio>
#include <cstdlib>

#include "libk/verify.h"

namespace k {
[[noreturn]] void verify_failed(const char* expression, const char* file, int line, const char* function) {
    std::fprintf(stderr, "VERIFY(%s) failed at %s:%d in %s\n", expression, file, line, function);
    std::abort();
}
}  // namespace k
