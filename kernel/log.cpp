#include "kernel/log.h"

#include "kernel/console.h"
#include "libk/format.h"

namespace kernel {

namespace {

class ConsoleSink final : public k::FormatSink {
public:
    explicit ConsoleSink(LogLevel level) : level_(level) {}
    void write(const char* text, size_t length) override { console_write(level_, text, length); }

private:
    LogLevel level_;
};

const char* level_prefix(LogLevel level) {
    switch (level) {
        case LogLevel::Debug: return "[debug] ";
        case LogLevel::Info: return "[info] ";
        case LogLevel::Warn: return "[warn] ";
        case LogLevel::Error: return "[error] ";
        case LogLevel::Raw: return "";
    }
    return "";
}

}  // namespace

void vlog(LogLevel level, const char* format, va_list args) {
    ConsoleSink sink(level);
    k::format(sink, "%s", level_prefix(level));
    k::vformat(sink, format, args);
    if (level != LogLevel::Raw) sink.write("\n", 1);
}

void log(LogLevel level, const char* format, ...) {
    va_list args;
    va_start(args, format);
    vlog(level, format, args);
    va_end(args);
}

void kprintf(const char* format, ...) {
    va_list args;
    va_start(args, format);
    vlog(LogLevel::Raw, format, args);
    va_end(args);
}

}  // namespace kernel
