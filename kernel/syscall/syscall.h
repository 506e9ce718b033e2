#pragma once
// System-call dispatch: the Linux x86-64 numbers and calling convention
// (RAX = number; RDI, RSI, RDX, R10, R8, R9 = arguments; RAX = result or
// -errno). Calls outside the supported set return -ENOSYS and are logged
// once per number (docs/ABI.md lists the set).
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "libk/result.h"

namespace syscall {

struct Args {
    uint64_t a0, a1, a2, a3, a4, a5;
};
using Handler = int64_t (*)(const Args& args, arch::InterruptFrame& frame);

int64_t dispatch(arch::InterruptFrame& frame);

// -errno for a k::Errno.
inline int64_t fail(k::Errno e) { return -static_cast<int64_t>(e); }
template <typename T> int64_t result_of(const k::Result<T>& result) {
    if (!result.ok()) return fail(result.error());
    return static_cast<int64_t>(const_cast<k::Result<T>&>(result).value());
}
inline int64_t result_of(const k::Result<void>& result) { return result.ok() ? 0 : fail(result.error()); }

// The handlers, one per call, grouped by subsystem (sys_*.cpp).
#define TEACHOS_SYSCALLS(X)                                                                                        \
    X(0, read) X(1, write) X(2, open) X(3, close) X(4, stat) X(5, fstat) X(6, lstat) X(8, lseek) X(9, mmap)         \
    X(10, mprotect) X(11, munmap) X(12, brk) X(13, rt_sigaction) X(14, rt_sigprocmask) X(15, rt_sigreturn)          \
    X(16, ioctl) X(17, pread64) X(18, pwrite64) X(19, readv) X(20, writev) X(21, access) X(22, pipe)                 \
    X(24, sched_yield) X(28, madvise) X(32, dup) X(33, dup2) X(35, nanosleep) X(39, getpid) X(56, clone)            \
    X(57, fork) X(58, vfork) X(59, execve) X(60, exit) X(61, wait4) X(62, kill) X(63, uname) X(72, fcntl)            \
    X(79, getcwd) X(80, chdir) X(96, gettimeofday) X(97, getrlimit) X(102, getuid) X(104, getgid) X(107, geteuid)    \
    X(108, getegid) X(109, setpgid) X(110, getppid) X(111, getpgrp) X(112, setsid) X(121, getpgid) X(124, getsid)   \
    X(127, rt_sigpending) X(130, rt_sigsuspend) X(131, sigaltstack) X(142, sched_setparam)                          \
    X(143, sched_getparam) X(144, sched_setscheduler) X(145, sched_getscheduler) X(146, sched_get_priority_max)      \
    X(147, sched_get_priority_min) X(148, sched_rr_get_interval) X(157, prctl) X(158, arch_prctl) X(160, setrlimit)               \
    X(169, reboot) X(186, gettid) X(200, tkill) X(202, futex) X(203, sched_setaffinity) X(204, sched_getaffinity)   \
    X(217, getdents64) X(218, set_tid_address) X(228, clock_gettime) X(229, clock_getres) X(230, clock_nanosleep)   \
    X(231, exit_group) X(234, tgkill) X(257, openat) X(262, newfstatat) X(269, faccessat) X(273, set_robust_list)   \
    X(274, get_robust_list) X(292, dup3) X(293, pipe2) X(302, prlimit64) X(318, getrandom) X(439, faccessat2)        \
    X(500, teachos_proc_list)

#define TEACHOS_DECLARE_SYSCALL(number, name) int64_t sys_##name(const Args& args, arch::InterruptFrame& frame);
TEACHOS_SYSCALLS(TEACHOS_DECLARE_SYSCALL)
#undef TEACHOS_DECLARE_SYSCALL

}  // namespace syscall
