; The application-processor (AP) trampoline.
;
; An AP starts, after INIT and STARTUP IPIs, in 16-bit real mode at the
; physical page the STARTUP IPI names (Intel SDM Vol. 3A §8.4.4). The kernel
; copies this code to TRAMPOLINE_PHYS (below 1 MiB, never given to the page
; allocator), fills in the parameter block at its end, maps the page at the
; same virtual address for the moment of the switch, and sends the IPIs.
; The AP then goes real mode -> protected mode -> long mode with the
; kernel's own page tables, takes its stack and jumps to ap_entry(cpu) in the
; higher half. Everything is addressed relative to TRAMPOLINE_PHYS because
; the code runs at a different address from the one it was linked at.
%define TRAMPOLINE_PHYS 0x8000
%define REL(label) (TRAMPOLINE_PHYS + (label) - ap_trampoline_start)

global ap_trampoline_start
global ap_trampoline_end
global ap_trampoline_params

section .rodata
align 16
bits 16
ap_trampoline_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [REL(trampoline_gdt_pointer)]
    mov eax, cr0
    or eax, 1                           ; PE
    mov cr0, eax
    jmp dword 0x08:REL(protected_mode)

bits 32
protected_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, (1 << 5) | (1 << 7)         ; PAE, PGE
    mov cr4, eax
    mov eax, [REL(param_cr3)]           ; below 4 GiB: the kernel makes sure
    mov cr3, eax
    mov ecx, 0xc0000080                 ; EFER
    rdmsr
    or eax, [REL(param_efer_bits)]      ; LME, and NXE when the BSP has it
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | (1 << 16)       ; PG, WP
    mov cr0, eax
    jmp 0x18:REL(long_mode)

bits 64
long_mode:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [REL(param_stack_top)]
    mov rdi, [REL(param_cpu)]
    mov rax, [REL(param_entry)]
    xor ebp, ebp
    jmp rax

align 8
trampoline_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; 0x08: 32-bit code, 4 GiB flat
    dq 0x00cf92000000ffff               ; 0x10: data, 4 GiB flat
    dq 0x00209a0000000000               ; 0x18: 64-bit code
trampoline_gdt_end:
trampoline_gdt_pointer:
    dw trampoline_gdt_end - trampoline_gdt - 1
    dd REL(trampoline_gdt)

; Filled in by the kernel for each AP (arch/x86_64/smp_boot.cpp:
; TrampolineParams has the same layout).
align 8
ap_trampoline_params:
param_cr3:          dd 0
param_efer_bits:    dd 0
param_stack_top:    dq 0
param_cpu:          dq 0
param_entry:        dq 0
ap_trampoline_end:
