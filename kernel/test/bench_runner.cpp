#include "kernel/test/bench_runner.h"

#include "arch/x86_64/cpu.h"
#include "kernel/log.h"
#include "kernel/test/kbench.h"
#include "libk/glob.h"

extern "C" const kernel::test::BenchCase __kbench_start[];
extern "C" const kernel::test::BenchCase __kbench_end[];

namespace kernel::test {

namespace {

constexpr unsigned kWarmup = 64;
constexpr unsigned kSamples = 1001;
uint64_t samples[kSamples];

// Heapsort: no allocation, no recursion, O(n log n) for any input.
void sort(uint64_t* values, unsigned count) {
    auto sift_down = [values](unsigned root, unsigned end) {
        while (2 * root + 1 < end) {
            unsigned child = 2 * root + 1;
            if (child + 1 < end && values[child] < values[child + 1]) ++child;
            if (values[root] >= values[child]) return;
            uint64_t tmp = values[root];
            values[root] = values[child];
            values[child] = tmp;
            root = child;
        }
    };
    for (unsigned i = count / 2; i-- > 0;) sift_down(i, count);
    for (unsigned end = count; end-- > 1;) {
        uint64_t tmp = values[0];
        values[0] = values[end];
        values[end] = tmp;
        sift_down(0, end);
    }
}

void measure(void (*run)()) {
    for (unsigned i = 0; i < kWarmup; ++i) run();
    // The cost of reading the TSC twice is measured and subtracted, so
    // the number is the operation alone.
    uint64_t overhead = ~uint64_t{0};
    for (unsigned i = 0; i < 64; ++i) {
        uint64_t start = arch::read_tsc();
        uint64_t end = arch::read_tsc();
        if (end - start < overhead) overhead = end - start;
    }
    for (unsigned i = 0; i < kSamples; ++i) {
        uint64_t start = arch::read_tsc();
        run();
        uint64_t end = arch::read_tsc();
        uint64_t ticks = end - start;
        samples[i] = ticks > overhead ? ticks - overhead : 0;
    }
}

}  // namespace

unsigned run_benchmarks(k::StringView patterns) {
    if (patterns == k::StringView("all")) patterns = k::StringView("*");
    unsigned count = 0;
    for (const BenchCase* bench = __kbench_start; bench < __kbench_end; ++bench) {
        if (!k::glob_match_any(patterns, k::StringView(bench->name))) continue;
        unsigned taken = kSamples;
        if (bench->sample != nullptr) {
            taken = bench->sample(samples, kSamples);
            if (taken == 0) continue;
        } else {
            measure(bench->run);
        }
        sort(samples, taken);
        kprintf("BENCH %s %lu cycles (p10=%lu p90=%lu n=%u)\n", bench->name, samples[taken / 2], samples[taken / 10],
                samples[taken * 9 / 10], taken);
        ++count;
    }
    return count;
}

}  // namespace kernel::test
