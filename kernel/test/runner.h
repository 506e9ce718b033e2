#pragma once
#include "libk/string_view.h"

namespace kernel::test {

struct Summary {
    unsigned passed = 0, failed = 0, skipped = 0;
};

// Runs every registered test whose "suite.name" matches one of the
// comma-separated globs in `patterns` ("all" means every test), printing the
// TEST lines and the closing "N passed, N failed" line.
Summary run_tests(k::StringView patterns);

}  // namespace kernel::test
