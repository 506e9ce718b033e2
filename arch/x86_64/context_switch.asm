; void arch_context_switch(uint64_t* save_rsp, uint64_t next_rsp)
;
; Switches kernel stacks between two threads. Only the callee-saved
; registers (System V ABI: RBX, RBP, R12-R15) need saving: the caller,
; schedule(), is an ordinary C++ function, so the compiler has already
; saved everything else it needs. They go on the old stack, the stack
; pointer into *save_rsp; the new thread's stack pointer is loaded and its
; registers popped, and `ret` continues wherever that thread called us from
; (or, for a new thread, at the entry trampoline its stack was built with).
; RFLAGS (and so the interrupt flag) is the caller's business.
global arch_context_switch
global arch_thread_trampoline
extern thread_start

section .text
arch_context_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; A new thread's first `ret` from arch_context_switch lands here, with the
; thread's start routine in R12 and its argument in R13 (put in the initial
; frame by arch::prepare_thread_stack). RBP is 0 so backtraces stop here.
arch_thread_trampoline:
    mov rdi, r12
    mov rsi, r13
    call thread_start
    ud2                                 ; thread_start never returns
