#pragma once
// Signals: numbers, sets, actions, and the frame a handler runs on.
//
// Layouts follow Linux x86-64 exactly (arch/x86/include/uapi/asm/
// sigcontext.h, signal.h; include/uapi/asm-generic/siginfo.h), because
// the C library builds and reads them: musl's sigaction() passes a struct
// k_sigaction, its handlers read ucontext_t, its restorer calls
// rt_sigreturn with RSP pointing just past the return address.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "kernel/sync/spinlock.h"
#include "libk/result.h"

namespace proc {

using SignalSet = uint64_t;  // bit (n - 1) is signal n
constexpr int kSignalCount = 64;
constexpr SignalSet signal_bit(int signal) { return SignalSet{1} << (signal - 1); }

enum Signal : int {
    kSigHup = 1, kSigInt = 2, kSigQuit = 3, kSigIll = 4, kSigTrap = 5, kSigAbrt = 6, kSigBus = 7, kSigFpe = 8,
    kSigKill = 9, kSigUsr1 = 10, kSigSegv = 11, kSigUsr2 = 12, kSigPipe = 13, kSigAlrm = 14, kSigTerm = 15,
    kSigStkflt = 16, kSigChld = 17, kSigCont = 18, kSigStop = 19, kSigTstp = 20, kSigTtin = 21, kSigTtou = 22,
    kSigUrg = 23, kSigXcpu = 24, kSigXfsz = 25, kSigVtalrm = 26, kSigProf = 27, kSigWinch = 28, kSigIo = 29,
    kSigPwr = 30, kSigSys = 31,
};
constexpr SignalSet kUnblockable = signal_bit(kSigKill) | signal_bit(kSigStop);

constexpr uint64_t kSigDefault = 0;  // SIG_DFL
constexpr uint64_t kSigIgnore = 1;   // SIG_IGN

// sa_flags
constexpr uint64_t kSaNoCldStop = 1, kSaNoCldWait = 2, kSaSigInfo = 4, kSaOnStack = 0x08000000,
                   kSaRestorer = 0x04000000, kSaRestart = 0x10000000, kSaNoDefer = 0x40000000,
                   kSaResetHand = 0x80000000;

// struct k_sigaction as rt_sigaction(2) takes it on x86-64.
struct SignalAction {
    uint64_t handler = kSigDefault;
    uint64_t flags = 0;
    uint64_t restorer = 0;
    SignalSet mask = 0;
};
static_assert(sizeof(SignalAction) == 32);

// Shared by the threads of a process (and by CLONE_SIGHAND processes).
struct SignalHandlers {
    uint32_t references = 1;
    ksync::SpinLock lock;
    SignalAction actions[kSignalCount];
};

// What a signal does when its action is SIG_DFL.
enum class DefaultAction : uint8_t { Terminate, Ignore, Stop, Continue };
DefaultAction default_action(int signal);

// siginfo_t, 128 bytes; only the fields the kernel fills.
struct SignalInfo {
    int32_t signo;
    int32_t errno_value;
    int32_t code;
    int32_t pad;
    union {
        struct {
            int32_t pid;
            uint32_t uid;
            int32_t status;  // SIGCHLD
        } process;
        uint64_t fault_address;  // SIGSEGV, SIGBUS, SIGILL, SIGFPE
        uint8_t bytes[112];
    };
};
static_assert(sizeof(SignalInfo) == 128);
constexpr int32_t kSiUser = 0, kSiKernel = 0x80, kSiTkill = -6, kSegvMapErr = 1, kSegvAccErr = 2, kCldExited = 1,
                  kCldKilled = 2;

// struct sigcontext (= musl's mcontext_t), 256 bytes.
struct SignalContext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags;
    uint16_t cs, gs, fs, ss;
    uint64_t error_code, trap_number, old_mask, cr2, fpstate;
    uint64_t reserved[8];
};
static_assert(sizeof(SignalContext) == 256);

struct StackDescription {  // stack_t
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
};

// The kernel's struct ucontext: what the handler's third argument points at.
struct UserContext {
    uint64_t flags;
    uint64_t link;
    StackDescription stack;
    SignalContext mcontext;
    SignalSet mask;
};
static_assert(sizeof(UserContext) == 304);

// Pushed on the user stack for a handler: `return_address` is where the
// handler's `ret` goes (the restorer, which calls rt_sigreturn).
struct SignalFrame {
    uint64_t return_address;
    UserContext context;
    SignalInfo info;
};
static_assert(offsetof(SignalFrame, context) == 8);

}  // namespace proc
