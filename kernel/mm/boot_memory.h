#pragma once
// The early physical-memory allocator, used before the buddy allocator
// exists: it hands out the page-table frames for the kernel's own page
// tables and the array of Page descriptors, which the buddy allocator
// itself needs. It is a list of free ranges (usable RAM minus everything
// reserved) that allocations are carved from; what is left at the end is
// given to the buddy allocator, and BootMemory is not used again.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

namespace mm {

class BootMemory {
public:
    static constexpr size_t kMaxRanges = 256;

    struct Range {
        uint64_t base;
        uint64_t end;  // exclusive
    };

    // Adds usable memory. Ranges are trimmed to whole pages; overlapping or
    // adjacent ranges are merged. Returns false when the table is full (the
    // range is dropped: less memory, never corruption).
    bool add_usable(uint64_t base, uint64_t length);
    // Removes [base, base + length) from the free ranges (kernel image,
    // modules, firmware areas...), widening to whole pages. Returns false if
    // a split would need more table slots than there are.
    bool reserve(uint64_t base, uint64_t length);
    // Takes `bytes` (rounded up to pages) aligned to `alignment` from the
    // highest free range that fits below `limit`. ENOMEM if nothing fits.
    k::Result<uint64_t> allocate(uint64_t bytes, uint64_t alignment, uint64_t limit = ~uint64_t{0});

    size_t range_count() const { return count_; }
    const Range& range(size_t i) const { return ranges_[i]; }
    uint64_t free_bytes() const;
    uint64_t highest_end() const { return count_ == 0 ? 0 : ranges_[count_ - 1].end; }

private:
    bool insert_at(size_t index, Range range);
    void erase_at(size_t index);

    Range ranges_[kMaxRanges] = {};  // sorted by base, disjoint, non-adjacent
    size_t count_ = 0;
};

}  // namespace mm
