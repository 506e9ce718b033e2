#pragma once
// Nice value -> load weight, for the fair (normal) scheduling class.
//
// A runnable normal thread gets a share of the CPU proportional to its
// weight: with weights w1 and w2, thread 1 gets w1 / (w1 + w2). Nice 0 has
// weight 1024 (a power of two, so "scaled by 1024 / weight" is cheap and exact
// for the common case). Each nice step divides the weight by 1.25:
//
//     weight(nice) = round(1024 / 1.25^nice),  nice = -20..19
//
// Why 1.25: two CPU-bound threads one nice step apart then split the CPU
// 1.25 : 1, i.e. 55.6% : 44.4%, so "one nice level is worth about 10% of CPU"
// whatever the absolute levels are (it is the ratio that matters, and it is
// the same between any two neighbours). Linux uses the same rule; its table
// was tuned by hand and differs from this one by up to 0.3% at the ends.
//
// The table is written out so a reader can see the numbers; the static_assert
// below recomputes every entry from the formula in integer arithmetic (1.25 =
// 5/4, so weight = 1024 * 5^k / 4^k for nice = -k and 1024 * 4^k / 5^k for
// nice = k, rounded to nearest), so the two cannot drift apart.
#include <stddef.h>
#include <stdint.h>

namespace sched {

inline constexpr int kMinNice = -20;
inline constexpr int kMaxNice = 19;
inline constexpr uint32_t kNiceZeroWeight = 1024;

// clang-format off
inline constexpr uint32_t kNiceToWeight[kMaxNice - kMinNice + 1] = {
    /* -20 */ 88818, 71054, 56843, 45475, 36380,
    /* -15 */ 29104, 23283, 18626, 14901, 11921,
    /* -10 */  9537,  7629,  6104,  4883,  3906,
    /*  -5 */  3125,  2500,  2000,  1600,  1280,
    /*   0 */  1024,   819,   655,   524,   419,
    /*   5 */   336,   268,   215,   172,   137,
    /*  10 */   110,    88,    70,    56,    45,
    /*  15 */    36,    29,    23,    18,    15,
};
// clang-format on

// SCHED_IDLE threads: far below nice 19 (weight 15), so they only soak up
// time nobody else wants. Linux uses the same value (WEIGHT_IDLEPRIO).
inline constexpr uint32_t kIdlePolicyWeight = 3;

constexpr bool is_valid_nice(int nice) { return nice >= kMinNice && nice <= kMaxNice; }

constexpr uint32_t weight_of_nice(int nice) { return kNiceToWeight[nice - kMinNice]; }

namespace detail {
constexpr uint64_t power(uint64_t base, int exponent) {
    uint64_t result = 1;
    for (int i = 0; i < exponent; ++i) result *= base;
    return result;
}
// round(1024 / 1.25^nice) without floating point. The largest intermediate,
// 2 * 1024 * 5^20 ~ 2e17, fits easily in 64 bits.
constexpr uint64_t weight_formula(int nice) {
    uint64_t numerator = nice < 0 ? kNiceZeroWeight * power(5, -nice) : kNiceZeroWeight * power(4, nice);
    uint64_t denominator = nice < 0 ? power(4, -nice) : power(5, nice);
    return (2 * numerator + denominator) / (2 * denominator);
}
constexpr bool table_matches_formula() {
    for (int nice = kMinNice; nice <= kMaxNice; ++nice)
        if (weight_of_nice(nice) != weight_formula(nice)) return false;
    return true;
}
}  // namespace detail

static_assert(detail::table_matches_formula(), "kNiceToWeight must be round(1024 / 1.25^nice)");
static_assert(weight_of_nice(0) == kNiceZeroWeight);

}  // namespace sched
