// Process and thread system calls.
#include "arch/x86_64/qemu_exit.h"
#include "arch/x86_64/user_mode.h"
#include "kernel/futex/futex.h"
#include "kernel/log.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/sync/guards.h"
#include "kernel/syscall/syscall.h"
#include "libk/string.h"

namespace syscall {

namespace {

proc::Process& self() { return *proc::current_process(); }

// argv/envp arrays for execve: copied in whole, bounded like Linux
// (MAX_ARG_STRLEN per string, the whole thing within the argument space).
class StringArray {
public:
    static constexpr size_t kMaxStrings = 4096;
    static constexpr size_t kMaxBytes = 128 * 1024;
    ~StringArray() {
        for (size_t i = 0; i < count_; ++i) mm::kfree(strings_[i]);
        mm::kfree(strings_);
    }
    k::Result<void> copy_from(uint64_t user_array) {
        strings_ = static_cast<char**>(mm::kzalloc(kMaxStrings * sizeof(char*)));
        if (strings_ == nullptr) return k::error(k::Errno::enomem);
        if (user_array == 0) return {};  // Linux accepts NULL as an empty list
        size_t bytes = 0;
        for (;;) {
            const uint64_t pointer = TRY(mm::get_user<uint64_t>(user_array + count_ * 8));
            if (pointer == 0) return {};
            if (count_ == kMaxStrings) return k::error(k::Errno::e2big);
            size_t length = 0;
            // Most strings are short: try a small buffer, then bigger ones,
            // up to MAX_ARG_STRLEN (128 KiB, Linux's limit for one string).
            char* copy = nullptr;
            const size_t capacities[] = {256, 4096, kMaxBytes};
            for (size_t capacity : capacities) {
                copy = static_cast<char*>(mm::kmalloc(capacity));
                if (copy == nullptr) return k::error(k::Errno::enomem);
                auto copied = mm::copy_string_from_user(copy, pointer, capacity, k::Errno::e2big);
                if (copied.ok()) {
                    length = copied.value();
                    break;
                }
                mm::kfree(copy);
                copy = nullptr;
                if (copied.error() != k::Errno::e2big) return k::error(copied.error());
            }
            if (copy == nullptr) return k::error(k::Errno::e2big);
            bytes += length + 1;
            if (bytes > kMaxBytes) {
                mm::kfree(copy);
                return k::error(k::Errno::e2big);
            }
            strings_[count_++] = copy;
        }
    }
    const char* const* data() const { return strings_; }
    size_t count() const { return count_; }

private:
    char** strings_ = nullptr;
    size_t count_ = 0;
};

}  // namespace

int64_t sys_clone(const Args& a, arch::InterruptFrame& frame) {
    // x86-64 order: flags, stack, parent_tid, child_tid, tls.
    const proc::CloneArgs args{a.a0, a.a1, a.a2, a.a3, a.a4};
    return result_of(proc::clone(args, frame));
}
int64_t sys_fork(const Args&, arch::InterruptFrame& frame) {
    return result_of(proc::clone(proc::CloneArgs{proc::kSigChld, 0, 0, 0, 0}, frame));
}
int64_t sys_vfork(const Args&, arch::InterruptFrame& frame) {
    return result_of(
        proc::clone(proc::CloneArgs{proc::kCloneVm | proc::kCloneVfork | proc::kSigChld, 0, 0, 0, 0}, frame));
}

int64_t sys_execve(const Args& a, arch::InterruptFrame& frame) {
    char* path = static_cast<char*>(mm::kmalloc(4096));
    if (path == nullptr) return fail(k::Errno::enomem);
    auto length = mm::copy_string_from_user(path, a.a0, 4096);
    StringArray argv, envp;
    k::Result<void> status{};
    if (!length.ok()) status = k::error(length.error());
    else if (length.value() == 0) status = k::error(k::Errno::enoent);
    if (status.ok()) status = argv.copy_from(a.a1);
    if (status.ok()) status = envp.copy_from(a.a2);
    if (status.ok()) status = proc::execve(path, argv.data(), argv.count(), envp.data(), envp.count(), frame);
    mm::kfree(path);
    return result_of(status);
}

int64_t sys_exit(const Args& a, arch::InterruptFrame&) {
    proc::exit_thread(proc::wait_status_exited(static_cast<int>(a.a0)), false);
}
int64_t sys_exit_group(const Args& a, arch::InterruptFrame&) {
    proc::exit_thread(proc::wait_status_exited(static_cast<int>(a.a0)), true);
}

int64_t sys_wait4(const Args& a, arch::InterruptFrame&) {
    return result_of(proc::wait4(static_cast<int>(a.a0), a.a1, static_cast<int>(a.a2), a.a3));
}

int64_t sys_getpid(const Args&, arch::InterruptFrame&) { return self().pid; }
int64_t sys_gettid(const Args&, arch::InterruptFrame&) { return proc::current_user_thread()->tid; }
int64_t sys_getppid(const Args&, arch::InterruptFrame&) {
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(proc::tree_lock());
    return self().parent != nullptr ? self().parent->pid : 0;
}

int64_t sys_set_tid_address(const Args& a, arch::InterruptFrame&) {
    proc::current_user_thread()->clear_child_tid = a.a0;
    return proc::current_user_thread()->tid;
}

int64_t sys_kill(const Args& a, arch::InterruptFrame&) {
    const int pid = static_cast<int>(a.a0);
    const int signal = static_cast<int>(a.a1);
    if (pid > 0) return result_of(proc::send_to_process(pid, signal, self().pid));
    if (pid == 0) return result_of(proc::send_to_group(self().pgid, signal, self().pid));
    if (pid == -1) return result_of(proc::send_to_all(signal, self().pid));
    if (pid == INT32_MIN) return fail(k::Errno::esrch);
    return result_of(proc::send_to_group(-pid, signal, self().pid));
}
int64_t sys_tkill(const Args& a, arch::InterruptFrame&) {
    return result_of(proc::send_to_thread(0, static_cast<int>(a.a0), static_cast<int>(a.a1), self().pid));
}
int64_t sys_tgkill(const Args& a, arch::InterruptFrame&) {
    if (static_cast<int>(a.a0) <= 0) return fail(k::Errno::einval);
    return result_of(
        proc::send_to_thread(static_cast<int>(a.a0), static_cast<int>(a.a1), static_cast<int>(a.a2), self().pid));
}

int64_t sys_getuid(const Args&, arch::InterruptFrame&) { return 0; }
int64_t sys_getgid(const Args&, arch::InterruptFrame&) { return 0; }
int64_t sys_geteuid(const Args&, arch::InterruptFrame&) { return 0; }
int64_t sys_getegid(const Args&, arch::InterruptFrame&) { return 0; }

int64_t sys_getpgid(const Args& a, arch::InterruptFrame&) {
    const int pid = static_cast<int>(a.a0);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(proc::tree_lock());
    proc::Process* process = pid == 0 ? &self() : proc::find_process(pid);
    if (process == nullptr) return fail(k::Errno::esrch);
    return process->pgid;
}
int64_t sys_getpgrp(const Args&, arch::InterruptFrame&) { return self().pgid; }
int64_t sys_getsid(const Args& a, arch::InterruptFrame&) {
    const int pid = static_cast<int>(a.a0);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(proc::tree_lock());
    proc::Process* process = pid == 0 ? &self() : proc::find_process(pid);
    if (process == nullptr) return fail(k::Errno::esrch);
    return process->sid;
}
int64_t sys_setpgid(const Args& a, arch::InterruptFrame&) {
    int pid = static_cast<int>(a.a0);
    int pgid = static_cast<int>(a.a1);
    if (pgid < 0) return fail(k::Errno::einval);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(proc::tree_lock());
    proc::Process* process = pid == 0 ? &self() : proc::find_process(pid);
    if (process == nullptr || (process != &self() && process->parent != &self())) return fail(k::Errno::esrch);
    if (process->pid == process->sid) return fail(k::Errno::eperm);  // a session leader
    process->pgid = pgid == 0 ? process->pid : pgid;
    return 0;
}
int64_t sys_setsid(const Args&, arch::InterruptFrame&) {
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(proc::tree_lock());
    proc::Process& process = self();
    if (process.pgid == process.pid) return fail(k::Errno::eperm);  // already a group leader
    process.sid = process.pgid = process.pid;
    return process.pid;
}

int64_t sys_arch_prctl(const Args& a, arch::InterruptFrame&) {
    constexpr int kSetFs = 0x1002, kGetFs = 0x1003, kSetGs = 0x1001, kGetGs = 0x1004;
    proc::UserThread* thread = proc::current_user_thread();
    switch (static_cast<int>(a.a0)) {
        case kSetFs:
            // A non-canonical base would make the next WRMSR fault (#GP) in
            // the kernel: refuse it like Linux (EPERM).
            if (a.a1 >= arch::kUserTop) return fail(k::Errno::eperm);
            thread->fs_base = a.a1;
            arch::set_fs_base(a.a1);
            return 0;
        case kGetFs: return result_of(mm::put_user<uint64_t>(a.a1, thread->fs_base));
        case kSetGs:
        case kGetGs: return fail(k::Errno::einval);  // GS belongs to the kernel's per-CPU data here
        default: return fail(k::Errno::einval);
    }
}

// prctl(2): the thread name calls; everything else is EINVAL, as Linux
// answers for options it does not know.
int64_t sys_prctl(const Args& a, arch::InterruptFrame&) {
    constexpr int kSetName = 15, kGetName = 16;
    proc::Process& process = self();
    switch (static_cast<int>(a.a0)) {
        case kSetName: {
            char name[16] = {};
            auto copied = mm::copy_string_from_user(name, a.a1, sizeof name, k::Errno::enametoolong);
            if (!copied.ok() && copied.error() != k::Errno::enametoolong) return fail(copied.error());
            name[15] = '\0';  // longer names are cut, not refused
            memcpy(process.name, name, sizeof name);
            return 0;
        }
        case kGetName: return result_of(mm::copy_to_user(a.a1, process.name, sizeof process.name));
        default: return fail(k::Errno::einval);
    }
}

int64_t sys_set_robust_list(const Args& a, arch::InterruptFrame&) {
    if (a.a1 != 24) return fail(k::Errno::einval);  // sizeof(struct robust_list_head)
    proc::current_user_thread()->robust_list = a.a0;
    proc::current_user_thread()->robust_list_length = a.a1;
    return 0;
}
int64_t sys_get_robust_list(const Args& a, arch::InterruptFrame&) {
    const int tid = static_cast<int>(a.a0);
    uint64_t head;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(proc::tree_lock());
        proc::UserThread* thread = tid == 0 ? proc::current_user_thread() : proc::find_thread(tid);
        if (thread == nullptr) return fail(k::Errno::esrch);
        head = thread->robust_list;
    }
    if (auto put = mm::put_user<uint64_t>(a.a1, head); !put.ok()) return fail(put.error());
    return result_of(mm::put_user<uint64_t>(a.a2, 24));
}

int64_t sys_futex(const Args& a, arch::InterruptFrame&) {
    return futex::sys_futex(a.a0, static_cast<int>(a.a1), static_cast<uint32_t>(a.a2), a.a3, a.a4,
                            static_cast<uint32_t>(a.a5));
}

// Resource limits (getrlimit(2)).
int64_t sys_prlimit64(const Args& a, arch::InterruptFrame&) {
    const unsigned resource = static_cast<unsigned>(a.a1);
    if (resource >= proc::kRlimitCount) return fail(k::Errno::einval);
    proc::ResourceLimit incoming{};
    if (a.a2 != 0) {
        if (auto copied = mm::copy_from_user(&incoming, a.a2, sizeof incoming); !copied.ok()) {
            return fail(copied.error());
        }
        if (incoming.current > incoming.maximum) return fail(k::Errno::einval);
    }
    proc::ResourceLimit old;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(proc::tree_lock());
        const int pid = static_cast<int>(a.a0);
        proc::Process* process = pid == 0 ? &self() : proc::find_process(pid);
        if (process == nullptr) return fail(k::Errno::esrch);
        old = process->limits[resource];
        if (a.a2 != 0) {
            process->limits[resource] = incoming;
            if (resource == proc::kRlimitAs && process->address_space != nullptr) {
                process->address_space->address_space_limit = incoming.current;
            }
        }
    }
    if (a.a3 != 0) return result_of(mm::copy_to_user(a.a3, &old, sizeof old));
    return 0;
}
int64_t sys_getrlimit(const Args& a, arch::InterruptFrame& frame) {
    return sys_prlimit64(Args{0, a.a0, 0, a.a1, 0, 0}, frame);
}
int64_t sys_setrlimit(const Args& a, arch::InterruptFrame& frame) {
    return sys_prlimit64(Args{0, a.a0, a.a1, 0, 0, 0}, frame);
}

// reboot(2): only pid 1's session may, with Linux's magic numbers.
int64_t sys_reboot(const Args& a, arch::InterruptFrame&) {
    constexpr uint32_t kMagic1 = 0xfee1dead, kMagic2 = 672274793;
    constexpr uint32_t kPowerOff = 0x4321fedc, kRestart = 0x01234567, kHalt = 0xcdef0123;
    if (static_cast<uint32_t>(a.a0) != kMagic1 || static_cast<uint32_t>(a.a1) != kMagic2) {
        return fail(k::Errno::einval);
    }
    switch (static_cast<uint32_t>(a.a2)) {
        case kPowerOff:
        case kHalt:
            log_info("reboot: power off requested by pid %d", self().pid);
            arch::qemu_exit(arch::QemuExitStatus::kSuccess);
        case kRestart:
            log_info("reboot: restart requested by pid %d", self().pid);
            // The keyboard controller's reset line (port 0x64, command 0xfe).
            arch::outb(0x64, 0xfe);
            arch::halt_forever();
        default: return fail(k::Errno::einval);
    }
}

// A native call (outside Linux's range) for ps: one record per process.
int64_t sys_teachos_proc_list(const Args& a, arch::InterruptFrame&) {
    struct Record {
        int32_t pid, ppid, pgid, threads;
        int32_t state;  // 0 running, 1 zombie
        char name[16];
        uint32_t pad;
    };
    static_assert(sizeof(Record) == 40);
    const size_t capacity = a.a1 / sizeof(Record);
    Record* records = static_cast<Record*>(mm::kmalloc(sizeof(Record) * 64));
    if (records == nullptr) return fail(k::Errno::enomem);
    size_t total = 0, copied = 0;
    int64_t status = 0;
    // In batches of 64, so the user copy happens outside the tree lock.
    for (size_t skip = 0;; skip += 64) {
        size_t batch = 0, index = 0;
        {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(proc::tree_lock());
            proc::for_each_process([&](proc::Process& process) {
                if (index++ < skip || batch == 64) return;
                Record& r = records[batch++];
                r = Record{};
                r.pid = process.pid;
                r.ppid = process.parent != nullptr ? process.parent->pid : 0;
                r.pgid = process.pgid;
                r.threads = static_cast<int32_t>(process.live_threads);
                r.state = process.state == proc::ProcessState::Zombie ? 1 : 0;
                memcpy(r.name, process.name, sizeof r.name);
            });
            total = index;
        }
        for (size_t i = 0; i < batch && copied < capacity; ++i, ++copied) {
            auto put = mm::copy_to_user(a.a0 + copied * sizeof(Record), &records[i], sizeof(Record));
            if (!put.ok()) {
                status = fail(put.error());
                break;
            }
        }
        if (status != 0 || batch < 64 || copied >= capacity) break;
    }
    mm::kfree(records);
    return status != 0 ? status : static_cast<int64_t>(total);
}

}  // namespace syscall
