#pragma once
// The console as a file: writes go to the kernel console (serial and
// framebuffer); reads come through the line discipline, fed by a kernel
// thread ("tty") from the keyboard and serial input queue. Ctrl-C sends
// SIGINT to the console's foreground process group.
#include "kernel/fs/file.h"
#include "libk/result.h"

namespace fs {

void console_file_init();          // starts the tty thread
k::Result<File*> open_console();   // a new open file on the console
void set_console_foreground_group(int pgid);
int console_foreground_group();

}  // namespace fs
