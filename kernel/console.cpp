#include "kernel/console.h"

#include "arch/x86_64/serial.h"
#include "kernel/drivers/fb_console.h"

namespace kernel {

namespace {

drivers::FbConsole* framebuffer = nullptr;

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
    if (framebuffer != nullptr) {
        framebuffer->set_colors(color_for(level), drivers::kColorBlack);
        framebuffer->write(text, length);
    }
}

void console_attach_framebuffer(drivers::FbConsole* console) { framebuffer = console; }
bool console_has_framebuffer() { return framebuffer != nullptr; }

}  // namespace kernel
