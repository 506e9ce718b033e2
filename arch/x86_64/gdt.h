#pragma once
// The Global Descriptor Table and Task State Segment of a CPU.
//
// Long mode ignores segment bases and limits for code and data, but still
// needs descriptors to say "64-bit code, ring 0/3", and a TSS to hold the
// stack pointers the CPU switches to: RSP0 on entry from user mode, and the
// Interrupt Stack Table (IST) for exceptions that must not trust the current
// stack (double fault, NMI, machine check). Intel SDM Vol. 3A §3.4.5, §7.7.
#include <stdint.h>

namespace arch {

// Selector layout. User code/data follow the order SYSRET requires
// (STAR[63:48] + 8 = user SS, + 16 = user 64-bit CS; SDM Vol. 2B SYSRET).
constexpr uint16_t kKernelCodeSelector = 0x08;
constexpr uint16_t kKernelDataSelector = 0x10;
constexpr uint16_t kUserCode32Selector = 0x18 | 3;
constexpr uint16_t kUserDataSelector = 0x20 | 3;
constexpr uint16_t kUserCodeSelector = 0x28 | 3;
constexpr uint16_t kTssSelector = 0x30;

// IST slots (1-based in the IDT gate, as the hardware numbers them).
constexpr uint8_t kIstDoubleFault = 1;
constexpr uint8_t kIstNmi = 2;
constexpr uint8_t kIstMachineCheck = 3;
constexpr unsigned kIstStackSize = 16384;

struct [[gnu::packed]] TaskStateSegment {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

struct alignas(16) CpuDescriptorTables {
    uint64_t gdt[8];  // null, kcode, kdata, ucode32, udata, ucode64, tss (2 slots)
    TaskStateSegment tss;
};

// Fills and loads the GDT and TSS for the calling CPU, with its IST stacks.
void load_gdt_and_tss(CpuDescriptorTables& tables, uint64_t ist_stack_tops[3]);

}  // namespace arch
