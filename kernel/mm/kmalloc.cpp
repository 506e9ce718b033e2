#include "kernel/mm/kmalloc.h"

#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/mm/size_classes.h"
#include "kernel/mm/slab.h"
#include "kernel/sync/guards.h"
#include "libk/new.h"
#include "libk/string.h"
#include "libk/verify.h"

namespace mm {

namespace {

unsigned order_for_bytes(size_t bytes) {
    unsigned order = 0;
    while ((kPageSize << order) < bytes) ++order;
    return order;
}

// Gives a cache its slabs as buddy blocks, and marks every frame of a slab
// with the owning cache so kfree() can find it from any object's address.
class KmallocSlabSource final : public SlabPageSource {
public:
    void* allocate_slab(size_t bytes) override {
        unsigned order = order_for_bytes(bytes);
        Page* head = allocate_pages(order);
        if (head == nullptr) return nullptr;
        for (uint64_t i = 0; i < (uint64_t{1} << order); ++i) {
            head[i].set(PageFlag::Slab);
            head[i].owner = cache;
        }
        return phys_to_virt(page_to_phys(head));
    }
    void free_slab(void* slab, size_t bytes) override {
        unsigned order = order_for_bytes(bytes);
        Page* head = phys_to_page(virt_to_phys(slab));
        for (uint64_t i = 0; i < (uint64_t{1} << order); ++i) {
            head[i].clear(PageFlag::Slab);
            head[i].owner = nullptr;
        }
        free_pages(head, order);
    }
    SlabCache* cache = nullptr;
};

KmallocSlabSource sources[kKmallocClassCount];
// One lock per size class, interrupts off while held: allocations of
// different sizes do not contend.
ksync::SpinLock cache_locks[kKmallocClassCount];
alignas(SlabCache) unsigned char cache_storage[kKmallocClassCount][sizeof(SlabCache)];
SlabCache* caches[kKmallocClassCount];

}  // namespace

void kmalloc_init() {
    for (size_t i = 0; i < kKmallocClassCount; ++i) {
        caches[i] = new (cache_storage[i]) SlabCache(kKmallocClassNames[i], kKmallocClasses[i], 16, sources[i]);
        sources[i].cache = caches[i];
    }
}

void* kmalloc(size_t bytes) {
    int index = kmalloc_class_for(bytes == 0 ? 1 : bytes);
    if (index >= 0) {
        kernel::SpinLockIrqSave guard(cache_locks[index]);
        return caches[index]->allocate();
    }
    if (bytes > (kPageSize << 18)) return nullptr;  // beyond the largest buddy block
    Page* head = allocate_pages(order_for_bytes(bytes));
    return head == nullptr ? nullptr : phys_to_virt(page_to_phys(head));
}

void* kzalloc(size_t bytes) {
    void* pointer = kmalloc(bytes);
    if (pointer != nullptr) memset(pointer, 0, bytes);
    return pointer;
}

void kfree(void* pointer) {
    if (pointer == nullptr) return;
    uint64_t address = reinterpret_cast<uint64_t>(pointer);
    VERIFY(address >= kDirectMapBase && address < kDirectMapBase + kDirectMapSize);
    Page* page = phys_to_page(virt_to_phys(pointer));
    VERIFY(page != nullptr);
    if (page->has(PageFlag::Slab)) {
        auto cache = static_cast<SlabCache*>(page->owner);
        kernel::SpinLockIrqSave guard(cache_locks[kmalloc_class_for(cache->object_size())]);
        cache->free(pointer);
        return;
    }
    // A large allocation: the pointer must be the head of an allocated block.
    VERIFY(page->has(PageFlag::Head) && !page->has(PageFlag::Free));
    free_pages(page, page->order);
}

KmallocStats kmalloc_class_stats(size_t index) {
    VERIFY(index < kKmallocClassCount);
    kernel::SpinLockIrqSave guard(cache_locks[index]);
    return KmallocStats{kKmallocClasses[index], caches[index]->objects_in_use(), caches[index]->slab_count()};
}

}  // namespace mm
