#include "arch/x86_64/serial.h"

extern "C" [[noreturn]] void kernel_main(unsigned protocol, unsigned info_phys) {
    arch::com1().initialize();
    const char msg[] = "hello from the kernel\n";
    arch::com1().write(msg, sizeof msg - 1);
    (void)protocol; (void)info_phys;
    for (;;) asm volatile("cli; hlt");
}
