#pragma once
// A set of CPUs (affinity masks, shootdown targets): one bit per CPU index.
#include <stdint.h>

namespace k {

class CpuMask {
public:
    static constexpr unsigned kMaxCpus = 256;

    constexpr CpuMask() = default;
    static constexpr CpuMask all() {
        CpuMask m;
        for (auto& word : m.words_) word = ~uint64_t{0};
        return m;
    }
    static constexpr CpuMask only(unsigned cpu) {
        CpuMask m;
        m.set(cpu);
        return m;
    }

    constexpr void set(unsigned cpu) {
        if (cpu < kMaxCpus) words_[cpu / 64] |= uint64_t{1} << (cpu % 64);
    }
    constexpr void clear(unsigned cpu) {
        if (cpu < kMaxCpus) words_[cpu / 64] &= ~(uint64_t{1} << (cpu % 64));
    }
    constexpr bool has(unsigned cpu) const { return cpu < kMaxCpus && (words_[cpu / 64] >> (cpu % 64)) & 1; }
    constexpr bool empty() const {
        for (uint64_t word : words_) {
            if (word != 0) return false;
        }
        return true;
    }
    // The lowest CPU in the set at or after `from`, or kMaxCpus.
    constexpr unsigned next(unsigned from = 0) const {
        for (unsigned cpu = from; cpu < kMaxCpus;) {
            uint64_t word = words_[cpu / 64] >> (cpu % 64);
            if (word != 0) return cpu + static_cast<unsigned>(__builtin_ctzll(word));
            cpu = (cpu / 64 + 1) * 64;
        }
        return kMaxCpus;
    }
    constexpr bool operator==(const CpuMask&) const = default;

private:
    uint64_t words_[kMaxCpus / 64] = {};
};

}  // namespace k
