; The PVH entry note (Xen's XEN_ELFNOTE_PHYS32_ENTRY, type 18). QEMU's
; `-kernel` finds it in an ELF's PT_NOTE segment and jumps to the 32-bit
; physical address it names with paging off and EBX pointing at an
; hvm_start_info structure: the fast boot path for tests, no GRUB needed.
extern pvh_entry32

section .note.Xen note alloc noexec nowrite align=4
    dd 4                ; name size ("Xen\0")
    dd 4                ; descriptor size
    dd 18               ; XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd pvh_entry32
