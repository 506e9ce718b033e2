#pragma once
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
    void (*run)();
};

}  // namespace kernel::test

#define KBENCH(name)                                                                          \
    static void kbench_##name();                                                              \
    [[gnu::used, gnu::section(".kbench")]] static const ::kernel::test::BenchCase             \
        kbench_case_##name{#name, kbench_##name};                                             \
    static void kbench_##name()
