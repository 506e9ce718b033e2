#pragma once
// Processes and their threads.
//
// A Process is what fork() creates: an address space, a file table, signal
// handlers, a pid, a parent and children. Its threads (clone with
// CLONE_THREAD) are sched::Threads with a UserThread attached, which holds
// the per-thread user state: TID, FS base, FPU registers, signal mask and
// pending signals, the clear-child-tid word.
//
// Locking: one global spinlock, proc::tree_lock() (interrupts off), guards
// the process tree (parent, children, state, exit status), the pid table,
// every thread list and all pending-signal sets. Process trees change
// rarely and briefly; one lock keeps the exit/wait/reparent/kill
// interactions easy to reason about, which matters more here than scaling.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "kernel/fs/file_table.h"
#include "kernel/proc/signal.h"
#include "kernel/sync/spinlock.h"
#include "kernel/sync/wait_queue.h"
#include "libk/list.h"
#include "libk/result.h"

namespace mm {
class AddressSpace;
}
namespace k {
struct InitrdNode;
}
namespace sched {
struct Thread;
}

namespace proc {

struct Process;

struct UserThread {
    sched::Thread* thread = nullptr;
    Process* process = nullptr;
    int tid = 0;
    k::ListNode process_node;

    uint64_t fs_base = 0;
    void* fpu_state = nullptr;  // arch::fpu_state_size() bytes, 64-byte aligned
    void* fpu_allocation = nullptr;  // what kmalloc returned (fpu_state lies inside)
    uint64_t clear_child_tid = 0;  // set_tid_address / CLONE_CHILD_CLEARTID
    uint64_t robust_list = 0;
    uint64_t robust_list_length = 0;

    SignalSet blocked = 0;
    SignalSet pending = 0;  // sent to this thread (tkill, faults)
    // A fault the thread must die of or handle now (SIGSEGV from a page
    // fault): delivered even if blocked or ignored, like Linux's force_sig.
    int forced_signal = 0;
    uint64_t fault_address = 0;
    int fault_code = 0;  // si_code of the forced signal (SEGV_MAPERR, SEGV_ACCERR)
    uint64_t syscall_number = 0;  // of the call in progress, for restarting it after a signal
    // Who sent each pending signal (one instance per standard signal).
    struct PendingInfo {
        int32_t code;
        int32_t pid;
        int32_t status;
    };
    PendingInfo pending_info[kSignalCount] = {};
    bool exiting = false;
    bool restore_mask_after_handler = false;
    SignalSet saved_mask = 0;  // rt_sigsuspend's, restored after the handler
    arch::InterruptFrame* start_frame = nullptr;  // first entry to user mode
};

enum class ProcessState : uint8_t { Alive, Zombie };

enum Resource : unsigned { kRlimitStack = 3, kRlimitNproc = 6, kRlimitAs = 9, kRlimitCount = 16 };
struct ResourceLimit {
    uint64_t current;
    uint64_t maximum;
};
constexpr uint64_t kRlimitInfinity = ~uint64_t{0};

struct Process {
    int pid = 0;
    int pgid = 0;
    int sid = 0;
    Process* parent = nullptr;
    k::ListNode sibling_node;  // in parent->children
    k::ListNode all_node;      // in the global process list
    k::List<Process, &Process::sibling_node> children;
    k::List<UserThread, &UserThread::process_node> threads;
    unsigned live_threads = 0;

    mm::AddressSpace* address_space = nullptr;
    fs::FileTable* files = nullptr;
    SignalHandlers* handlers = nullptr;
    SignalSet shared_pending = 0;
    UserThread::PendingInfo shared_pending_info[kSignalCount] = {};
    UserThread* exec_thread = nullptr;  // execve in progress: every other thread must exit
    ksync::WaitQueue thread_exits;      // execve waits here for them

    ProcessState state = ProcessState::Alive;
    bool group_exiting = false;
    int exit_code = 0;     // the wait status (see wait_status_*)
    bool reaped = false;
    int exit_signal = 17;  // SIGCHLD: what the parent gets when we die
    ksync::WaitQueue child_waiters;  // the parent's wait4 sleeps here
    uint64_t child_generation = 0;   // bumped (tree lock) whenever a child changes state
    ResourceLimit limits[kRlimitCount];
    char name[16] = {};
    const k::InitrdNode* cwd = nullptr;  // working directory (nullptr: the root)
    uint32_t references = 1;  // the tree's, plus one per running thread
    uint64_t start_ns = 0;
    int vfork_done = 0;  // a vfork parent waits for this (exec or exit)
    ksync::WaitQueue vfork_waiters;
};

ksync::SpinLock& tree_lock();

// The calling thread's user state and process (nullptr in kernel threads).
UserThread* current_user_thread();
Process* current_process();

// Starts the first user process (pid 1) running `path` with `argv`.
k::Result<void> start_init(const char* path, const char* const* argv, size_t argc);

// Looks up by pid/tid (tree_lock held).
Process* find_process(int pid);
UserThread* find_thread(int tid);

// Creating processes and threads: clone(2)'s flags.
constexpr uint64_t kCloneVm = 0x100, kCloneFs = 0x200, kCloneFiles = 0x400, kCloneSighand = 0x800,
                   kClonePidfd = 0x1000, kClonePtrace = 0x2000, kCloneVfork = 0x4000, kCloneParent = 0x8000,
                   kCloneThread = 0x10000, kCloneNewNs = 0x20000, kCloneSysvsem = 0x40000,
                   kCloneSettls = 0x80000, kCloneParentSettid = 0x100000, kCloneChildCleartid = 0x200000,
                   kCloneDetached = 0x400000, kCloneUntraced = 0x800000, kCloneChildSettid = 0x1000000,
                   kCloneNewPid = 0x20000000;
struct CloneArgs {
    uint64_t flags;
    uint64_t stack;
    uint64_t parent_tid;
    uint64_t child_tid;
    uint64_t tls;
};
k::Result<int> clone(const CloneArgs& args, const arch::InterruptFrame& parent_frame);

// Ends the calling thread; with `whole_group`, every thread of its process.
[[noreturn]] void exit_thread(int wait_status, bool whole_group);
// Wait status encodings (wait(2)): exited with a code, killed by a signal.
constexpr int wait_status_exited(int code) { return (code & 0xff) << 8; }
constexpr int wait_status_signaled(int signal) { return signal & 0x7f; }

k::Result<int> wait4(int pid, uint64_t user_status, int options, uint64_t user_rusage);

// Replaces the calling process's program (argv/envp already in the kernel).
k::Result<void> execve(const char* path, const char* const* argv, size_t argc, const char* const* envp, size_t envc,
                       arch::InterruptFrame& frame);

// Allocates a thread's FPU area in its initial state.
k::Result<void*> allocate_fpu_state(void*& allocation);

// Frees a thread id that is not a process id (tree lock held).
void release_thread_id(int tid);

// How many processes exist (for RLIMIT_NPROC and tests).
size_t process_count();

// Calls fn(process) for every live or zombie process (tree_lock held).
k::List<Process, &Process::all_node>& all_processes();
template <typename Fn> void for_each_process(Fn&& fn) {
    for (Process& process : all_processes()) fn(process);
}

}  // namespace proc
