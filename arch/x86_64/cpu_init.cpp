#include "arch/x86_64/cpu_init.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/percpu.h"

namespace arch {

namespace {

ArchCpu boot_cpu;
alignas(16) uint8_t boot_ist_stacks[3][kIstStackSize];

// The 8259 PICs come up unmasked on BIOS machines and would deliver IRQs on
// vectors 8-15, right over the CPU exceptions. Mask every line; the APICs
// replace them.
void mask_legacy_pics() {
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

}  // namespace

void init_boot_cpu() {
    // GS first: the exception handler finds the fault catcher through it.
    boot_cpu.index = 0;
    boot_cpu.ist_stacks = &boot_ist_stacks[0][0];
    install_percpu(&boot_cpu);
    detect_cpu_features();
    uint64_t ist_tops[3];
    for (int i = 0; i < 3; ++i) ist_tops[i] = reinterpret_cast<uint64_t>(boot_ist_stacks[i] + kIstStackSize);
    load_gdt_and_tss(boot_cpu.tables, ist_tops);
    install_exception_handlers();
    load_idt();
    mask_legacy_pics();
}

}  // namespace arch
