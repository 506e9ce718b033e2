#include "arch/x86_64/idt.h"

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/interrupt_frame.h"

extern "C" const uint64_t interrupt_stub_table[256];

namespace arch {

namespace {

// A 64-bit interrupt gate (SDM Vol. 3A §6.14.1, Figure 6-8). Interrupt gates
// clear IF on entry, so handlers start with interrupts off.
struct [[gnu::packed]] IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attributes;
    uint16_t offset_middle;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

constexpr uint8_t kInterruptGatePresent = 0x8e;  // P=1, DPL=0, type 0xE
constexpr uint8_t kDplUser = 3 << 5;

alignas(16) IdtGate idt[256];
InterruptHandler handlers[256];
InterruptHandler default_handler;
InterruptExitHook exit_hook;
InterruptExitHook user_return_hook;
bool idt_built = false;

IdtGate make_gate(uint64_t target, uint8_t ist, uint8_t dpl_bits) {
    return IdtGate{static_cast<uint16_t>(target), kKernelCodeSelector, ist,
                   static_cast<uint8_t>(kInterruptGatePresent | dpl_bits),
                   static_cast<uint16_t>(target >> 16), static_cast<uint32_t>(target >> 32), 0};
}

void build_idt() {
    for (unsigned v = 0; v < 256; ++v) {
        uint8_t ist = 0;
        if (v == kDoubleFault) ist = kIstDoubleFault;
        if (v == kNmi) ist = kIstNmi;
        if (v == kMachineCheck) ist = kIstMachineCheck;
        // int3 may be used from user mode (debuggers); everything else is
        // reachable only by hardware or from ring 0.
        uint8_t dpl = v == kBreakpoint ? kDplUser : 0;
        idt[v] = make_gate(interrupt_stub_table[v], ist, dpl);
    }
    idt_built = true;
}

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};

}  // namespace

void load_idt() {
    if (!idt_built) build_idt();
    DescriptorPointer pointer{sizeof idt - 1, reinterpret_cast<uint64_t>(idt)};
    asm volatile("lidt %0" : : "m"(pointer) : "memory");
}

void set_interrupt_handler(uint8_t vector, InterruptHandler handler) { handlers[vector] = handler; }
void set_default_interrupt_handler(InterruptHandler handler) { default_handler = handler; }
void set_interrupt_exit_hook(InterruptExitHook hook) { exit_hook = hook; }
void set_user_return_hook(InterruptExitHook hook) { user_return_hook = hook; }

// Called from interrupt_entry.asm with the frame it built.
extern "C" void interrupt_dispatch(InterruptFrame* frame) {
    InterruptHandler handler = handlers[frame->vector & 0xff];
    if (handler == nullptr) handler = default_handler;
    handler(*frame);
    // Back to user mode: the kernel's return work (rescheduling, signals)
    // runs, whatever the vector. Back to kernel code: only interrupts may
    // preempt it.
    if (frame->from_user() && user_return_hook != nullptr) {
        user_return_hook(*frame);
    } else if (frame->vector >= kFirstExternal && exit_hook != nullptr) {
        exit_hook(*frame);
    }
}

}  // namespace arch
