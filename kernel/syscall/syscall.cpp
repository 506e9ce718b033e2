#include "kernel/syscall/syscall.h"

#include "kernel/log.h"
#include "kernel/proc/process.h"

namespace syscall {

namespace {

constexpr unsigned kTableSize = 512;

struct Table {
    Handler handlers[kTableSize] = {};
    constexpr Table() {
#define TEACHOS_REGISTER_SYSCALL(number, name) handlers[number] = sys_##name;
        TEACHOS_SYSCALLS(TEACHOS_REGISTER_SYSCALL)
#undef TEACHOS_REGISTER_SYSCALL
    }
};
constexpr Table table;

uint64_t reported[kTableSize / 64];

}  // namespace

int64_t dispatch(arch::InterruptFrame& frame) {
    const uint64_t number = frame.rax;
    const Args args{frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9};
    if (number < kTableSize && table.handlers[number] != nullptr) return table.handlers[number](args, frame);
    // Unknown: -ENOSYS, and one log line per number so a missing call is
    // easy to spot when a new program does not work.
    const uint64_t slot = number < kTableSize ? number : kTableSize - 1;
    const uint64_t bit = uint64_t{1} << (slot % 64);
    if ((__atomic_fetch_or(&reported[slot / 64], bit, __ATOMIC_RELAXED) & bit) == 0) {
        proc::Process* process = proc::current_process();
        log_warn("syscall %lu not implemented (pid %d, %s): ENOSYS", number, process ? process->pid : 0,
                 process ? process->name : "?");
    }
    return fail(k::Errno::enosys);
}

}  // namespace syscall
