#pragma once
// The Interrupt Descriptor Table: one gate per vector, all pointing at the
// stubs in interrupt_entry.asm, which funnel into interrupt_dispatch().
#include <stdint.h>

namespace arch {

struct InterruptFrame;

// Builds the (shared) IDT once and loads it on the calling CPU.
void load_idt();

// The kernel's C++ handler for every vector: exceptions, and later IRQs.
using InterruptHandler = void (*)(InterruptFrame& frame);
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);
// Runs after the handler of every interrupt (vectors 32-255), just before
// returning to the interrupted code: where the scheduler preempts.
using InterruptExitHook = void (*)(InterruptFrame& frame);
void set_interrupt_exit_hook(InterruptExitHook hook);
// Runs instead of the exit hook when the frame returns to user mode, for
// exceptions too; returns with interrupts off.
void set_user_return_hook(InterruptExitHook hook);

// Runs for vectors with no handler of their own.
void set_default_interrupt_handler(InterruptHandler handler);

}  // namespace arch
