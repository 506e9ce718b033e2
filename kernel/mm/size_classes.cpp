#include "kernel/mm/size_classes.h"

#include <stdint.h>

namespace mm {

namespace {

// Up to 256 bytes the classes are irregular (96, 192), so a table indexed by
// the size in 16-byte steps answers: entry i is the class of sizes
// (16 * i, 16 * (i + 1)], i.e. index (bytes - 1) / 16.
constexpr int8_t kSmallClass[16] = {
    0,           // 1..16     -> 16
    1,           // 17..32    -> 32
    2, 2,        // 33..64    -> 64
    3, 3,        // 65..96    -> 96
    4, 4,        // 97..128   -> 128
    5, 5, 5, 5,  // 129..192  -> 192
    6, 6, 6, 6,  // 193..256  -> 256
};

constexpr int class_for(size_t bytes) {
    if (bytes <= 256) return bytes == 0 ? 0 : kSmallClass[(bytes - 1) / 16];
    if (bytes > kKmallocMaxClassSize) return -1;
    // Above 256 the classes are the powers of two 2^9 .. 2^12, classes 7 .. 10.
    // The smallest power of two >= bytes is 2^ceil(log2(bytes)), and
    // ceil(log2(bytes)) = 64 - clz(bytes - 1) for bytes >= 2; class = that - 2.
    return 64 - __builtin_clzll(static_cast<unsigned long long>(bytes) - 1) - 2;
}

// Compile-time proof that the fast mapping agrees with the definition (the
// first class that is large enough) for every size up to one past the end.
constexpr int class_by_search(size_t bytes) {
    for (size_t i = 0; i < kKmallocClassCount; ++i)
        if (bytes <= kKmallocClasses[i]) return static_cast<int>(i);
    return -1;
}

constexpr bool fast_mapping_matches_search() {
    for (size_t bytes = 0; bytes <= kKmallocMaxClassSize + 1; ++bytes)
        if (class_for(bytes) != class_by_search(bytes)) return false;
    return true;
}
static_assert(fast_mapping_matches_search());

}  // namespace

int kmalloc_class_for(size_t bytes) { return class_for(bytes); }

}  // namespace mm
