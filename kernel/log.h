#pragma once
// The kernel log: formatted lines to every console (serial and framebuffer).
//
//   log_info("pmm: %lu MiB free", free_bytes >> 20);
//
// kprintf() writes raw text with no level prefix: the test runner uses it for
// the machine-readable TEST/BENCH lines, which must start at column 0.
#include <stdarg.h>

namespace kernel {

enum class LogLevel { Debug, Info, Warn, Error, Raw };

void kprintf(const char* format, ...) __attribute__((format(printf, 1, 2)));
void vlog(LogLevel level, const char* format, va_list args) __attribute__((format(printf, 2, 0)));
void log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) ::kernel::log(::kernel::LogLevel::Debug, __VA_ARGS__)
#define log_info(...) ::kernel::log(::kernel::LogLevel::Info, __VA_ARGS__)
#define log_warn(...) ::kernel::log(::kernel::LogLevel::Warn, __VA_ARGS__)
#define log_error(...) ::kernel::log(::kernel::LogLevel::Error, __VA_ARGS__)

}  // namespace kernel
