#include "kernel/console.h"

#include "arch/x86_64/serial.h"
#include "kernel/drivers/fb_console.h"
#include "libk/string.h"

namespace kernel {

namespace {

drivers::FbConsole* framebuffer = nullptr;

// Everything logged before the framebuffer console exists (it needs the
// kernel's page tables) is kept here and replayed onto the screen when it
// attaches, so a machine without a serial port still shows the early boot.
// Text beyond the buffer's size is dropped, oldest lines kept.
constexpr size_t kEarlyLogSize = 16384;
char early_log[kEarlyLogSize];
size_t early_log_length = 0;

drivers::Rgb color_for(LogLevel level) {
    switch (level) {
        case LogLevel::Debug: return drivers::kColorDebug;
        case LogLevel::Warn: return drivers::kColorWarn;
        case LogLevel::Error: return drivers::kColorError;
        case LogLevel::Info:
        case LogLevel::Raw: return drivers::kColorInfo;
    }
    return drivers::kColorInfo;
}

}  // namespace

void console_write(LogLevel level, const char* text, size_t length) {
    arch::com1().write(text, length);
    if (framebuffer == nullptr) {
        size_t room = kEarlyLogSize - early_log_length;
        size_t n = length < room ? length : room;
        memcpy(early_log + early_log_length, text, n);
        early_log_length += n;
    } else {
        framebuffer->set_colors(color_for(level), drivers::kColorBlack);
        framebuffer->write(text, length);
    }
}

void console_attach_framebuffer(drivers::FbConsole* console) {
    console->set_colors(drivers::kColorInfo, drivers::kColorBlack);
    console->write(early_log, early_log_length);
    early_log_length = 0;
    framebuffer = console;
}
bool console_has_framebuffer() { return framebuffer != nullptr; }

}  // namespace kernel
