#pragma once
#include "libk/string_view.h"

namespace kernel::test {

// Runs the registered benchmarks whose names match the comma-separated
// globs ("all" for every one) and prints their BENCH lines.
unsigned run_benchmarks(k::StringView patterns);

}  // namespace kernel::test
