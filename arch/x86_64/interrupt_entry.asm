; Interrupt and exception entry stubs for all 256 vectors.
;
; The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error
; code (Intel SDM Vol. 3A §6.13). Each stub pushes a zero where the CPU does
; not, so every frame has the same shape, then the vector number, then jumps
; to the common path, which saves the general registers in the order of
; arch::InterruptFrame (arch/x86_64/interrupt_frame.h) and calls
; interrupt_dispatch(frame). The handler may rewrite the frame (the fault
; catcher changes RIP and RSP); the common path restores whatever is there.
%include "arch/x86_64/register_frame.inc"

extern interrupt_dispatch
global interrupt_stub_table

; Vectors whose exceptions push an error code: #DF, #TS, #NP, #SS, #GP, #PF,
; #AC, #CP, #VC, #SX.
%define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text
align 16
interrupt_common:
    PUSH_GENERAL_REGISTERS
    ; Coming from user mode (CPL 3 in the saved CS)? Then GS holds the user's
    ; base: swap in the kernel's per-CPU base. Offset 18*8 = saved CS.
    test byte [rsp + 18 * 8], 3
    jz .from_kernel
    swapgs
.from_kernel:
    cld
    mov rdi, rsp
    ; The frame (and so RSP here) is 16-byte aligned only by luck of the
    ; push count; align explicitly for the C++ ABI and keep the old value.
    mov rbx, rsp
    and rsp, -16
    call interrupt_dispatch
    mov rsp, rbx
    test byte [rsp + 18 * 8], 3
    jz .to_kernel
    swapgs
.to_kernel:
    POP_GENERAL_REGISTERS
    add rsp, 16                         ; vector and error code
    iretq

%macro INTERRUPT_STUB 1
align 16
interrupt_stub_%1:
%if !HAS_ERROR_CODE(%1)
    push 0
%endif
    push %1
    jmp interrupt_common
%endmacro

%assign vector 0
%rep 256
    INTERRUPT_STUB vector
%assign vector vector + 1
%endrep

section .rodata
align 8
interrupt_stub_table:
%assign vector 0
%rep 256
    dq interrupt_stub_ %+ vector
%assign vector vector + 1
%endrep
