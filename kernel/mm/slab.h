#pragma once
// Slab caches: fast allocation of many objects of one fixed size.
//
// A cache carves naturally aligned blocks of memory ("slabs", a power of two
// of at least 4 KiB, aligned to their size) into equal slots. A slab starts
// with a small header; the free slots of a slab are chained through the slots
// themselves, so allocating is "pop the first free slot" and freeing is "push
// it back", both O(1). Because slabs are aligned to their size, masking an
// object's address with the slab size finds its slab header: free() needs no
// lookup structure and no size argument.
//
// Slabs sit on one of three lists: full (no free slot), partial, empty (every
// slot free). Allocation prefers partial slabs, so that memory concentrates
// in few slabs and the others can empty out; the cache keeps one empty slab
// to absorb alloc/free ping-pong at a slab boundary and returns further empty
// slabs to the page source.
//
// With debug checks on, a cache also catches the classic heap bugs:
//   - write after free: free slots are filled with 0x6b ("poison"), checked
//     when the slot is handed out again;
//   - overflow: at least 16 bytes after each object are a red zone of 0xbb,
//     checked when the object is freed (and when a free slot is reused);
//   - double free: the slot must not already be on its slab's free list.
// The free-list link then lives in the red-zone area, outside the object, so
// the whole object can be poisoned. Corruption goes to the corruption handler
// (below). Freeing a pointer that belongs to no slab of this cache, or not to
// the start of a slot, is always a VERIFY failure.
//
// There is no lock here: the kernel wraps each cache in one.
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "libk/list.h"

namespace mm {

// Where slabs come from: the kernel hands out buddy blocks, the host tests
// aligned_alloc. `bytes` is a power of two >= 4096 and the block returned must
// be aligned to `bytes`; allocate_slab returns nullptr when out of memory.
class SlabPageSource {
public:
    virtual void* allocate_slab(size_t bytes) = 0;
    virtual void free_slab(void* slab, size_t bytes) = 0;

protected:
    // Not virtual: nobody destroys a source through this interface (and a
    // virtual destructor would drag operator delete into the kernel).
    ~SlabPageSource() = default;
};

// Called when debug checks find corrupted memory. `what` says what was found,
// `object` is the slot concerned. The default handler fails a VERIFY (kernel
// panic, host abort). If a handler returns, the cache repairs what it can and
// carries on: a write after free or an overwritten red zone is re-filled, a
// double free is ignored, and a slab whose free list is unreadable keeps its
// remaining free slots out of use.
using SlabCorruptionHandler = void (*)(const char* cache_name, const char* what, const void* object);

// Installs `handler` (nullptr restores the default) and returns the previous one.
SlabCorruptionHandler set_slab_corruption_handler(SlabCorruptionHandler handler);

class SlabCache {
public:
    // Bytes of red zone at least, after each object, with debug checks on.
    static constexpr size_t kRedZoneBytes = 16;
    static constexpr uint8_t kPoisonByte = 0x6b;
    static constexpr uint8_t kRedZoneByte = 0xbb;
    // Slabs hold at least this many objects unless that would need a slab
    // larger than kMaxSlabBytes.
    static constexpr size_t kMinObjectsPerSlab = 8;
    static constexpr size_t kMinSlabBytes = 4096;
    static constexpr size_t kMaxSlabBytes = size_t{2} << 20;  // 2 MiB: order 9 of the buddy

    // `name` must outlive the cache (a string literal). `alignment` is a power
    // of two, at most 4096; objects are at least pointer-aligned and at least
    // pointer-sized (object_size() says what you actually got).
    SlabCache(const char* name, size_t object_size, size_t alignment, SlabPageSource& source,
              bool debug_checks = config::kDebug);
    // Every object must have been freed. Returns all slabs to the source.
    ~SlabCache();
    SlabCache(const SlabCache&) = delete;
    SlabCache& operator=(const SlabCache&) = delete;

    // An uninitialised object (filled with poison with debug checks on), or
    // nullptr when the source has no memory for a new slab.
    [[nodiscard]] void* allocate();
    // Returns an object from allocate(). free(nullptr) does nothing.
    void free(void* object);

    // Gives the cached empty slab (if any) back to the source.
    void shrink();

    const char* name() const { return name_; }
    size_t object_size() const { return object_size_; }
    size_t alignment() const { return alignment_; }
    // Distance between consecutive objects in a slab.
    size_t slot_size() const { return slot_size_; }
    size_t slab_bytes() const { return slab_bytes_; }
    size_t objects_per_slab() const { return objects_per_slab_; }
    size_t objects_in_use() const { return objects_in_use_; }
    size_t slab_count() const { return slab_count_; }
    bool debug_checks() const { return debug_checks_; }

private:
    // Lives in the first bytes of every slab.
    struct Slab {
        k::ListNode node;  // on full_, partial_ or empty_
        SlabCache* cache;
        void* free_list;  // first free slot, or nullptr
        uint32_t in_use;
    };
    using SlabList = k::List<Slab, &Slab::node>;

    Slab* slab_of(const void* object) const;
    uint8_t* first_slot(Slab* slab) const;
    bool is_slot_start(Slab* slab, const void* pointer) const;
    SlabList& list_for(const Slab* slab);
    Slab* grow();
    void release(Slab* slab);

    // Where a free slot keeps the pointer to the next free slot.
    void** link_of(void* slot) const { return reinterpret_cast<void**>(static_cast<uint8_t*>(slot) + link_offset_); }

    // Debug checks.
    void fill_free_slot(void* slot);
    void fill_red_zone(void* slot);
    void check_free_slot(void* slot);
    bool check_red_zone(void* slot, bool link_in_use);
    bool on_free_list(Slab* slab, const void* slot) const;
    void report(const char* what, const void* object) const;

    const char* name_;
    SlabPageSource& source_;
    bool debug_checks_;
    size_t object_size_;
    size_t alignment_;
    size_t link_offset_;  // 0 without debug checks: the link overlays the free object
    size_t slot_size_;
    size_t slab_bytes_;
    size_t first_slot_offset_;
    size_t objects_per_slab_;

    SlabList full_;
    SlabList partial_;
    SlabList empty_;
    size_t objects_in_use_ = 0;
    size_t slab_count_ = 0;
};

}  // namespace mm
