#include "arch/x86_64/cpu_init.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/user_mode.h"

namespace arch {

namespace {

alignas(16) uint8_t boot_ist_stacks[3][kIstStackSize];

// The 8259 PICs come up unmasked on BIOS machines and would deliver IRQs on
// vectors 8-15, right over the CPU exceptions. Mask every line; the APICs
// replace them.
void mask_legacy_pics() {
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

// Process-context identifiers (Intel SDM Vol. 3A §4.10.1): with CR4.PCIDE
// the TLB tags entries with CR3's low 12 bits, so switching address spaces
// need not flush them. The kernel runs as PCID 0 (page-aligned CR3); user
// address spaces will take others. Enabling needs CR3[11:0] = 0, true here.
void enable_pcid_if_present() {
    constexpr uint64_t kCr4Pcide = 1u << 17;
    if (cpu_features().pcid) write_cr4(read_cr4() | kCr4Pcide);
}

void load_cpu_tables(ArchCpu* cpu, uint8_t* ist_stacks) {
    cpu->ist_stacks = ist_stacks;
    uint64_t ist_tops[3];
    for (int i = 0; i < 3; ++i) ist_tops[i] = reinterpret_cast<uint64_t>(ist_stacks + (i + 1) * kIstStackSize);
    load_gdt_and_tss(cpu->tables, ist_tops);
    load_idt();
}

}  // namespace

void init_boot_cpu(ArchCpu* cpu) {
    // GS first: the exception handler finds the fault catcher through it.
    install_percpu(cpu);
    detect_cpu_features();
    install_exception_handlers();
    load_cpu_tables(cpu, &boot_ist_stacks[0][0]);
    mask_legacy_pics();
    enable_pcid_if_present();
    init_user_mode_support();
}

void init_application_cpu(ArchCpu* cpu, uint8_t* ist_stacks) {
    install_percpu(cpu);
    load_cpu_tables(cpu, ist_stacks);
    enable_pcid_if_present();
    init_user_mode_support();
}

}  // namespace arch
