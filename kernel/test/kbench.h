#pragma once
#include <stdint.h>

// In-kernel benchmarks. A benchmark registers itself in the .kbench linker
// section and times one operation per sample with the TSC:
//
//   KBENCH(kmalloc_free_64) {
//       void* p = mm::kmalloc(64);
//       mm::kfree(p);
//   }
//
// The runner (kernel/test/bench_runner.cpp) runs it many times and prints
//   BENCH <name> <median> cycles (p10=<x> p90=<y> n=<samples>)
// Under QEMU -icount (make bench) a TSC tick is one guest instruction, so
// the numbers are instruction counts, identical from run to run.
namespace kernel::test {

struct BenchCase {
    const char* name;
    void (*run)();  // one operation (KBENCH), or null
    // Fills samples itself (KBENCH_SAMPLED): for operations that span
    // threads or CPUs. Returns how many it took (0: not possible here,
    // e.g. a cross-CPU benchmark on one CPU).
    unsigned (*sample)(uint64_t* samples, unsigned count);
};

}  // namespace kernel::test

#define KBENCH(name)                                                                          \
    static void kbench_##name();                                                              \
    [[gnu::used, gnu::section(".kbench")]] static const ::kernel::test::BenchCase             \
        kbench_case_##name{#name, kbench_##name, nullptr};                                    \
    static void kbench_##name()

#define KBENCH_SAMPLED(name)                                                                  \
    static unsigned kbench_##name(uint64_t* samples, unsigned count);                         \
    [[gnu::used, gnu::section(".kbench")]] static const ::kernel::test::BenchCase             \
        kbench_case_##name{#name, nullptr, kbench_##name};                                    \
    static unsigned kbench_##name([[maybe_unused]] uint64_t* samples, [[maybe_unused]] unsigned count)
