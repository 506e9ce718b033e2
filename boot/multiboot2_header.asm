; The Multiboot2 header GRUB looks for in the first 32 KiB of the image
; (Multiboot2 specification, section 3.1). It asks for a linear framebuffer
; (UEFI machines have no VGA text mode) and names the 32-bit entry point.
%define MB2_HEADER_MAGIC    0xe85250d6
%define MB2_ARCH_I386       0
%define MB2_TAG_END         0
%define MB2_TAG_ENTRY       3
%define MB2_TAG_FRAMEBUFFER 5
%define MB2_TAG_OPTIONAL    1

extern mb2_entry32

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

    ; Entry address: the ELF entry is also correct, but the tag makes the
    ; physical entry explicit whatever the loader thinks of higher-half ELFs.
    align 8
    dw MB2_TAG_ENTRY, 0
    dd 12
    dd mb2_entry32

    ; Framebuffer: optional, no preferred size, 32 bits per pixel.
    align 8
    dw MB2_TAG_FRAMEBUFFER, MB2_TAG_OPTIONAL
    dd 20
    dd 0, 0, 32

    align 8
    dw MB2_TAG_END, 0
    dd 8
mb2_header_end:
