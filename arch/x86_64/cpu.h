#pragma once
// Thin wrappers over single x86-64 instructions. Only arch/ and boot/ may
// contain inline assembly; everything else calls these.
#include <stdint.h>

namespace arch {

inline void outb(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t value) { asm volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t value) { asm volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
    uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline uint64_t read_msr(uint32_t msr) {
    uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
    return (uint64_t{high} << 32) | low;
}
inline void write_msr(uint32_t msr, uint64_t value) {
    asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32)));
}

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};
inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline uint64_t read_cr0() { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
inline uint64_t read_cr2() { uint64_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
inline uint64_t read_cr3() { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
inline uint64_t read_cr4() { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
inline void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
inline void write_cr4(uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

inline void invlpg(uint64_t virt) { asm volatile("invlpg (%0)" : : "r"(virt) : "memory"); }

inline uint64_t read_rflags() {
    uint64_t flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    return flags;
}
inline void disable_interrupts() { asm volatile("cli" ::: "memory"); }
inline void enable_interrupts() { asm volatile("sti" ::: "memory"); }
inline void halt() { asm volatile("hlt" ::: "memory"); }
// STI takes effect after the next instruction, so no interrupt can slip in
// between: the CPU sleeps, and any interrupt, even one pending already,
// wakes it. The idle loop's building block.
inline void enable_interrupts_and_halt() { asm volatile("sti; hlt" ::: "memory"); }
inline bool interrupts_enabled() { return read_rflags() & (1u << 9); }
inline void pause() { asm volatile("pause"); }
inline uint64_t read_tsc() {
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t{high} << 32) | low;
}

[[noreturn]] inline void halt_forever() {
    for (;;) {
        disable_interrupts();
        halt();
    }
}

inline uint64_t frame_pointer() { return reinterpret_cast<uint64_t>(__builtin_frame_address(0)); }

inline void write_xcr0(uint64_t v) {
    asm volatile("xsetbv" : : "c"(0), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)));
}

// Model-specific registers and control-register bits the kernel uses.
constexpr uint32_t kMsrEfer = 0xc0000080;
constexpr uint64_t kEferSce = 1u << 0;  // SYSCALL/SYSRET enabled
constexpr uint64_t kEferNxe = 1u << 11;
constexpr uint32_t kMsrStar = 0xc0000081;   // SYSCALL/SYSRET selectors
constexpr uint32_t kMsrLstar = 0xc0000082;  // 64-bit SYSCALL entry point
constexpr uint32_t kMsrFmask = 0xc0000084;  // RFLAGS bits SYSCALL clears
constexpr uint32_t kMsrFsBase = 0xc0000100;
constexpr uint64_t kCr0MonitorCoprocessor = 1u << 1;
constexpr uint64_t kCr0Emulation = 1u << 2;
constexpr uint64_t kCr0TaskSwitched = 1u << 3;
constexpr uint64_t kCr0NumericError = 1u << 5;
constexpr uint64_t kCr4Osfxsr = 1u << 9;
constexpr uint64_t kCr4Osxmmexcpt = 1u << 10;
constexpr uint64_t kCr4Osxsave = 1u << 18;
constexpr uint64_t kCr4Smep = 1u << 20;
constexpr uint64_t kCr4Smap = 1u << 21;
constexpr uint64_t kRflagsTrap = 1u << 8;
constexpr uint64_t kRflagsInterrupt = 1u << 9;
constexpr uint64_t kRflagsDirection = 1u << 10;
constexpr uint64_t kRflagsNestedTask = 1u << 14;
constexpr uint64_t kRflagsResume = 1u << 16;
constexpr uint64_t kRflagsAlignmentCheck = 1u << 18;
constexpr uint64_t kCr0WriteProtect = 1u << 16;
constexpr uint64_t kCr4Pge = 1u << 7;

}  // namespace arch
