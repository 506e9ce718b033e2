#pragma once
// RegionMap: the regions of one user address space.
//
// A region is a run of pages [start, end) that one mmap() created and that
// behaves the same throughout: same protection, same flags, same backing
// object (a file, or anonymous memory). Linux calls it a VMA ("virtual memory
// area", struct vm_area_struct); /proc/<pid>/maps prints one line per region.
// The page-fault handler asks "which region holds this address, and may it be
// written?"; mmap asks "where is a free gap?"; munmap, mprotect and madvise cut
// regions at the edges of the range they act on and change what is inside.
//
// This file is only the bookkeeping: a red-black tree of regions keyed by
// start address (regions never overlap, so ordering by start also orders them
// by end). What the regions mean for memory - frames, page tables, reference
// counts of backing objects - is the kernel's business. The map tells it
// what happened through a RegionObserver:
//
//   on_split(original, new_piece)   a region was cut in two; both now refer
//                                   to the same object (take a reference)
//   on_merge(survivor, absorbed)    two regions became one; `absorbed` goes
//                                   away (drop its reference)
//   on_remove(region)               the range is unmapped: free its frames
//                                   and page tables, drop the reference
//   on_clone(parent, child)         fork copied a region (take a reference,
//                                   copy or share the page-table entries)
//
// Operations are all or nothing. Everything that can fail (bad arguments,
// an unmapped hole, a Region allocation) is checked or pre-allocated before
// the first change, so an error leaves the map exactly as it was. That is
// stricter than Linux, whose munmap/mprotect/madvise may leave a range half
// done when they fail midway.
//
// Every loop is bounded by the number of regions. No locking here: the
// kernel holds the address space's mmap lock (writer for changes).
#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/page.h"
#include "kernel/mm/page_table.h"
#include "libk/rbtree.h"
#include "libk/result.h"
#include "libk/verify.h"

namespace mm {

// The user part of the address space. The lowest 64 KiB stay unmapped so a
// NULL pointer dereference (even with a sizeable offset) faults: Linux's
// vm.mmap_min_addr, default 65536. The top is the last page below the
// canonical hole (2^47 - 4 KiB): Linux keeps that page unmapped too, so
// nothing can sit right below the non-canonical addresses (SYSRET hazard).
inline constexpr uint64_t kMmapMinAddr = 0x10000;
inline constexpr uint64_t kUserTop = 0x0000'7fff'ffff'f000;

// Protection bits, with Linux's PROT_* values (asm-generic/mman-common.h),
// so mmap/mprotect arguments pass through unchanged.
inline constexpr uint32_t kProtNone = 0x0;
inline constexpr uint32_t kProtRead = 0x1;
inline constexpr uint32_t kProtWrite = 0x2;
inline constexpr uint32_t kProtExec = 0x4;
inline constexpr uint32_t kProtMask = kProtRead | kProtWrite | kProtExec;

// Region flags. Our own bit values (not the MAP_ or VM_ numbers): the
// syscall layer translates.
//   Shared:    MAP_SHARED, writes reach the object and other mappers;
//              without it the region is private (copy-on-write).
//   Anonymous: zero-filled memory, no file; without it, `object` is a file.
//   Hugetlb:   backed by huge pages (MAP_HUGETLB); 2 MiB pages, or 1 GiB
//              with Huge1G. Such a region can only be cut at multiples of
//              its page size.
//   DontFork:  madvise(MADV_DONTFORK): fork() does not copy it.
//   GrowsDown: a stack (MAP_GROWSDOWN); a fault just below may extend it.
//   NoReserve: MAP_NORESERVE, no swap/commit accounting.
inline constexpr uint32_t kRegionShared = 1u << 0;
inline constexpr uint32_t kRegionAnonymous = 1u << 1;
inline constexpr uint32_t kRegionHugetlb = 1u << 2;
inline constexpr uint32_t kRegionHuge1G = 1u << 3;
inline constexpr uint32_t kRegionDontFork = 1u << 4;
inline constexpr uint32_t kRegionGrowsDown = 1u << 5;
inline constexpr uint32_t kRegionNoReserve = 1u << 6;
inline constexpr uint32_t kRegionFlagMask = (1u << 7) - 1;
// The flags madvise() may change on part of a region (set_flag_range). The
// others describe what the region is and are fixed at mmap() time.
inline constexpr uint32_t kRegionAdvisableFlags = kRegionDontFork;

struct Region {
    Region() = default;
    // The tree links must never be copied: regions are created by the map.
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;

    uint64_t start = 0;  // page aligned (huge-page aligned for hugetlb)
    uint64_t end = 0;    // exclusive, aligned like start
    uint32_t prot = kProtNone;
    uint32_t flags = 0;
    // The backing object (a file, a shared anonymous object, or nullptr):
    // opaque to the map, compared only for equality when merging.
    void* object = nullptr;
    // Byte offset of `start` within `object` (mmap's offset argument). A cut
    // at address a gives the upper piece object_offset + (a - start).
    uint64_t object_offset = 0;
    k::RbNode node;  // owned by the RegionMap

    uint64_t size() const { return end - start; }
    bool contains(uint64_t address) const { return start <= address && address < end; }
    bool has(uint32_t flag) const { return (flags & flag) != 0; }
    // The granularity the region can be cut at: its page size.
    uint64_t page_size() const {
        if (!has(kRegionHugetlb)) return kPageSize;
        return has(kRegionHuge1G) ? kPageBytes1G : kPageBytes2M;
    }
    // Where `address` (inside the region) lies in the backing object.
    uint64_t offset_of(uint64_t address) const { return object_offset + (address - start); }
};

// Where Region objects come from: the host tests use new/delete, the kernel
// a slab cache. allocate() returns a default-constructed Region, or nullptr
// when out of memory.
class RegionAllocator {
public:
    virtual Region* allocate() = 0;
    virtual void free(Region* region) = 0;

protected:
    // Not deleted through this interface: no virtual destructor (which would
    // drag operator delete into the freestanding kernel).
    ~RegionAllocator() = default;
};

// Hooks through which the kernel follows the map. Each has a do-nothing
// default, so an observer overrides only what it needs. A hook must not change
// the map it is called from (looking things up is fine).
class RegionObserver {
public:
    // `original` was cut at new_piece.start: it now ends there, and
    // `new_piece`, already in the map, covers the rest with the same prot,
    // flags and object (its object_offset advanced by the size of what
    // `original` kept). Called once per cut, in the order the cuts happen.
    virtual void on_split(Region& /*original*/, Region& /*new_piece*/) {}

    // `absorbed` directly followed `survivor` and had the same prot, flags,
    // object and a contiguous object offset; survivor.end has been moved to
    // absorbed.end and `absorbed`, already out of the map, is freed after this
    // returns. Nothing was unmapped: only the bookkeeping shrank.
    virtual void on_merge(Region& /*survivor*/, Region& /*absorbed*/) {}

    // [region.start, region.end) is being unmapped: `region`, already out of
    // the map, is freed after this returns. For munmap of part of a region
    // the map first cuts the region (on_split), so `region` is always exactly
    // what goes away.
    virtual void on_remove(Region& /*region*/) {}

    // Called on the CHILD map's observer by clone_into(): `child_region`, just
    // added to the child map, is a copy of `parent_region`. The child's
    // observer gets the hook because it owns what the child holds: if fork
    // fails later, the same observer sees on_remove for this region. (A kernel
    // observer that needs the parent's page tables can be told the parent
    // before the clone.) An error here aborts the clone; the hook must then
    // have undone its own work, because the map frees `child_region` without
    // on_remove.
    virtual k::Result<void> on_clone(Region& /*parent_region*/, Region& /*child_region*/) { return {}; }

protected:
    ~RegionObserver() = default;
};

class RegionMap {
public:
    // `allocator` (and `observer`, if any) must outlive the map.
    explicit RegionMap(RegionAllocator& allocator, RegionObserver* observer = nullptr)
        : allocator_(allocator), observer_(observer) {}
    RegionMap(const RegionMap&) = delete;
    RegionMap& operator=(const RegionMap&) = delete;
    // Clears the map: on_remove for every region still there.
    ~RegionMap() { clear(); }

    // The region containing `address`, or nullptr. O(log n).
    Region* find(uint64_t address);
    const Region* find(uint64_t address) const;

    // The region containing `address` or, if none does, the first region
    // above it; nullptr if there is none. (Linux's find_vma(): the first
    // region with end > address.) O(log n).
    Region* first_at_or_after(uint64_t address);
    const Region* first_at_or_after(uint64_t address) const;

    // Adds the region [start, end) (mmap with a fixed address; the map never
    // replaces or merges here, so the result is a region of its own).
    //   einval    start/end not page aligned (for hugetlb: not aligned to
    //             its page size), empty, outside [kMmapMinAddr, kUserTop),
    //             unknown prot or flag bits, Huge1G without Hugetlb, or an
    //             object_offset not aligned like start
    //   eoverflow object_offset + size does not fit in 64 bits
    //   eexist    something is already mapped in [start, end)
    //             (MAP_FIXED_NOREPLACE's error)
    //   enomem    the allocator failed
    // No observer hook runs: whoever inserts takes the object reference.
    k::Result<Region*> insert(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags, void* object,
                              uint64_t object_offset);

    // munmap: unmaps everything in [start, end). Regions reaching over an
    // edge are cut there (on_split) and only the inside part is removed
    // (on_remove). Holes are fine, also a range with nothing mapped.
    //   einval  start/end not page aligned, start >= end, end > kUserTop, or
    //           an edge inside a hugetlb region not aligned to its page size
    //           (Linux: the hugetlb "may_split" check)
    //   enomem  a Region for a cut could not be allocated
    k::Result<void> remove_range(uint64_t start, uint64_t end);

    // mprotect: sets prot on [start, end), cutting regions at the edges (only
    // those whose prot actually changes), then merges neighbours that became
    // identical (on_merge). An empty range (start == end) does nothing.
    //   einval  start/end not page aligned, end < start, unknown prot bits,
    //           or a cut inside a hugetlb region not at a huge-page boundary
    //   enomem  part of [start, end) is not mapped (checked before anything
    //           else changes), or a Region for a cut could not be allocated
    k::Result<void> protect_range(uint64_t start, uint64_t end, uint32_t prot);

    // madvise(MADV_DONTFORK / MADV_DOFORK): sets (on) or clears `flag`, one of
    // kRegionAdvisableFlags, on [start, end). Cuts, merges and errors as
    // protect_range. (Linux's madvise changes the mapped parts and still
    // returns ENOMEM for the holes; here a hole means no change at all.)
    k::Result<void> set_flag_range(uint64_t start, uint64_t end, uint32_t flag, bool on);

    // mmap without MAP_FIXED: an address for `length` bytes. If `hint` is
    // non-zero, aligned to `alignment` and [hint, hint + length) is free and
    // within the bounds, that is the answer. Otherwise the highest free gap
    // below `highest` that fits, at an address aligned to `alignment`: Linux's
    // default top-down layout, which keeps the area below mmap_base growing
    // downwards, away from the heap. The bounds are clamped to the user range
    // [kMmapMinAddr, kUserTop).
    //   einval  length zero or not page aligned, alignment not a power of two
    //           that is at least kPageSize (4 KiB, 2 MiB, 1 GiB)
    //   enomem  no gap is big enough
    k::Result<uint64_t> find_free(uint64_t length, uint64_t hint, uint64_t alignment, uint64_t lowest,
                                  uint64_t highest) const;

    // fork: adds to `child` (which must be empty, and not this map) a copy of
    // every region for which keep(region) is true, calling the child's
    // observer's on_clone for each. On error (allocation or on_clone) the
    // child is cleared again (on_remove for what was already cloned), so it
    // is empty and consistent, and the error is returned.
    template <typename Keep> k::Result<void> clone_into(RegionMap& child, Keep&& keep) {
        VERIFY(&child != this);
        VERIFY(child.empty());
        size_t visited = 0;
        for (Region& region : tree_) {
            VERIFY(++visited <= tree_.size());
            if (!keep(static_cast<const Region&>(region))) continue;
            k::Result<void> cloned = child.add_clone_of(region);
            if (!cloned) {
                child.clear();
                return k::error(cloned.error());
            }
        }
        return {};
    }
    // The usual predicate: everything but MADV_DONTFORK regions.
    static bool inherited_by_fork(const Region& region) { return !region.has(kRegionDontFork); }

    // Removes every region (on_remove for each), lowest first.
    void clear();

    // Calls fn(const Region&) for each region in address order. fn must not
    // change the map.
    template <typename Fn> void for_each(Fn&& fn) const {
        size_t visited = 0;
        for (const Region& region : tree_) {
            VERIFY(++visited <= tree_.size());
            fn(region);
        }
    }

    size_t count() const { return tree_.size(); }
    bool empty() const { return tree_.empty(); }
    // Bytes mapped, the sum of all region sizes (RLIMIT_AS). O(1): kept up to
    // date by every change.
    uint64_t total_bytes() const { return total_bytes_; }

    // Every region well formed (aligned, non-empty, in the user range), in
    // order without overlaps, the tree valid and total_bytes() right.
    // O(n log n): for tests and debug checks.
    bool check_invariants() const;

private:
    struct ByStart {
        bool operator()(const Region& a, const Region& b) const { return a.start < b.start; }
    };
    using Tree = k::RbTree<Region, &Region::node, ByStart>;

    // What protect_range/set_flag_range do to each region of the range.
    struct Change {
        bool set_prot;
        uint32_t prot;
        uint32_t flag;
        bool flag_on;

        bool alters(const Region& region) const;
        void apply(Region& region) const;
    };

    // The last region starting below `end`, or nullptr.
    Region* last_starting_before(uint64_t end) const;
    // Whether [start, end) is mapped without holes.
    bool fully_mapped(uint64_t start, uint64_t end) const;
    k::Result<void> change_range(uint64_t start, uint64_t end, const Change& change);
    // Cuts `region` at `at` (inside it, aligned to its page size); `piece`, a
    // fresh Region, becomes the upper part. Returns the upper part.
    Region& split(Region& region, uint64_t at, Region& piece);
    // Merges every pair of neighbours that touch at a boundary in [low, high].
    void merge_around(uint64_t low, uint64_t high);
    static bool can_merge(const Region& lower, const Region& upper);
    void erase_and_free(Region& region);
    k::Result<void> add_clone_of(Region& source);

    Tree tree_;
    RegionAllocator& allocator_;
    RegionObserver* observer_;
    uint64_t total_bytes_ = 0;
};

}  // namespace mm
