// Process and thread life: creation (clone/fork), exit, wait, the pid table.
#include "kernel/proc/process.h"

#include "arch/x86_64/qemu_exit.h"
#include "arch/x86_64/user_mode.h"
#include "kernel/futex/futex.h"
#include "kernel/log.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/pid_allocator.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/proc/user_entry.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/time/clock.h"
#include "libk/new.h"
#include "libk/string.h"

namespace proc {

namespace {

ksync::SpinLock process_tree_lock;
k::List<Process, &Process::all_node> process_list;
size_t processes = 0;

// One id space for processes and threads, as in Linux: a thread's TID is
// unique among all PIDs and TIDs (issue 7 gives each pspace its own).
constexpr uint32_t kMaxPid = 32768;
uint64_t pid_bitmap[PidAllocator::words_needed(kMaxPid)];
PidAllocator pids(pid_bitmap, PidSpaceConfig{.max_pid = kMaxPid, .wrap_floor = 300, .limit = PidSpaceConfig::kNoLimit});


Process* init_process = nullptr;

void free_process(Process* process) {
    process->~Process();
    mm::kfree(process);
}

// The tree holds one reference (dropped when the zombie is reaped); exit
// holds one on the parent while it notifies it.
void put_process(Process* process) {
    if (__atomic_sub_fetch(&process->references, 1, __ATOMIC_ACQ_REL) == 0) free_process(process);
}

k::Result<Process*> allocate_process() {
    void* memory = mm::kzalloc(sizeof(Process));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto process = new (memory) Process();
    for (auto& limit : process->limits) limit = {kRlimitInfinity, kRlimitInfinity};
    process->limits[kRlimitStack] = {8u << 20, kRlimitInfinity};
    process->limits[kRlimitNproc] = {4096, 4096};
    process->start_ns = ktime::monotonic_ns();
    return process;
}

// Undoes a process that never ran: its resources and, once `linked` into
// the tree with a pid, its place there.
void discard_unstarted_process(Process* process, bool linked) {
    if (linked) {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        process->parent->children.remove(*process);
        process_list.remove(*process);
        --processes;
        pids.free(static_cast<uint32_t>(process->pid));
    }
    if (process->address_space != nullptr) process->address_space->put();
    if (process->files != nullptr) process->files->put();
    if (process->handlers != nullptr) put_handlers(process->handlers);
    free_process(process);
}

k::Result<UserThread*> allocate_user_thread() {
    void* memory = mm::kzalloc(sizeof(UserThread));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto thread = new (memory) UserThread();
    auto fpu = allocate_fpu_state(thread->fpu_allocation);
    if (!fpu.ok()) {
        mm::kfree(thread);
        return k::error(k::Errno::enomem);
    }
    thread->fpu_state = fpu.value();
    return thread;
}

void free_user_thread(UserThread* thread) {
    mm::kfree(thread->start_frame);
    mm::kfree(thread->fpu_allocation);
    thread->~UserThread();
    mm::kfree(thread);
}

// The first code a new user thread runs, in kernel mode on its own stack:
// put its first user frame where the entry code expects it and leave.
void user_thread_start(void* argument) {
    auto self = static_cast<UserThread*>(argument);
    __atomic_store_n(&self->thread, sched::current_thread(), __ATOMIC_RELEASE);
    arch::InterruptFrame* frame = user_frame(self->thread);
    *frame = *self->start_frame;
    mm::kfree(self->start_frame);
    self->start_frame = nullptr;
    return_to_user(*frame);
}

k::Result<sched::Thread*> start_user_thread(UserThread* user, Process* process, const arch::InterruptFrame& frame) {
    user->start_frame = static_cast<arch::InterruptFrame*>(mm::kmalloc(sizeof(arch::InterruptFrame)));
    if (user->start_frame == nullptr) return k::error(k::Errno::enomem);
    *user->start_frame = frame;
    user->process = process;
    sched::ThreadOptions options{};
    options.name = process->name;
    options.detached = true;
    options.address_space = process->address_space;
    options.user = user;
    options.reserved_stack_top = sizeof(arch::InterruptFrame);
    process->address_space->get();  // the thread's own reference
    // Linked before it can run: an exit in the new thread finds itself.
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        process->threads.push_back(*user);
        ++process->live_threads;
    }
    auto thread = sched::thread_create(user_thread_start, user, options);
    if (!thread.ok()) {
        process->address_space->put();
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        process->threads.remove(*user);
        --process->live_threads;
        return k::error(thread.error());
    }
    __atomic_store_n(&user->thread, thread.value(), __ATOMIC_RELEASE);
    return thread.value();
}


}  // namespace

ksync::SpinLock& tree_lock() { return process_tree_lock; }
void destroy_user_thread(UserThread* thread) { free_user_thread(thread); }
void release_thread_id(int tid) { pids.free(static_cast<uint32_t>(tid)); }
k::List<Process, &Process::all_node>& all_processes() { return process_list; }

size_t process_count() {
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(process_tree_lock);
    return processes;
}

UserThread* current_user_thread() { return sched::current_thread()->user; }
Process* current_process() {
    UserThread* thread = current_user_thread();
    return thread != nullptr ? thread->process : nullptr;
}

Process* find_process(int pid) {
    for (Process& process : process_list) {
        if (process.pid == pid) return &process;
    }
    return nullptr;
}

UserThread* find_thread(int tid) {
    for (Process& process : process_list) {
        for (UserThread& thread : process.threads) {
            if (thread.tid == tid) return &thread;
        }
    }
    return nullptr;
}

k::Result<void*> allocate_fpu_state(void*& allocation) {
    // XSAVE wants 64-byte alignment, which kmalloc does not promise (debug
    // red zones shift objects): over-allocate and align.
    allocation = mm::kmalloc(arch::fpu_state_size() + arch::kFpuStateAlign);
    if (allocation == nullptr) return k::error(k::Errno::enomem);
    void* area = reinterpret_cast<void*>(k::align_up(reinterpret_cast<uint64_t>(allocation), arch::kFpuStateAlign));
    arch::fpu_state_init(area);
    return area;
}

// --- clone ----------------------------------------------------------------------

k::Result<int> clone(const CloneArgs& args, const arch::InterruptFrame& parent_frame) {
    const uint64_t flags = args.flags;
    // The combinations Linux refuses (kernel/fork.c copy_process).
    if ((flags & kCloneThread) && !(flags & kCloneSighand)) return k::error(k::Errno::einval);
    if ((flags & kCloneSighand) && !(flags & kCloneVm)) return k::error(k::Errno::einval);
    if (flags & (kCloneNewNs | kCloneNewPid | kClonePidfd)) return k::error(k::Errno::einval);
    if ((flags & 0xff) != 0 && (flags & 0xff) > 64) return k::error(k::Errno::einval);

    UserThread* parent_thread = current_user_thread();
    Process* parent = parent_thread->process;
    const bool new_process = !(flags & kCloneThread);

    UserThread* user = TRY(allocate_user_thread());
    // The child starts with the parent's FPU registers as they are now.
    arch::fpu_save(parent_thread->fpu_state);
    memcpy(user->fpu_state, parent_thread->fpu_state, arch::fpu_state_size());
    user->fs_base = (flags & kCloneSettls) ? args.tls : parent_thread->fs_base;
    user->blocked = parent_thread->blocked;
    if (flags & kCloneChildCleartid) user->clear_child_tid = args.child_tid;

    Process* process = parent;
    if (new_process) {
        {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(process_tree_lock);
            if (processes >= parent->limits[kRlimitNproc].current) {
                free_user_thread(user);
                return k::error(k::Errno::eagain);
            }
        }
        auto allocated = allocate_process();
        if (!allocated.ok()) {
            free_user_thread(user);
            return k::error(k::Errno::enomem);
        }
        process = allocated.value();
        memcpy(process->limits, parent->limits, sizeof process->limits);
        memcpy(process->name, parent->name, sizeof process->name);
        process->cwd = parent->cwd;
        process->pgid = parent->pgid;
        process->sid = parent->sid;
        process->exit_signal = static_cast<int>(flags & 0xff);

        k::Result<void> status{};
        if (flags & kCloneVm) {
            process->address_space = parent->address_space;
            process->address_space->get();
        } else {
            mm::AddressSpace* space = parent->address_space;
            space->lock().down_write();
            auto copy = space->fork_copy();
            space->lock().up_write();
            if (copy.ok()) process->address_space = copy.value();
            else status = k::error(copy.error());
        }
        if (status.ok()) {
            if (flags & kCloneFiles) {
                process->files = parent->files;
                process->files->get();
            } else {
                auto files = parent->files->duplicate();
                if (files.ok()) process->files = files.value();
                else status = k::error(files.error());
            }
        }
        if (status.ok()) {
            if (flags & kCloneSighand) {
                process->handlers = parent->handlers;
                __atomic_fetch_add(&process->handlers->references, 1, __ATOMIC_RELAXED);
            } else {
                auto handlers = copy_handlers(parent->handlers);
                if (handlers.ok()) process->handlers = handlers.value();
                else status = k::error(handlers.error());
            }
        }
        if (status.ok()) {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(process_tree_lock);
            auto pid = pids.allocate();
            if (pid.ok()) {
                process->pid = static_cast<int>(pid.value());
                user->tid = process->pid;
                Process* new_parent = (flags & kCloneParent) && parent->parent != nullptr ? parent->parent : parent;
                process->parent = new_parent;
                new_parent->children.push_back(*process);
                process_list.push_back(*process);
                ++processes;
            } else {
                status = k::error(pid.error());
            }
        }
        if (!status.ok()) {
            discard_unstarted_process(process, false);
            free_user_thread(user);
            return k::error(status.error());
        }
    } else {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        auto tid = pids.allocate();
        if (!tid.ok()) {
            free_user_thread(user);
            return k::error(tid.error());
        }
        user->tid = static_cast<int>(tid.value());
    }
    const int tid = user->tid;

    // The tid words, written before the child runs. Linux ignores bad
    // pointers here, and so do we.
    if (flags & kCloneParentSettid) (void)mm::put_user<int32_t>(args.parent_tid, tid);
    if (flags & kCloneChildSettid) {
        // In the child's memory: the same as ours with CLONE_VM, its copy otherwise.
        if (flags & kCloneVm) {
            (void)mm::put_user<int32_t>(args.child_tid, tid);
        } else if (mm::user_range_ok(args.child_tid, sizeof(int32_t))) {
            (void)process->address_space->write_remote(args.child_tid, &tid, sizeof tid);
        }
    }

    arch::InterruptFrame frame = parent_frame;
    frame.rax = 0;
    if (args.stack != 0) frame.rsp = args.stack;

    if (flags & kCloneVfork) process->vfork_done = 0;
    auto thread = start_user_thread(user, process, frame);
    if (!thread.ok()) {
        if (new_process) {
            discard_unstarted_process(process, true);  // as if it had exited at once, unannounced
        } else {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(process_tree_lock);
            pids.free(static_cast<uint32_t>(tid));
        }
        free_user_thread(user);
        return k::error(thread.error());
    }
    if (flags & kCloneVfork) {
        // The parent sleeps until the child has exec'd or exited: they
        // share the address space until then (vfork(2)).
        process->vfork_waiters.wait_until([process] { return __atomic_load_n(&process->vfork_done, __ATOMIC_ACQUIRE) != 0; });
    }
    return tid;
}

// --- Starting pid 1 ----------------------------------------------------------------

k::Result<void> start_init(const char* path, const char* const* argv, size_t argc) {
    Process* process = TRY(allocate_process());
    process->address_space = TRY(mm::AddressSpace::create());
    process->files = TRY(fs::FileTable::create());
    process->handlers = TRY(copy_handlers(nullptr));
    TRY(install_console_descriptors(*process->files));
    UserThread* user = TRY(allocate_user_thread());
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        process->pid = static_cast<int>(TRY(pids.allocate()));
        process->pgid = process->pid;
        process->sid = process->pid;
        user->tid = process->pid;
        process_list.push_back(*process);
        ++processes;
        init_process = process;
    }
    // Load the program now, from the kernel, into the new address space.
    const char* envp[] = {"HOME=/", "PATH=/bin:/tests", "TERM=linux"};
    arch::InterruptFrame frame{};
    TRY(load_program(*process, *user, path, argv, argc, envp, 3, frame));
    TRY(start_user_thread(user, process, frame));
    return {};
}

// --- exit ------------------------------------------------------------------------------

namespace {

// Gives `process`'s children to init (tree lock held). A zombie among them
// tells init so it can reap it.
void reparent_children(Process* process) {
    while (Process* child = process->children.pop_front()) {
        child->parent = init_process;
        init_process->children.push_back(*child);
    }
}

[[noreturn]] void power_off_after_init(int status) {
    const bool exited = (status & 0x7f) == 0;
    const int code = (status >> 8) & 0xff;
    if (exited) {
        log_info("init exited with status %d; powering off", code);
    } else {
        log_error("init was killed by signal %d; powering off", status & 0x7f);
    }
    arch::qemu_exit(exited && code == 0 ? arch::QemuExitStatus::kSuccess : arch::QemuExitStatus::kFailure);
}

}  // namespace

void exit_thread(int wait_status, bool whole_group) {
    UserThread* self = current_user_thread();
    Process* process = self->process;
    sched::Thread* thread = sched::current_thread();
    // Our own reference: once this thread is off the list, the parent may
    // reap the process at any moment, and we still wake its waiters.
    __atomic_fetch_add(&process->references, 1, __ATOMIC_RELAXED);
    if (whole_group) begin_group_exit(process, wait_status);

    // set_tid_address / CLONE_CHILD_CLEARTID: zero the word and wake one
    // waiter: that is how pthread_join learns the thread is gone.
    if (self->clear_child_tid != 0) {
        if (mm::put_user<int32_t>(self->clear_child_tid, 0).ok()) {
            (void)futex::wake(self->clear_child_tid, 1, futex::kBitsetAll, true);
        }
    }
    futex::exit_robust_list(*self);

    bool last;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        self->exiting = true;
        process->threads.remove(*self);
        last = --process->live_threads == 0;
        if (!last && self->tid != process->pid) pids.free(static_cast<uint32_t>(self->tid));
    }

    // Leave the address space: run on the kernel's tables from here on.
    mm::AddressSpace* space = thread->address_space;
    {
        kernel::IrqSaveGuard irq;
        space->deactivate_on_this_cpu();
        thread->address_space = nullptr;
        arch::write_cr3(mm::kernel_root_table());
    }
    space->put();

    if (!last) {
        process->thread_exits.wake_all();  // an execve may be waiting for this
        put_process(process);
        sched::thread_exit();
    }

    // The last thread tears the process down.
    const int status = process->group_exiting ? process->exit_code : wait_status;
    process->files->put();
    process->files = nullptr;
    put_handlers(process->handlers);
    process->handlers = nullptr;
    mm::AddressSpace* process_space = process->address_space;
    process->address_space = nullptr;
    process_space->put();

    if (process == init_process) power_off_after_init(status);

    Process* parent;
    bool auto_reap;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process_tree_lock);
        // Thread ids other than the pid were freed as threads left; the pid
        // stays taken until the zombie is reaped.
        if (self->tid != process->pid) pids.free(static_cast<uint32_t>(self->tid));
        reparent_children(process);
        process->exit_code = status;
        parent = process->parent;
        auto_reap = parent_ignores_children(parent);
        process->state = ProcessState::Zombie;
        ++parent->child_generation;
        ++init_process->child_generation;
        // Keeps the parent alive until the notifications below are done.
        __atomic_fetch_add(&parent->references, 1, __ATOMIC_RELAXED);
        if (auto_reap) {
            parent->children.remove(*process);
            process_list.remove(*process);
            --processes;
            pids.free(static_cast<uint32_t>(process->pid));
        }
        __atomic_store_n(&process->vfork_done, 1, __ATOMIC_RELEASE);
    }
    process->vfork_waiters.wake_all();
    const int exit_signal = process->exit_signal;
    const int pid = process->pid;
    if (auto_reap) put_process(process);
    if (!auto_reap && exit_signal != 0) send_child_signal(parent, exit_signal, pid, status);
    parent->child_waiters.wake_all();
    if (init_process != parent) init_process->child_waiters.wake_all();
    put_process(parent);
    put_process(process);
    sched::thread_exit();
}

// --- wait4 ----------------------------------------------------------------------------------

namespace {

constexpr int kWaitNoHang = 1;
constexpr int kWaitUntraced = 2;
constexpr int kWaitAll = 0x40000000, kWaitClone = static_cast<int>(0x80000000u), kWaitNoThread = 0x20000000;

bool wait_matches(const Process& child, int pid, const Process& self) {
    if (pid > 0) return child.pid == pid;
    if (pid == -1) return true;
    if (pid == 0) return child.pgid == self.pgid;
    return child.pgid == -pid;
}

}  // namespace

k::Result<int> wait4(int pid, uint64_t user_status, int options, uint64_t user_rusage) {
    if (options & ~(kWaitNoHang | kWaitUntraced | 8 /* WCONTINUED */ | kWaitAll | kWaitClone | kWaitNoThread)) {
        return k::error(k::Errno::einval);
    }
    if (pid == INT32_MIN) return k::error(k::Errno::esrch);
    Process* self = current_process();
    UserThread* me = current_user_thread();
    for (;;) {
        int found_pid = 0;
        int status = 0;
        bool any = false;
        uint64_t generation;
        Process* reaped = nullptr;
        {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(process_tree_lock);
            generation = self->child_generation;
            for (Process& child : self->children) {
                if (!wait_matches(child, pid, *self)) continue;
                any = true;
                if (child.state != ProcessState::Zombie) continue;
                found_pid = child.pid;
                status = child.exit_code;
                self->children.remove(child);
                process_list.remove(child);
                --processes;
                pids.free(static_cast<uint32_t>(child.pid));
                child.reaped = true;
                reaped = &child;
                break;
            }
        }
        if (reaped != nullptr) put_process(reaped);
        if (found_pid != 0) {
            if (user_status != 0) TRY(mm::put_user<int32_t>(user_status, status));
            if (user_rusage != 0) TRY(mm::clear_user(user_rusage, 144));
            return found_pid;
        }
        if (!any) return k::error(k::Errno::echild);
        if (options & kWaitNoHang) return 0;
        // Sleep until a child changes state or a signal arrives.
        self->child_waiters.wait_until([self, generation, me] {
            return __atomic_load_n(&self->child_generation, __ATOMIC_ACQUIRE) != generation || signal_pending(*me);
        });
        if (signal_pending(*me)) return k::error(k::Errno::eintr);
    }
}

}  // namespace proc
