; The 32-bit entry points and the switch to long mode.
;
; GRUB (Multiboot2) and QEMU's PVH loader both enter here in 32-bit protected
; mode with paging off, at the physical addresses of mb2_entry32/pvh_entry32.
; This code runs identity-mapped at the kernel's load address, so it lives in
; sections linked at their physical addresses (.boot.*). It:
;   1. records which loader started us and where its information structure is;
;   2. checks that the CPU can run 64-bit code (clear message and halt if not);
;   3. builds throw-away page tables: identity 0-4 GiB, the same 4 GiB at the
;      direct-map base, and the kernel image at -2 GiB (2 MiB pages);
;   4. enables PAE, long mode (+NX when present) and paging (Intel SDM Vol. 3A
;      §9.8.5 "Initializing IA-32e Mode");
;   5. jumps to the higher-half 64-bit code, which zeroes .bss, switches to the
;      boot stack and calls kernel_main(protocol, info_phys).
; The C++ kernel then builds its real page tables and drops these.
%include "boot/layout.inc"

%define CR0_PE      (1 << 0)
%define CR0_WP      (1 << 16)
%define CR0_PG      (1 << 31)
%define CR4_PAE     (1 << 5)
%define CR4_PGE     (1 << 7)
%define MSR_EFER    0xc0000080
%define EFER_LME    (1 << 8)
%define EFER_NXE    (1 << 11)
%define PTE_PRESENT  (1 << 0)
%define PTE_WRITABLE (1 << 1)
%define PTE_HUGE     (1 << 7)
%define COM1        0x3f8

global mb2_entry32
global pvh_entry32
global boot_protocol
global boot_info_phys
global boot_pml4
extern kernel_main
extern __bss_start
extern __bss_end

section .boot.text progbits alloc exec nowrite align=16
bits 32

mb2_entry32:
    cli
    cld
    mov esi, BOOT_PROTOCOL_MULTIBOOT2
    cmp eax, MULTIBOOT2_BOOT_MAGIC
    je .known
    mov esi, BOOT_PROTOCOL_UNKNOWN      ; some other loader: kernel_main says so
.known:
    jmp common_entry32

pvh_entry32:
    cli
    cld
    mov esi, BOOT_PROTOCOL_PVH

common_entry32:
    mov [boot_protocol], esi
    mov [boot_info_phys], ebx
    mov esp, boot_stack32_top

    call check_long_mode
    call build_boot_page_tables

    mov eax, cr4
    or eax, CR4_PAE | CR4_PGE
    mov cr4, eax

    mov eax, boot_pml4
    mov cr3, eax

    ; EFER: long mode enable, and no-execute enable when the CPU has NX
    ; (CPUID 80000001h EDX bit 20). Without NXE, bit 63 of a page-table entry
    ; is reserved, so the C++ kernel checks EFER before using it.
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    test dword [cpu_has_nx], 1
    jz .no_nx
    or eax, EFER_NXE
.no_nx:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_WP | CR0_PE
    mov cr0, eax                        ; now in IA-32e compatibility mode

    lgdt [boot_gdt_pointer]
    jmp BOOT_CODE64:long_mode_low       ; far jump loads a 64-bit CS

; Halts with a message if CPUID leaf 80000001h does not report long mode.
check_long_mode:
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    bt edx, 20
    setc byte [cpu_has_nx]
    bt edx, 29
    jnc .no_long_mode
    ret
.no_long_mode:
    mov esi, no_long_mode_message
    call early_panic32

; early_panic32(esi = message): print on COM1 and the VGA text screen, halt.
; Both are written blindly: either may be absent, and there is nothing
; better to do on a CPU that cannot run this kernel.
early_panic32:
    ; COM1: 115200 8N1 (divisor 1), FIFO on.
    mov dx, COM1 + 1
    xor al, al
    out dx, al                          ; no interrupts
    mov dx, COM1 + 3
    mov al, 0x80
    out dx, al                          ; DLAB on
    mov dx, COM1
    mov al, 1
    out dx, al                          ; divisor low
    mov dx, COM1 + 1
    xor al, al
    out dx, al                          ; divisor high
    mov dx, COM1 + 3
    mov al, 0x03
    out dx, al                          ; 8N1, DLAB off
    mov edi, 0xb8000
.next_char:
    lodsb
    test al, al
    jz .halt
    mov ah, al
    mov dx, COM1 + 5
    mov ecx, 100000                     ; bounded wait for the transmitter
.wait:
    in al, dx
    test al, 0x20
    jnz .send
    loop .wait
.send:
    mov dx, COM1
    mov al, ah
    out dx, al
    mov byte [edi], ah
    mov byte [edi + 1], 0x4f            ; white on red
    add edi, 2
    jmp .next_char
.halt:
    cli
    hlt
    jmp .halt

; Fills boot_pml4 and friends. All of .boot.bss is zeroed first: loaders
; zero NOLOAD memory, but nothing in the protocols promises it for us.
build_boot_page_tables:
    mov edi, boot_tables_start
    mov ecx, (boot_tables_end - boot_tables_start) / 4
    xor eax, eax
    rep stosd

    ; Four page directories of 2 MiB pages map physical 0-4 GiB.
    mov edi, boot_page_directories
    xor ecx, ecx
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_PRESENT | PTE_WRITABLE | PTE_HUGE
    mov [edi + ecx * 8], eax
    mov dword [edi + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 4 * 512
    jb .fill_pd

    ; The low PDPT points at the four directories...
    mov edi, boot_pdpt_low
    mov eax, boot_page_directories + (PTE_PRESENT | PTE_WRITABLE)
    mov [edi + 0 * 8], eax
    add eax, 4096
    mov [edi + 1 * 8], eax
    add eax, 4096
    mov [edi + 2 * 8], eax
    add eax, 4096
    mov [edi + 3 * 8], eax

    ; ...and the high PDPT maps its entry 510 (-2 GiB) to the first GiB.
    mov edi, boot_pdpt_high
    mov eax, boot_page_directories + (PTE_PRESENT | PTE_WRITABLE)
    mov [edi + 510 * 8], eax

    ; PML4: identity (entry 0), direct map (entry 256), kernel (entry 511).
    mov edi, boot_pml4
    mov eax, boot_pdpt_low + (PTE_PRESENT | PTE_WRITABLE)
    mov [edi + 0 * 8], eax
    mov [edi + 256 * 8], eax
    mov eax, boot_pdpt_high + (PTE_PRESENT | PTE_WRITABLE)
    mov [edi + 511 * 8], eax
    ret

bits 64
long_mode_low:
    mov ax, BOOT_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rax, long_mode_high
    jmp rax                             ; leave the identity map for -2 GiB

section .boot.data progbits alloc noexec write align=16
boot_protocol:      dd 0
boot_info_phys:     dd 0
cpu_has_nx:         dd 0
no_long_mode_message:
    db "This kernel needs a 64-bit (x86-64, long mode) CPU. Halting.", 13, 10, 0

align 16
; Flat 64-bit code and data descriptors, enough to reach the C++ kernel,
; which then loads its own GDT with a TSS.
boot_gdt:
    dq 0
BOOT_CODE64 equ $ - boot_gdt
    dq 0x00209a0000000000               ; present, DPL 0, code, L=1
BOOT_DATA64 equ $ - boot_gdt
    dq 0x0000920000000000               ; present, DPL 0, data, writable
boot_gdt_end:
boot_gdt_pointer:
    dw boot_gdt_end - boot_gdt - 1
    dd boot_gdt

section .boot.bss nobits alloc noexec write align=4096
boot_tables_start:
boot_pml4:              resb 4096
boot_pdpt_low:          resb 4096
boot_pdpt_high:         resb 4096
boot_page_directories:  resb 4 * 4096
boot_tables_end:
boot_stack32:           resb 4096
boot_stack32_top:

; The 64-bit half: linked in the higher half, reached through the -2 GiB map.
section .text
long_mode_high:
    ; Zero .bss (the loaders usually have; the C++ kernel relies on it).
    mov rdi, __bss_start
    mov rcx, __bss_end
    sub rcx, rdi
    xor eax, eax
    rep stosb

    mov rsp, boot_stack_top
    xor ebp, ebp                        ; terminates backtraces
    mov edi, [abs boot_protocol]
    mov esi, [abs boot_info_phys]
    call kernel_main
.halt:
    cli
    hlt
    jmp .halt

; The boot CPU's first kernel stack. The page below it is a guard: the
; kernel's page tables leave it unmapped, so an overflow faults (and the
; double-fault handler, on its own IST stack, reports it).
global boot_stack_guard
global boot_stack_top
section .bss nobits alloc noexec write align=4096
boot_stack_guard:   resb 4096
boot_stack:         resb 16384
boot_stack_top:
