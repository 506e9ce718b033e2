#include "kernel/mm/boot_memory.h"

#include "kernel/mm/page.h"
#include "libk/utility.h"

namespace mm {

bool BootMemory::insert_at(size_t index, Range range) {
    if (count_ == kMaxRanges) return false;
    for (size_t i = count_; i > index; --i) ranges_[i] = ranges_[i - 1];
    ranges_[index] = range;
    ++count_;
    return true;
}

void BootMemory::erase_at(size_t index) {
    for (size_t i = index; i + 1 < count_; ++i) ranges_[i] = ranges_[i + 1];
    --count_;
}

bool BootMemory::add_usable(uint64_t base, uint64_t length) {
    if (length == 0 || base + length < base) return true;  // empty or wrapping: ignore
    uint64_t start = k::align_up(base, kPageSize);
    uint64_t end = k::align_down(base + length, kPageSize);
    if (start >= end) return true;
    // Merge with every range it overlaps or touches.
    size_t i = 0;
    while (i < count_ && ranges_[i].end < start) ++i;
    while (i < count_ && ranges_[i].base <= end) {
        start = k::min(start, ranges_[i].base);
        end = k::max(end, ranges_[i].end);
        erase_at(i);
    }
    return insert_at(i, Range{start, end});
}

bool BootMemory::reserve(uint64_t base, uint64_t length) {
    if (length == 0) return true;
    uint64_t start = k::align_down(base, kPageSize);
    uint64_t end = base + length < base ? ~uint64_t{0} : k::align_up(base + length, kPageSize);
    for (size_t i = 0; i < count_;) {
        Range& r = ranges_[i];
        if (r.end <= start || r.base >= end) {
            ++i;
            continue;
        }
        if (r.base < start && r.end > end) {  // reservation in the middle: split
            Range upper{end, r.end};
            r.end = start;
            return insert_at(i + 1, upper);
        }
        if (r.base < start) {
            r.end = start;
            ++i;
        } else if (r.end > end) {
            r.base = end;
            ++i;
        } else {
            erase_at(i);
        }
    }
    return true;
}

k::Result<uint64_t> BootMemory::allocate(uint64_t bytes, uint64_t alignment, uint64_t limit) {
    bytes = k::align_up(bytes, kPageSize);
    if (bytes == 0 || !k::is_power_of_two(alignment)) return k::error(k::Errno::einval);
    for (size_t i = count_; i > 0; --i) {
        const Range& r = ranges_[i - 1];
        uint64_t top = k::min(r.end, limit);
        if (top <= r.base || top - r.base < bytes) continue;
        uint64_t base = k::align_down(top - bytes, alignment);
        if (base < r.base) continue;
        if (!reserve(base, bytes)) return k::error(k::Errno::enomem);
        return base;
    }
    return k::error(k::Errno::enomem);
}

uint64_t BootMemory::free_bytes() const {
    uint64_t total = 0;
    for (size_t i = 0; i < count_; ++i) total += ranges_[i].end - ranges_[i].base;
    return total;
}

}  // namespace mm
