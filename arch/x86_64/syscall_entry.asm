; System-call entry and every return to user mode.
;
; SYSCALL (Intel SDM Vol. 2B, "SYSCALL") saves the user RIP in RCX and
; RFLAGS in R11, clears the RFLAGS bits in IA32_FMASK (IF, TF, DF, AC, NT:
; interrupts stay off until we are on a kernel stack), loads the kernel CS/SS
; from IA32_STAR and jumps here. It does not switch stacks: RSP is still the
; user's, so the first instructions swap GS to the per-CPU area, park the
; user RSP in its scratch slot (%gs:16) and load the running thread's kernel
; stack top (%gs:24, kept by the scheduler). Then we build the same
; arch::InterruptFrame an interrupt from user mode would have built, so the
; rest of the kernel (signals, fork, ptrace-like inspection) sees one shape.
;
; Returning: SYSRET is much faster than IRETQ but trusts RCX/R11, and has a
; famous hazard: with a non-canonical RCX, Intel CPUs raise #GP *in ring 0
; with the user's RSP* (CVE-2012-0217). So SYSRET is only used when the frame
; looks exactly like what SYSCALL produced: RCX == RIP, R11 == RFLAGS, RIP
; below the top of the user half, no TF/RF in RFLAGS, the standard user
; selectors. Anything else (a signal frame, rt_sigreturn, a new thread)
; leaves by IRETQ, which checks everything itself.
%include "arch/x86_64/register_frame.inc"

extern syscall_dispatch
global syscall_entry
global arch_return_to_user

%define USER_DS 0x23
%define USER_CS 0x2b
%define USER_TOP 0x00007ffffffff000
%define RFLAGS_TF_RF 0x10100

section .text
align 16
syscall_entry:
    swapgs
    mov [gs:16], rsp
    mov rsp, [gs:24]
    push qword USER_DS                  ; ss
    push qword [gs:16]                  ; rsp
    push r11                            ; rflags
    push qword USER_CS                  ; cs
    push rcx                            ; rip
    push qword 0                        ; error code
    push qword 256                      ; "vector": a system call, not an interrupt
    PUSH_GENERAL_REGISTERS
    xor ebp, ebp                        ; backtraces stop at the user boundary
    mov rdi, rsp                        ; 22 pushes from a 16-aligned top: aligned
    sti
    call syscall_dispatch               ; returns with interrupts off
    jmp return_with_frame_in_rsp

; void arch_return_to_user(arch::InterruptFrame* frame): leaves the kernel
; through `frame`, which must lie at the top of the current kernel stack.
; Called with interrupts off after the return-to-user work is done.
align 16
arch_return_to_user:
    mov rsp, rdi
return_with_frame_in_rsp:
    ; Can this return use SYSRET? Offsets: rcx 12*8, r11 4*8, rip 17*8,
    ; cs 18*8, rflags 19*8, ss 21*8.
    mov rcx, [rsp + 17 * 8]
    cmp rcx, [rsp + 12 * 8]
    jne .iret
    mov r11, [rsp + 19 * 8]
    cmp r11, [rsp + 4 * 8]
    jne .iret
    test r11, RFLAGS_TF_RF
    jnz .iret
    mov rax, USER_TOP
    cmp rcx, rax
    jae .iret
    cmp qword [rsp + 18 * 8], USER_CS
    jne .iret
    cmp qword [rsp + 21 * 8], USER_DS
    jne .iret
    POP_GENERAL_REGISTERS
    add rsp, 16                         ; vector and error code
    pop rcx                             ; rip (equal to the saved RCX)
    add rsp, 8                          ; cs
    pop r11                             ; rflags (equal to the saved R11)
    pop rsp                             ; the user's stack: nothing of ours below it matters now
    swapgs
    o64 sysret
.iret:
    swapgs
    POP_GENERAL_REGISTERS
    add rsp, 16
    iretq
