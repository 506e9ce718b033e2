#pragma once
// Where kernel output goes: COM1 and, when the boot loader handed one over,
// the framebuffer text console. Either may be absent; output goes to those
// that exist. Log levels pick the framebuffer colour.
#include <stddef.h>

#include "kernel/log.h"

namespace drivers {
class FbConsole;
}

namespace kernel {

void console_write(LogLevel level, const char* text, size_t length);
void console_attach_framebuffer(drivers::FbConsole* console);
bool console_has_framebuffer();

}  // namespace kernel
