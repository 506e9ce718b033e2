#include "arch/x86_64/gdt.h"

#include "libk/string.h"

namespace arch {

namespace {

// A code/data descriptor: in long mode only the access byte and the L bit
// matter (SDM Vol. 3A §3.4.5, Figure 3-8).
constexpr uint64_t segment_descriptor(bool code, unsigned dpl, bool long_mode) {
    uint64_t access = (1u << 7)                 // present
                      | (uint64_t{dpl} << 5)    // privilege level
                      | (1u << 4)               // code/data (not system)
                      | (code ? (1u << 3) : 0)  // executable
                      | (1u << 1);              // readable code / writable data
    uint64_t flags = long_mode ? 0x2 : 0xc;     // L for 64-bit code; 32-bit: G+D
    return (access << 40) | (flags << 52) | (code && !long_mode ? 0x000f00000000ffffull : 0);
}

static_assert(segment_descriptor(true, 0, true) == 0x00209a0000000000ull);
static_assert(segment_descriptor(false, 0, false) == 0x00c0920000000000ull);

struct [[gnu::packed]] DescriptorPointer {
    uint16_t limit;
    uint64_t base;
};

}  // namespace

void load_gdt_and_tss(CpuDescriptorTables& t, uint64_t ist_stack_tops[3]) {
    memset(&t, 0, sizeof t);
    t.gdt[1] = segment_descriptor(true, 0, true);
    t.gdt[2] = segment_descriptor(false, 0, false);
    t.gdt[3] = segment_descriptor(true, 3, false);
    t.gdt[4] = segment_descriptor(false, 3, false);
    t.gdt[5] = segment_descriptor(true, 3, true);

    t.tss.ist[kIstDoubleFault - 1] = ist_stack_tops[0];
    t.tss.ist[kIstNmi - 1] = ist_stack_tops[1];
    t.tss.ist[kIstMachineCheck - 1] = ist_stack_tops[2];
    t.tss.io_map_base = sizeof(TaskStateSegment);  // no I/O permission bitmap

    // The TSS descriptor is 16 bytes: a system descriptor (type 9, available
    // 64-bit TSS) whose base spans both halves (SDM Vol. 3A §7.2.3).
    uint64_t base = reinterpret_cast<uint64_t>(&t.tss);
    uint64_t limit = sizeof(TaskStateSegment) - 1;
    t.gdt[6] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
               (((base >> 24) & 0xff) << 56);
    t.gdt[7] = base >> 32;

    DescriptorPointer pointer{sizeof t.gdt - 1, reinterpret_cast<uint64_t>(t.gdt)};
    asm volatile(
        "lgdt %0\n"
        // Reload CS with a far return, then the data segments.
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "movw %w2, %%ds\n"
        "movw %w2, %%es\n"
        "movw %w2, %%ss\n"
        "ltr %w3\n"
        :
        : "m"(pointer), "i"(uint64_t{kKernelCodeSelector}), "r"(uint32_t{kKernelDataSelector}),
          "r"(uint32_t{kTssSelector})
        : "rax", "memory");
}

}  // namespace arch
