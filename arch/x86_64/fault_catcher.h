#pragma once
// Running code that is expected to fault, and getting the fault back as a
// value instead of a panic (see fault_catcher.asm). Tests use it to prove
// that protections hold; later, user-memory copies use the same idea.
#include <stdint.h>

#include "libk/utility.h"

namespace arch {

struct FaultRecovery {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, resume_rip;
    uint64_t vector, error_code, fault_address;
    FaultRecovery* previous;
};

struct CaughtFault {
    bool faulted = false;
    uint8_t vector = 0;
    uint64_t error_code = 0;
    uint64_t address = 0;  // CR2 for page faults
};

}  // namespace arch

extern "C" uint64_t arch_call_catching_faults(void (*fn)(void*), void* arg, arch::FaultRecovery* rec);

namespace arch {

// Runs fn() and reports the first CPU exception it raised, if any.
template <typename Fn> CaughtFault call_catching_faults(Fn&& fn) {
    FaultRecovery recovery{};
    using Callable = k::RemoveReferenceT<Fn>;
    auto trampoline = [](void* arg) { (*static_cast<Callable*>(arg))(); };
    CaughtFault result;
    if (arch_call_catching_faults(trampoline, const_cast<void*>(static_cast<const void*>(&fn)), &recovery) != 0) {
        result.faulted = true;
        result.vector = static_cast<uint8_t>(recovery.vector);
        result.error_code = recovery.error_code;
        result.address = recovery.fault_address;
    }
    return result;
}

}  // namespace arch
