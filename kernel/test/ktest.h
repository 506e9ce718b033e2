#pragma once
// In-kernel tests. A test registers itself in the .ktests linker section:
//
//   KTEST(pmm, alloc_and_free) {
//       auto page = ...;
//       KEXPECT(page != nullptr);
//       KEXPECT_EQ(free_before, free_after);
//   }
//
// The runner (kernel/test/runner.cpp) runs those whose "suite.name" matches
// the command line's test=<glob> and prints the machine-readable lines of
// the test contract (TEST <suite>.<name> PASS | FAIL <reason> | SKIP <why>).
#include <stdint.h>

namespace kernel::test {

class Context {
public:
    // Records a failure (the first one becomes the FAIL reason) and goes on.
    void fail(const char* file, int line, const char* format, ...) __attribute__((format(printf, 4, 5)));
    void skip(const char* reason) { skip_reason_ = reason; }

    bool failed() const { return failed_; }
    const char* skip_reason() const { return skip_reason_; }
    const char* reason() const { return reason_; }

private:
    bool failed_ = false;
    const char* skip_reason_ = nullptr;
    char reason_[192] = {};
};

struct TestCase {
    const char* suite;
    const char* name;
    void (*run)(Context&);
};

}  // namespace kernel::test

#define KTEST(suite, name)                                                                        \
    static void ktest_##suite##_##name(::kernel::test::Context& ktest_context);                  \
    [[gnu::used, gnu::section(".ktests")]] static const ::kernel::test::TestCase                  \
        ktest_case_##suite##_##name{#suite, #name, ktest_##suite##_##name};                       \
    static void ktest_##suite##_##name([[maybe_unused]] ::kernel::test::Context& ktest_context)

#define KEXPECT(cond)                                                       \
    do {                                                                    \
        if (!(cond)) ktest_context.fail(__FILE__, __LINE__, "%s", #cond);   \
    } while (0)

// Compares as unsigned 64-bit values, which covers addresses, counts and
// enums; both values are printed on failure.
#define KEXPECT_EQ(a, b)                                                                            \
    do {                                                                                            \
        uint64_t ktest_a = (uint64_t)(a), ktest_b = (uint64_t)(b);                                  \
        if (ktest_a != ktest_b)                                                                     \
            ktest_context.fail(__FILE__, __LINE__, "%s == %s (0x%lx vs 0x%lx)", #a, #b, ktest_a, ktest_b); \
    } while (0)

// Stops the test at the first failure (for checks later steps depend on).
#define KASSERT(cond)                                                       \
    do {                                                                    \
        if (!(cond)) {                                                      \
            ktest_context.fail(__FILE__, __LINE__, "%s", #cond);            \
            return;                                                         \
        }                                                                   \
    } while (0)

#define KSKIP(reason)                      \
    do {                                   \
        ktest_context.skip(reason);        \
        return;                            \
    } while (0)
