; Kernel access to user memory that may fault.
;
; Each instruction that touches user memory is listed in the exception
; table below with the address to resume at if it faults. The page-fault
; handler first tries to resolve the fault like a user-mode one (demand
; paging, copy-on-write); only if that fails, or page faults are disabled
; because the caller holds a lock the fault handler needs (the "_inatomic"
; forms, see kernel/mm/user_access.h), does it send RIP to the fix-up, which
; reports how much was left undone. Linux calls this the exception table
; (arch/x86/mm/extable.c); the idea goes back to the first SMP kernels.
;
; SMAP (CR4.SMAP) makes the CPU refuse kernel accesses to user pages unless
; RFLAGS.AC is set: STAC/CLAC open and close that window around exactly
; these instructions. They are #UD on CPUs without SMAP, hence the check.
global arch_copy_user
global arch_user_cmpxchg32
global arch_exception_table_fixup
global arch_smap_enabled

section .data
arch_smap_enabled: db 0

%macro STAC 0
    test byte [rel arch_smap_enabled], 1
    jz %%skip
    stac
%%skip:
%endmacro
%macro CLAC 0
    test byte [rel arch_smap_enabled], 1
    jz %%skip
    clac
%%skip:
%endmacro

section .text
; size_t arch_copy_user(void* dst, const void* src, size_t n)
; Returns the number of bytes NOT copied (0 on success). One side is user
; memory; the caller has checked that it lies entirely in the user half.
align 16
arch_copy_user:
    STAC
    mov rcx, rdx
.copy:
    rep movsb                           ; on a fault RCX = bytes left (SDM: REP state is architectural)
.copied:
    CLAC
    mov rax, rcx
    ret

; int arch_user_cmpxchg32(uint32_t* user_address, uint32_t expected, uint32_t desired, uint32_t* old)
; Atomically compares and exchanges a user word: returns 0 and the old value
; in *old, or -1 (EFAULT) if the word could not be accessed.
align 16
arch_user_cmpxchg32:
    STAC
    mov eax, esi
.cmpxchg:
    lock cmpxchg [rdi], edx
    CLAC
    mov [rcx], eax
    xor eax, eax
    ret
.cmpxchg_fault:
    CLAC
    mov eax, -1
    ret

; uint64_t arch_exception_table_fixup(uint64_t faulting_rip): the fix-up
; address for an instruction in the table, or 0.
align 16
arch_exception_table_fixup:
    lea rsi, [rel exception_table]
    lea rdx, [rel exception_table_end]
.next:
    cmp rsi, rdx
    jae .none
    mov rax, [rsi]
    cmp rax, rdi
    je .found
    add rsi, 16
    jmp .next
.found:
    mov rax, [rsi + 8]
    ret
.none:
    xor eax, eax
    ret

section .rodata
align 8
exception_table:
    dq arch_copy_user.copy, arch_copy_user.copied
    dq arch_user_cmpxchg32.cmpxchg, arch_user_cmpxchg32.cmpxchg_fault
exception_table_end:
