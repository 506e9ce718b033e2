#include "kernel/mm/slab.h"

#include "kernel/mm/page.h"
#include "libk/new.h"
#include "libk/string.h"
#include "libk/utility.h"
#include "libk/verify.h"

namespace mm {

namespace {

// The default reaction to corruption: a failed invariant, reported the way
// VERIFY reports (the kernel panics, the host tests abort), with the cache
// name in the place of the function name.
void verify_no_corruption(const char* cache_name, const char* what, const void*) {
    k::verify_failed(what, __FILE__, __LINE__, cache_name);
}

SlabCorruptionHandler corruption_handler = verify_no_corruption;

// True when all `length` bytes at `start` equal `value`.
bool all_bytes_are(const void* start, size_t length, uint8_t value) {
    const uint8_t* bytes = static_cast<const uint8_t*>(start);
    for (size_t i = 0; i < length; ++i)
        if (bytes[i] != value) return false;
    return true;
}

}  // namespace

SlabCorruptionHandler set_slab_corruption_handler(SlabCorruptionHandler handler) {
    SlabCorruptionHandler previous = corruption_handler;
    corruption_handler = handler ? handler : verify_no_corruption;
    return previous;
}

SlabCache::SlabCache(const char* name, size_t object_size, size_t alignment, SlabPageSource& source,
                     bool debug_checks)
    : name_(name), source_(source), debug_checks_(debug_checks) {
    VERIFY(object_size > 0);
    VERIFY(k::is_power_of_two(alignment) && alignment <= kPageSize);

    // A free slot stores the free-list link, a pointer: every slot must be
    // able to hold one, suitably aligned.
    alignment_ = k::max(alignment, alignof(void*));
    object_size_ = k::max(object_size, sizeof(void*));

    // Slot layout. Without debug checks: [object][padding up to alignment],
    // and a free slot keeps its link in its first bytes. With debug checks:
    // [object][red zone >= 16 bytes][link][red zone up to alignment]; the
    // link is outside the object so the whole object can be poisoned, and
    // while the object is allocated the link bytes are red zone too.
    if (debug_checks_) {
        link_offset_ = k::align_up(object_size_ + kRedZoneBytes, alignof(void*));
        slot_size_ = k::align_up(link_offset_ + sizeof(void*), alignment_);
    } else {
        link_offset_ = 0;
        slot_size_ = k::align_up(object_size_, alignment_);
    }

    // The slots start after the header, at the first aligned offset. Slabs
    // are aligned to their size (>= 4096 >= alignment_), so offsets aligned
    // within the slab are aligned addresses.
    first_slot_offset_ = k::align_up(sizeof(Slab), alignment_);

    // The smallest slab that holds kMinObjectsPerSlab objects: smaller slabs
    // waste more of their space on the header and the leftover tail, and
    // a cache with few objects per slab goes back to the page source often.
    slab_bytes_ = kMaxSlabBytes;
    for (size_t bytes = kMinSlabBytes; bytes <= kMaxSlabBytes; bytes *= 2) {
        if ((bytes - first_slot_offset_) / slot_size_ >= kMinObjectsPerSlab) {
            slab_bytes_ = bytes;
            break;
        }
    }
    objects_per_slab_ = (slab_bytes_ - first_slot_offset_) / slot_size_;
    VERIFY(objects_per_slab_ >= 1 && "object too large for a slab cache: allocate it from the buddy allocator");
}

SlabCache::~SlabCache() {
    VERIFY(objects_in_use_ == 0 && "destroying a slab cache whose objects are still in use");
    shrink();
    VERIFY(full_.empty() && partial_.empty());
}

void* SlabCache::allocate() {
    Slab* slab = partial_.front();
    if (!slab) slab = empty_.front();
    if (!slab) slab = grow();
    if (!slab) return nullptr;

    list_for(slab).remove(*slab);
    void* slot = slab->free_list;
    void* next = *link_of(slot);
    if (debug_checks_) {
        check_free_slot(slot);
        if (next != nullptr && !is_slot_start(slab, next)) {
            // Following the link would hand out memory outside the slots.
            // The rest of this slab's free list is lost: better a leak than
            // giving the same memory to two owners.
            report("free list pointer overwritten", slot);
            next = nullptr;
        }
        // Allocated, the link bytes are part of the red zone.
        memset(link_of(slot), kRedZoneByte, sizeof(void*));
    }
    slab->free_list = next;
    ++slab->in_use;
    ++objects_in_use_;
    list_for(slab).push_front(*slab);
    return slot;
}

void SlabCache::free(void* object) {
    if (object == nullptr) return;
    Slab* slab = slab_of(object);
    VERIFY(slab->cache == this && "freeing an object that does not belong to this slab cache");
    VERIFY(is_slot_start(slab, object) && "freeing a pointer that is not the start of a slab object");

    if (debug_checks_) {
        if (on_free_list(slab, object)) {
            report("double free", object);
            return;
        }
        if (!check_red_zone(object, /*link_in_use=*/false)) report("red zone overwritten (buffer overflow)", object);
        fill_free_slot(object);
    }
    // With debug checks off this is the only trace of a double free that we
    // can afford to look for.
    VERIFY(slab->in_use > 0);

    list_for(slab).remove(*slab);
    *link_of(object) = slab->free_list;
    slab->free_list = object;
    --slab->in_use;
    --objects_in_use_;

    // Keep one empty slab for the next allocations; give back the others.
    if (slab->in_use == 0 && !empty_.empty()) {
        release(slab);
        return;
    }
    list_for(slab).push_front(*slab);
}

void SlabCache::shrink() {
    while (Slab* slab = empty_.pop_front()) release(slab);
}

SlabCache::Slab* SlabCache::slab_of(const void* object) const {
    // Slabs are aligned to their size: clearing the low bits of any address
    // inside a slab gives its start, where the header is.
    return reinterpret_cast<Slab*>(k::align_down(reinterpret_cast<uintptr_t>(object), slab_bytes_));
}

uint8_t* SlabCache::first_slot(Slab* slab) const { return reinterpret_cast<uint8_t*>(slab) + first_slot_offset_; }

bool SlabCache::is_slot_start(Slab* slab, const void* pointer) const {
    uintptr_t first = reinterpret_cast<uintptr_t>(first_slot(slab));
    uintptr_t address = reinterpret_cast<uintptr_t>(pointer);
    if (address < first) return false;
    uintptr_t offset = address - first;
    return offset < objects_per_slab_ * slot_size_ && offset % slot_size_ == 0;
}

SlabCache::SlabList& SlabCache::list_for(const Slab* slab) {
    if (slab->in_use == 0) return empty_;
    if (slab->free_list == nullptr) return full_;
    return partial_;
}

SlabCache::Slab* SlabCache::grow() {
    void* memory = source_.allocate_slab(slab_bytes_);
    if (memory == nullptr) return nullptr;
    VERIFY(k::is_aligned(reinterpret_cast<uintptr_t>(memory), slab_bytes_) && "slab source returned a misaligned block");

    Slab* slab = new (memory) Slab{};
    slab->cache = this;
    // Chain the slots so the lowest address comes out first: consecutive
    // allocations are then neighbours in memory.
    uint8_t* first = first_slot(slab);
    for (size_t i = objects_per_slab_; i-- > 0;) {
        void* slot = first + i * slot_size_;
        if (debug_checks_) fill_free_slot(slot);
        *link_of(slot) = slab->free_list;
        slab->free_list = slot;
    }
    ++slab_count_;
    empty_.push_front(*slab);
    return slab;
}

void SlabCache::release(Slab* slab) {
    VERIFY(slab->in_use == 0 && !slab->node.is_linked());
    // A stale pointer freed later then fails the "belongs to this cache"
    // check, as long as the memory has not been reused.
    slab->cache = nullptr;
    source_.free_slab(slab, slab_bytes_);
    --slab_count_;
}

void SlabCache::fill_free_slot(void* slot) {
    memset(slot, kPoisonByte, object_size_);
    fill_red_zone(slot);
}

void SlabCache::fill_red_zone(void* slot) {
    memset(static_cast<uint8_t*>(slot) + object_size_, kRedZoneByte, slot_size_ - object_size_);
}

void SlabCache::check_free_slot(void* slot) {
    if (!all_bytes_are(slot, object_size_, kPoisonByte)) {
        report("write after free (poison overwritten)", slot);
        memset(slot, kPoisonByte, object_size_);
    }
    if (!check_red_zone(slot, /*link_in_use=*/true)) report("red zone overwritten (buffer overflow)", slot);
}

// The bytes after the object, except the link while the slot is free. On
// damage, refills them (keeping the link) and returns false.
bool SlabCache::check_red_zone(void* slot, bool link_in_use) {
    uint8_t* bytes = static_cast<uint8_t*>(slot);
    bool intact;
    if (link_in_use) {
        size_t after_link = link_offset_ + sizeof(void*);
        intact = all_bytes_are(bytes + object_size_, link_offset_ - object_size_, kRedZoneByte) &&
                 all_bytes_are(bytes + after_link, slot_size_ - after_link, kRedZoneByte);
    } else {
        intact = all_bytes_are(bytes + object_size_, slot_size_ - object_size_, kRedZoneByte);
    }
    if (!intact) {
        void* link = *link_of(slot);
        fill_red_zone(slot);
        if (link_in_use) *link_of(slot) = link;
    }
    return intact;
}

bool SlabCache::on_free_list(Slab* slab, const void* slot) const {
    // Bounded walk: a corrupted list could contain a cycle.
    void* free_slot = slab->free_list;
    for (size_t steps = 0; free_slot != nullptr && steps < objects_per_slab_; ++steps) {
        if (free_slot == slot) return true;
        if (!is_slot_start(slab, free_slot)) return false;
        free_slot = *link_of(free_slot);
    }
    return false;
}

void SlabCache::report(const char* what, const void* object) const { corruption_handler(name_, what, object); }

}  // namespace mm
