; uint64_t arch_call_catching_faults(void (*fn)(void*), void* arg, FaultRecovery* rec)
;
; Calls fn(arg). If fn (or anything it calls) takes a CPU exception in kernel
; mode, the exception handler (arch/x86_64/exceptions.cpp) does not panic:
; it records the fault in *rec and rewrites the interrupt frame so that the
; IRET lands at .recovered below on the stack pointer saved here, with RDI =
; rec. Returns 0 if fn returned normally, 1 if a fault was caught.
; A setjmp/longjmp in miniature, used by tests that expect a fault (write to
; read-only text, execute NX data, touch a guard page).
;
; FaultRecovery layout (arch/x86_64/fault_catcher.h):
;   0 rbx, 8 rbp, 16 r12, 24 r13, 32 r14, 40 r15, 48 rsp, 56 resume rip,
;   64 vector, 72 error code, 80 fault address, 88 previous (nesting)
global arch_call_catching_faults

; The CPU's innermost armed recovery point: arch::ArchCpu::armed_fault_recovery
; (arch/x86_64/percpu.h), reached through GS, so each CPU has its own.
%define ARMED_FAULT_RECOVERY 8

section .text
arch_call_catching_faults:
    mov [rdx + 0], rbx
    mov [rdx + 8], rbp
    mov [rdx + 16], r12
    mov [rdx + 24], r13
    mov [rdx + 32], r14
    mov [rdx + 40], r15
    mov [rdx + 48], rsp                 ; points at our return address
    lea rax, [rel .recovered]
    mov [rdx + 56], rax
    mov rax, [gs:ARMED_FAULT_RECOVERY]
    mov [rdx + 88], rax
    mov [gs:ARMED_FAULT_RECOVERY], rdx  ; armed from here on
    push rdx                            ; keep rec; realigns RSP to 16
    mov rax, rdi
    mov rdi, rsi
    call rax
    pop rdx
    mov rax, [rdx + 88]
    mov [gs:ARMED_FAULT_RECOVERY], rax  ; disarm
    xor eax, eax
    ret
.recovered:
    ; The handler already disarmed rec and restored RSP; restore the
    ; callee-saved registers fn may have been using when it faulted.
    mov rbx, [rdi + 0]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov eax, 1
    ret
