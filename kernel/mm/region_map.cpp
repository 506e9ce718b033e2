// RegionMap: see region_map.h. Every change follows the same plan: validate,
// find the regions involved, allocate what the cuts will need, and only then
// touch the tree, so a failure never leaves a half-done change behind.
#include "kernel/mm/region_map.h"

#include "libk/utility.h"

namespace mm {

namespace {

constexpr bool is_page_aligned(uint64_t address) { return k::is_aligned(address, kPageSize); }

// The page size a flags word asks for (Region::page_size() for a region that
// does not exist yet).
constexpr uint64_t page_size_for(uint32_t flags) {
    if (!(flags & kRegionHugetlb)) return kPageSize;
    return (flags & kRegionHuge1G) ? kPageBytes1G : kPageBytes2M;
}

// Regions allocated up front for the (at most two) cuts of one operation, so
// the operation cannot fail halfway. Whatever is not used goes back to the
// allocator when this goes out of scope.
class Spares {
public:
    explicit Spares(RegionAllocator& allocator) : allocator_(allocator) {}
    Spares(const Spares&) = delete;
    Spares& operator=(const Spares&) = delete;
    ~Spares() {
        for (size_t i = taken_; i < count_; ++i) allocator_.free(regions_[i]);
    }

    // Allocates `count` regions (at most two); false if the allocator ran
    // out, with nothing kept.
    bool reserve(size_t count) {
        VERIFY(count <= kMax && count_ == 0);
        for (size_t i = 0; i < count; ++i) {
            Region* region = allocator_.allocate();
            if (!region) return false;  // the destructor frees those we got
            VERIFY(!region->node.is_linked());
            regions_[count_++] = region;
        }
        return true;
    }
    Region& take() {
        VERIFY(taken_ < count_);
        return *regions_[taken_++];
    }

private:
    static constexpr size_t kMax = 2;
    RegionAllocator& allocator_;
    Region* regions_[kMax] = {};
    size_t count_ = 0;
    size_t taken_ = 0;
};

}  // namespace

// ---- Lookups ----------------------------------------------------------------

const Region* RegionMap::first_at_or_after(uint64_t address) const {
    // Regions do not overlap, so in start order their ends are increasing too:
    // "end <= address" is true for a prefix, as lower_bound needs.
    return tree_.lower_bound([address](const Region& region) { return region.end <= address; });
}

Region* RegionMap::first_at_or_after(uint64_t address) {
    return const_cast<Region*>(static_cast<const RegionMap*>(this)->first_at_or_after(address));
}

const Region* RegionMap::find(uint64_t address) const {
    const Region* region = first_at_or_after(address);
    return (region && region->start <= address) ? region : nullptr;
}

Region* RegionMap::find(uint64_t address) {
    return const_cast<Region*>(static_cast<const RegionMap*>(this)->find(address));
}

Region* RegionMap::last_starting_before(uint64_t end) const {
    Region* at_or_above = tree_.lower_bound([end](const Region& region) { return region.start < end; });
    return at_or_above ? Tree::prev(*at_or_above) : tree_.last();
}

bool RegionMap::fully_mapped(uint64_t start, uint64_t end) const {
    uint64_t covered = start;  // [start, covered) is known to be mapped
    const Region* region = first_at_or_after(start);
    for (size_t steps = 0; covered < end; ++steps) {
        VERIFY(steps <= tree_.size());
        if (!region || region->start > covered) return false;  // a hole at `covered`
        covered = region->end;
        region = Tree::next(*region);
    }
    return true;
}

// ---- Building blocks --------------------------------------------------------

Region& RegionMap::split(Region& region, uint64_t at, Region& piece) {
    VERIFY(region.start < at && at < region.end);
    VERIFY(k::is_aligned(at, region.page_size()));
    piece.start = at;
    piece.end = region.end;
    piece.prot = region.prot;
    piece.flags = region.flags;
    piece.object = region.object;
    piece.object_offset = region.offset_of(at);
    region.end = at;
    // Inserting by start keeps the order: piece.start lies between region and
    // region's old successor. total_bytes_ does not change.
    tree_.insert(piece);
    if (observer_) observer_->on_split(region, piece);
    return piece;
}

bool RegionMap::can_merge(const Region& lower, const Region& upper) {
    // Same everything, and the upper region continues the lower one both in
    // the address space and in the object: then one region describes both.
    return lower.end == upper.start && lower.prot == upper.prot && lower.flags == upper.flags &&
           lower.object == upper.object && upper.object_offset == lower.offset_of(lower.end);
}

void RegionMap::merge_around(uint64_t low, uint64_t high) {
    // Start at the region ending at `low` (the left neighbour of the range)
    // or, if none, the one containing `low`: first_at_or_after(low - 1)
    // finds either. Then walk right while the boundary (a's end) is <= high.
    Region* a = first_at_or_after(low == 0 ? 0 : low - 1);
    const size_t bound = tree_.size();
    for (size_t steps = 0; a && a->end <= high; ++steps) {
        VERIFY(steps <= bound);  // each step merges one region away or moves right
        Region* b = Tree::next(*a);
        if (!b || !can_merge(*a, *b)) {
            a = b;
            continue;
        }
        a->end = b->end;
        tree_.erase(*b);
        if (observer_) observer_->on_merge(*a, *b);
        allocator_.free(b);
    }
}

void RegionMap::erase_and_free(Region& region) {
    tree_.erase(region);
    total_bytes_ -= region.size();
    if (observer_) observer_->on_remove(region);
    allocator_.free(&region);
}

// ---- insert -----------------------------------------------------------------

k::Result<Region*> RegionMap::insert(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags, void* object,
                                     uint64_t object_offset) {
    if ((prot & ~kProtMask) || (flags & ~kRegionFlagMask)) return k::error(k::Errno::einval);
    if ((flags & kRegionHuge1G) && !(flags & kRegionHugetlb)) return k::error(k::Errno::einval);
    const uint64_t granule = page_size_for(flags);
    if (!k::is_aligned(start, granule) || !k::is_aligned(end, granule)) return k::error(k::Errno::einval);
    // mmap(2): the offset must be a multiple of the page size (for hugetlb,
    // of the huge page size).
    if (!k::is_aligned(object_offset, granule)) return k::error(k::Errno::einval);
    if (start >= end || start < kMmapMinAddr || end > kUserTop) return k::error(k::Errno::einval);
    // The object offset of the last byte must be representable (Linux's
    // mmap gives EOVERFLOW when offset + length wraps).
    if (object_offset > UINT64_MAX - (end - start)) return k::error(k::Errno::eoverflow);

    const Region* existing = first_at_or_after(start);
    if (existing && existing->start < end) return k::error(k::Errno::eexist);

    Region* region = allocator_.allocate();
    if (!region) return k::error(k::Errno::enomem);
    VERIFY(!region->node.is_linked());
    region->start = start;
    region->end = end;
    region->prot = prot;
    region->flags = flags;
    region->object = object;
    region->object_offset = object_offset;
    tree_.insert(*region);
    total_bytes_ += end - start;
    return region;
}

// ---- remove_range (munmap) --------------------------------------------------

k::Result<void> RegionMap::remove_range(uint64_t start, uint64_t end) {
    if (!is_page_aligned(start) || !is_page_aligned(end)) return k::error(k::Errno::einval);
    // munmap(2): EINVAL for a zero length or a range outside user space.
    if (start >= end || end > kUserTop) return k::error(k::Errno::einval);

    Region* first = first_at_or_after(start);
    if (!first || first->start >= end) return {};  // nothing mapped there
    Region* last = last_starting_before(end);
    VERIFY(last);

    // A region reaching over an edge is cut there. A hugetlb region can only
    // be cut at a multiple of its page size: half a huge page cannot be
    // unmapped (Linux: hugetlb_vm_op_split() refuses with EINVAL).
    const bool cut_low = first->start < start;
    const bool cut_high = last->end > end;
    if (cut_low && !k::is_aligned(start, first->page_size())) return k::error(k::Errno::einval);
    if (cut_high && !k::is_aligned(end, last->page_size())) return k::error(k::Errno::einval);

    Spares spares(allocator_);
    if (!spares.reserve(size_t{cut_low} + size_t{cut_high})) return k::error(k::Errno::enomem);

    // From here on nothing can fail.
    if (cut_low) {
        Region& inside = split(*first, start, spares.take());
        if (last == first) last = &inside;  // one region over both edges: cut the inner part again
        first = &inside;
    }
    if (cut_high) split(*last, end, spares.take());

    Region* region = first;
    const size_t bound = tree_.size();
    for (size_t steps = 0; region && region->start < end; ++steps) {
        VERIFY(steps <= bound);
        VERIFY(region->end <= end);
        Region* following = Tree::next(*region);
        erase_and_free(*region);
        region = following;
    }
    return {};
}

// ---- protect_range / set_flag_range (mprotect, madvise) ---------------------

bool RegionMap::Change::alters(const Region& region) const {
    if (set_prot) return region.prot != prot;
    const bool all_set = (region.flags & flag) == flag;
    const bool any_set = (region.flags & flag) != 0;
    return flag_on ? !all_set : any_set;
}

void RegionMap::Change::apply(Region& region) const {
    if (set_prot)
        region.prot = prot;
    else if (flag_on)
        region.flags |= flag;
    else
        region.flags &= ~flag;
}

k::Result<void> RegionMap::protect_range(uint64_t start, uint64_t end, uint32_t prot) {
    // mprotect(2): EINVAL for prot bits it does not know.
    if (prot & ~kProtMask) return k::error(k::Errno::einval);
    return change_range(start, end, Change{.set_prot = true, .prot = prot, .flag = 0, .flag_on = false});
}

k::Result<void> RegionMap::set_flag_range(uint64_t start, uint64_t end, uint32_t flag, bool on) {
    // A caller bug, not a user error: the syscall layer picks the flag.
    VERIFY(flag != 0 && (flag & ~kRegionAdvisableFlags) == 0);
    return change_range(start, end, Change{.set_prot = false, .prot = 0, .flag = flag, .flag_on = on});
}

k::Result<void> RegionMap::change_range(uint64_t start, uint64_t end, const Change& change) {
    if (!is_page_aligned(start) || !is_page_aligned(end) || end < start) return k::error(k::Errno::einval);
    // mprotect(2) and madvise(2) accept a zero length and do nothing.
    if (start == end) return {};
    // ENOMEM: "Addresses in the range [addr, addr+len-1] are invalid for the
    // address space of the process, or specify one or more pages that are not
    // mapped." Checked before anything changes.
    if (!fully_mapped(start, end)) return k::error(k::Errno::enomem);

    Region* first = first_at_or_after(start);  // contains start
    Region* last = last_starting_before(end);  // contains end - 1
    VERIFY(first && last && first->start <= start && end <= last->end);

    // Cut only regions whose attributes really change (as Linux's
    // mprotect_fixup/madvise_update_vma return early when nothing changes).
    const bool cut_low = first->start < start && change.alters(*first);
    const bool cut_high = last->end > end && change.alters(*last);
    if (cut_low && !k::is_aligned(start, first->page_size())) return k::error(k::Errno::einval);
    if (cut_high && !k::is_aligned(end, last->page_size())) return k::error(k::Errno::einval);

    Spares spares(allocator_);
    if (!spares.reserve(size_t{cut_low} + size_t{cut_high})) return k::error(k::Errno::enomem);

    // From here on nothing can fail.
    if (cut_low) {
        Region& inside = split(*first, start, spares.take());
        if (last == first) last = &inside;
        first = &inside;
    }
    if (cut_high) split(*last, end, spares.take());

    // Regions not cut may reach beyond the range only if the change leaves
    // them as they are; apply() to them would then be a no-op anyway.
    Region* region = first;
    const size_t bound = tree_.size();
    for (size_t steps = 0; region && region->start < end; ++steps) {
        VERIFY(steps <= bound);
        change.apply(*region);
        region = Tree::next(*region);
    }
    // Neighbours that now look alike (including the pieces just cut, if the
    // change made them equal to a neighbour) become one region again.
    merge_around(start, end);
    return {};
}

// ---- find_free (mmap placement) ---------------------------------------------

k::Result<uint64_t> RegionMap::find_free(uint64_t length, uint64_t hint, uint64_t alignment, uint64_t lowest,
                                         uint64_t highest) const {
    if (length == 0 || !is_page_aligned(length)) return k::error(k::Errno::einval);
    if (!k::is_power_of_two(alignment) || alignment < kPageSize) return k::error(k::Errno::einval);
    lowest = k::max(lowest, kMmapMinAddr);
    highest = k::min(highest, kUserTop);
    if (lowest >= highest || highest - lowest < length) return k::error(k::Errno::enomem);

    // The hint: taken as is when it fits (written so nothing can overflow:
    // hint <= highest - length instead of hint + length <= highest).
    if (hint != 0 && k::is_aligned(hint, alignment) && hint >= lowest && hint <= highest - length) {
        const Region* above = first_at_or_after(hint);
        if (!above || above->start >= hint + length) return hint;
    }

    // Top-down: walk the gaps from the highest down, and take the highest
    // aligned address in the first gap that fits. This is an O(n) scan over
    // the regions. Linux avoids it by keeping, in every tree node, the largest
    // gap of its subtree (the "augmented" rbtree of 3.8+, now the maple
    // tree's gap tracking), which makes the search O(log n); for a teaching
    // kernel with few regions per process the scan is fine.
    uint64_t top = highest;  // the gap being looked at is [bottom, top)
    const Region* region = tree_.last();
    for (size_t steps = 0;; ++steps) {
        VERIFY(steps <= tree_.size());
        const uint64_t bottom = region ? k::max(region->end, lowest) : lowest;
        if (top > bottom && top - bottom >= length) {
            const uint64_t candidate = k::align_down(top - length, alignment);
            if (candidate >= bottom) return candidate;
        }
        if (!region) break;
        top = k::min(top, region->start);
        if (top <= lowest) break;
        region = Tree::prev(*region);
    }
    return k::error(k::Errno::enomem);
}

// ---- clone_into (fork), clear -----------------------------------------------

k::Result<void> RegionMap::add_clone_of(Region& source) {
    Region* copy = allocator_.allocate();
    if (!copy) return k::error(k::Errno::enomem);
    VERIFY(!copy->node.is_linked());
    copy->start = source.start;
    copy->end = source.end;
    copy->prot = source.prot;
    copy->flags = source.flags;
    copy->object = source.object;
    copy->object_offset = source.object_offset;
    tree_.insert(*copy);
    total_bytes_ += copy->size();
    if (observer_) {
        k::Result<void> hooked = observer_->on_clone(source, *copy);
        if (!hooked) {
            // The hook undid its own work: take the region back without on_remove.
            tree_.erase(*copy);
            total_bytes_ -= copy->size();
            allocator_.free(copy);
            return k::error(hooked.error());
        }
    }
    return {};
}

void RegionMap::clear() {
    const size_t bound = tree_.size();
    for (size_t steps = 0; Region* region = tree_.first(); ++steps) {
        VERIFY(steps < bound);
        erase_and_free(*region);
    }
    VERIFY(total_bytes_ == 0);
}

// ---- check_invariants -------------------------------------------------------

bool RegionMap::check_invariants() const {
    if (!tree_.check_invariants()) return false;
    uint64_t previous_end = 0;
    uint64_t total = 0;
    size_t count = 0;
    for (const Region& region : tree_) {
        if (++count > tree_.size()) return false;
        if (region.start >= region.end) return false;
        if (region.start < kMmapMinAddr || region.end > kUserTop) return false;
        if ((region.prot & ~kProtMask) || (region.flags & ~kRegionFlagMask)) return false;
        if (region.has(kRegionHuge1G) && !region.has(kRegionHugetlb)) return false;
        if (!k::is_aligned(region.start, region.page_size()) || !k::is_aligned(region.end, region.page_size()))
            return false;
        if (region.start < previous_end) return false;  // overlap or out of order
        previous_end = region.end;
        total += region.size();
    }
    return count == tree_.size() && total == total_bytes_;
}

}  // namespace mm
