#pragma once
// The register frame built by arch/x86_64/interrupt_entry.asm, lowest
// address first: the general registers it pushes, then the vector and error
// code, then what the CPU pushed (Intel SDM Vol. 3A §6.14.1, Figure 6-9).
#include <stddef.h>
#include <stdint.h>

namespace arch {

struct InterruptFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;
    uint64_t rip, cs, rflags, rsp, ss;

    bool from_user() const { return (cs & 3) != 0; }
};
static_assert(sizeof(InterruptFrame) == 22 * 8);
static_assert(offsetof(InterruptFrame, cs) == 18 * 8, "interrupt_entry.asm tests CS at this offset");

// Exception vectors (Intel SDM Vol. 3A Table 6-1).
enum Vector : uint8_t {
    kDivideError = 0,
    kDebug = 1,
    kNmi = 2,
    kBreakpoint = 3,
    kOverflow = 4,
    kBoundRange = 5,
    kInvalidOpcode = 6,
    kDeviceNotAvailable = 7,
    kDoubleFault = 8,
    kInvalidTss = 10,
    kSegmentNotPresent = 11,
    kStackFault = 12,
    kGeneralProtection = 13,
    kPageFault = 14,
    kX87Fpu = 16,
    kAlignmentCheck = 17,
    kMachineCheck = 18,
    kSimd = 19,
    kVirtualization = 20,
    kControlProtection = 21,
    kFirstExternal = 32,
};

const char* exception_name(uint64_t vector);

// Page-fault error code bits (Intel SDM Vol. 3A §4.7).
constexpr uint64_t kPfPresent = 1u << 0;
constexpr uint64_t kPfWrite = 1u << 1;
constexpr uint64_t kPfUser = 1u << 2;
constexpr uint64_t kPfReserved = 1u << 3;
constexpr uint64_t kPfInstructionFetch = 1u << 4;

}  // namespace arch
