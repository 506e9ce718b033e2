#include "kernel/proc/user_entry.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/fault_catcher.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/user_mode.h"
#include "kernel/cpu.h"
#include "kernel/fs/console_file.h"
#include "kernel/log.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/panic.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/proc/user_state.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscall/syscall.h"

namespace proc {

// Everything that must happen before user code runs again. Returns with
// interrupts off, so nothing can set new work between the last check and
// the IRETQ/SYSRET.
void prepare_return_to_user(arch::InterruptFrame& frame) {
    for (unsigned rounds = 0;; ++rounds) {
        arch::disable_interrupts();
        if (kernel::this_cpu()->need_resched) {
            arch::enable_interrupts();
            sched::schedule();
            continue;
        }
        UserThread* self = current_user_thread();
        if (rounds < 2 * kSignalCount && signal_pending(*self)) {
            arch::enable_interrupts();
            deliver_pending_signals(frame);
            continue;
        }
        return;
    }
}

namespace {

void interrupt_return_hook(arch::InterruptFrame& frame) { prepare_return_to_user(frame); }

int signal_for_exception(uint64_t vector) {
    switch (vector) {
        case arch::kDivideError:
        case arch::kX87Fpu:
        case arch::kSimd: return kSigFpe;
        case arch::kInvalidOpcode: return kSigIll;
        case arch::kDebug:
        case arch::kBreakpoint: return kSigTrap;
        case arch::kAlignmentCheck: return kSigBus;
        default: return kSigSegv;
    }
}

void user_fault(arch::InterruptFrame& frame, uint64_t fault_address) {
    arch::enable_interrupts();
    UserThread* self = current_user_thread();
    if (self == nullptr) kernel::panic_with_frame(frame, "user-mode exception in a kernel thread");
    if (frame.vector == arch::kPageFault) {
        const uint64_t error = frame.error_code;
        const mm::FaultAccess access = (error & arch::kPfInstructionFetch) ? mm::FaultAccess::Execute
                                       : (error & arch::kPfWrite)         ? mm::FaultAccess::Write
                                                                          : mm::FaultAccess::Read;
        mm::FaultResult result = mm::FaultResult::NoRegion;
        if (fault_address < arch::kUserTop && !(error & arch::kPfReserved)) {
            result = sched::current_thread()->address_space->handle_fault(fault_address, access);
        }
        if (result == mm::FaultResult::Resolved) return;
        if (result == mm::FaultResult::OutOfMemory) {
            log_error("out of memory: killing pid %d (%s) at a fault on 0x%lx", self->process->pid,
                      self->process->name, fault_address);
            force_signal(*self, kSigKill, fault_address);
            return;
        }
        force_signal(*self, kSigSegv, fault_address,
                     result == mm::FaultResult::Protection ? kSegvAccErr : kSegvMapErr);
        return;
    }
    force_signal(*self, signal_for_exception(frame.vector), frame.rip);
}

bool kernel_user_access_fault(arch::InterruptFrame& frame, uint64_t fault_address) {
    sched::Thread* thread = sched::current_thread();
    if (thread->address_space == nullptr || thread->pagefault_disabled != 0 || thread->preempt_count != 0 ||
        !(frame.rflags & arch::kRflagsInterrupt)) {
        return false;
    }
    arch::enable_interrupts();
    const bool write = (frame.error_code & arch::kPfWrite) != 0;
    const mm::FaultResult result =
        thread->address_space->handle_fault(fault_address, write ? mm::FaultAccess::Write : mm::FaultAccess::Read);
    arch::disable_interrupts();
    return result == mm::FaultResult::Resolved;
}

}  // namespace

void user_mode_init() {
    arch::set_user_return_hook(interrupt_return_hook);
    arch::set_user_fault_handlers(user_fault, kernel_user_access_fault);
}

arch::InterruptFrame* user_frame(sched::Thread* thread) {
    return reinterpret_cast<arch::InterruptFrame*>(thread->stack.top - sizeof(arch::InterruptFrame));
}

void return_to_user(arch::InterruptFrame& frame) {
    prepare_return_to_user(frame);
    arch_return_to_user(&frame);
}

bool restore_user_fpu_checked(UserThread& thread) {
    void* area = thread.fpu_state;
    const arch::CaughtFault fault = arch::call_catching_faults([area] { arch::fpu_restore(area); });
    if (!fault.faulted) return true;
    arch::fpu_state_init(area);
    arch::fpu_restore(area);
    return false;
}

void switch_user_state(sched::Thread* previous, sched::Thread* next) {
    if (previous->user != nullptr && previous->state != sched::ThreadState::Dead) {
        arch::fpu_save(previous->user->fpu_state);
    }
    if (next->user != nullptr) {
        arch::fpu_restore(next->user->fpu_state);
        arch::set_fs_base(next->user->fs_base);
        arch::set_kernel_stack(next->stack.top);
    }
    if (previous->address_space != next->address_space) {
        if (previous->address_space != nullptr) previous->address_space->deactivate_on_this_cpu();
        if (next->address_space != nullptr) {
            next->address_space->activate_on_this_cpu();
        } else {
            arch::write_cr3(mm::kernel_root_table());
        }
    }
}

k::Result<void> install_console_descriptors(fs::FileTable& files) {
    for (int fd = 0; fd < 3; ++fd) {
        fs::File* console = TRY(fs::open_console());
        auto installed = files.install_at(fd, console, false);
        if (!installed.ok()) {
            console->put();
            return k::error(installed.error());
        }
    }
    return {};
}

void release_user_state(sched::Thread* thread) {
    if (thread->user != nullptr) destroy_user_thread(thread->user);
    thread->user = nullptr;
}

}  // namespace proc

extern "C" void syscall_dispatch(arch::InterruptFrame* frame) {
    proc::current_user_thread()->syscall_number = frame->rax;
    frame->rax = static_cast<uint64_t>(syscall::dispatch(*frame));
    proc::prepare_return_to_user(*frame);  // syscall_entry.asm then leaves through the frame
}
