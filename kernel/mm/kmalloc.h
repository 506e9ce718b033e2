#pragma once
// The kernel heap: kmalloc/kfree. Requests up to a page go to the slab cache
// of their size class (kernel/mm/size_classes.h); larger ones take whole
// buddy blocks. Every allocation may fail: callers check for nullptr.
#include <stddef.h>

namespace mm {

void kmalloc_init();

// Aligned to at least 16 bytes (the smallest class), and to the block size
// for large allocations. Not zeroed; kzalloc zeroes.
[[nodiscard]] void* kmalloc(size_t bytes);
[[nodiscard]] void* kzalloc(size_t bytes);
// kfree(nullptr) does nothing; freeing anything kmalloc did not return is a
// VERIFY failure (a panic with a backtrace), never silent corruption.
void kfree(void* pointer);

struct KmallocStats {
    size_t class_size;
    size_t objects_in_use;
    size_t slabs;
};
// Stats for size class `index` (0 .. kKmallocClassCount-1).
KmallocStats kmalloc_class_stats(size_t index);

}  // namespace mm
