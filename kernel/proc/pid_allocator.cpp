#include "kernel/proc/pid_allocator.h"

#include "libk/verify.h"

namespace proc {

namespace {

constexpr uint32_t kBitsPerWord = 64;

uint64_t bit_of(uint32_t pid) { return uint64_t{1} << (pid % kBitsPerWord); }

}  // namespace

PidAllocator::PidAllocator(uint64_t* bitmap_words, PidSpaceConfig config)
    : words_(bitmap_words), max_pid_(config.max_pid), wrap_floor_(config.wrap_floor), limit_(config.limit) {
    VERIFY(words_ != nullptr);
    VERIFY(max_pid_ >= 1 && max_pid_ <= kPidMaxLimit);
    VERIFY(wrap_floor_ >= 1 && wrap_floor_ <= max_pid_);
    for (size_t i = 0; i < words_needed(max_pid_); ++i) words_[i] = 0;
}

uint32_t PidAllocator::find_free(uint32_t first, uint32_t last) const {
    if (first > last) return 0;
    DEBUG_VERIFY(first >= 1 && last <= max_pid_);

    uint32_t word = first / kBitsPerWord;
    const uint32_t last_word = last / kBitsPerWord;
    // Free PIDs are the clear bits. In the first word, those below `first`
    // are out of range.
    uint64_t free_bits = ~words_[word] & (~uint64_t{0} << (first % kBitsPerWord));
    for (;;) {
        if (word == last_word) {
            // So are those above `last` in the last word.
            const uint32_t top = last % kBitsPerWord;
            if (top != kBitsPerWord - 1) free_bits &= (uint64_t{1} << (top + 1)) - 1;
            break;
        }
        if (free_bits != 0) break;
        free_bits = ~words_[++word];
    }
    if (free_bits == 0) return 0;
    return word * kBitsPerWord + static_cast<uint32_t>(__builtin_ctzll(free_bits));
}

void PidAllocator::mark(uint32_t pid) {
    words_[pid / kBitsPerWord] |= bit_of(pid);
    ++count_;
}

k::Result<uint32_t> PidAllocator::allocate() {
    if (count_ >= limit_ || count_ == max_pid_) return k::error(k::Errno::eagain);

    // Above the cursor first...
    uint32_t pid = last_ < max_pid_ ? find_free(last_ + 1, max_pid_) : 0;
    if (pid == 0) {
        // ...then wrap around. Everything above last_ was just searched, so
        // [floor, last_] is what is left. Linux wraps to 1 until the cursor
        // has passed RESERVED_PIDS once (alloc_pid(): pid_min = 1 unless the
        // cursor is above RESERVED_PIDS); so does this.
        const uint32_t floor = last_ >= wrap_floor_ ? wrap_floor_ : 1;
        pid = find_free(floor, last_);
    }
    if (pid == 0) return k::error(k::Errno::eagain);

    mark(pid);
    last_ = pid;
    return pid;
}

k::Result<void> PidAllocator::allocate_specific(uint32_t pid) {
    if (pid == 0 || pid > max_pid_) return k::error(k::Errno::einval);
    if (is_allocated(pid)) return k::error(k::Errno::eexist);
    if (count_ >= limit_) return k::error(k::Errno::eagain);
    mark(pid);
    return {};
}

void PidAllocator::free(uint32_t pid) {
    VERIFY(is_allocated(pid));
    words_[pid / kBitsPerWord] &= ~bit_of(pid);
    --count_;
}

bool PidAllocator::is_allocated(uint32_t pid) const {
    if (pid == 0 || pid > max_pid_) return false;
    return (words_[pid / kBitsPerWord] & bit_of(pid)) != 0;
}

}  // namespace proc
