#include "kernel/test/runner.h"

#include <stdarg.h>

#include "kernel/log.h"
#include "kernel/test/ktest.h"
#include "libk/format.h"
#include "libk/glob.h"
#include "libk/string.h"

extern "C" const kernel::test::TestCase __ktests_start[];
extern "C" const kernel::test::TestCase __ktests_end[];

namespace kernel::test {

void Context::fail(const char* file, int line, const char* format, ...) {
    if (failed_) return;  // keep the first reason: later ones often follow from it
    failed_ = true;
    // Only the file's base name: the reason must stay on one short line.
    const char* base = file;
    for (const char* p = file; *p != '\0'; ++p) {
        if (*p == '/') base = p + 1;
    }
    int n = k::snprintf(reason_, sizeof reason_, "%s:%d: ", base, line);
    if (n < 0 || static_cast<size_t>(n) >= sizeof reason_) return;
    va_list args;
    va_start(args, format);
    k::vsnprintf(reason_ + n, sizeof reason_ - n, format, args);
    va_end(args);
}

Summary run_tests(k::StringView patterns) {
    if (patterns == k::StringView("all")) patterns = k::StringView("*");
    Summary summary;
    char full_name[128];
    for (const TestCase* test = __ktests_start; test < __ktests_end; ++test) {
        k::snprintf(full_name, sizeof full_name, "%s.%s", test->suite, test->name);
        if (!k::glob_match_any(patterns, k::StringView(full_name))) continue;
        Context context;
        test->run(context);
        if (context.failed()) {
            ++summary.failed;
            kprintf("TEST %s FAIL %s\n", full_name, context.reason());
        } else if (context.skip_reason() != nullptr) {
            ++summary.skipped;
            kprintf("TEST %s SKIP %s\n", full_name, context.skip_reason());
        } else {
            ++summary.passed;
            kprintf("TEST %s PASS\n", full_name);
        }
    }
    if (summary.skipped != 0) {
        kprintf("%u passed, %u failed, %u skipped\n", summary.passed, summary.failed, summary.skipped);
    } else {
        kprintf("%u passed, %u failed\n", summary.passed, summary.failed);
    }
    return summary;
}

}  // namespace kernel::test
