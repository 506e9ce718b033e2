"""The in-guest test runs of `make test` (tools/test_all.py). Each entry is
one QEMU boot: a name and tools/qemu_run.py arguments. Most boot by PVH
(fast); the GRUB ones prove the real path on BIOS+CD-ROM and UEFI+USB.

The kernel's own suites run with test=<glob>; expect_* words tell the boot
tests what this configuration must have delivered."""

FIXTURE = ["--fixture", "fixture.txt"]
PVH_EXPECT = "expect_protocol=pvh expect_initrd=fixture.txt expect_acpi"
GRUB_EXPECT = "expect_protocol=multiboot2 expect_initrd=fixture.txt expect_acpi expect_framebuffer"

SUITES = [
    # 1 GiB pages (-cpu max has pdpe1gb), small memory, one CPU.
    {"name": "pvh-1g-pages-128m",
     "args": ["--boot", "pvh", "--cpu", "max", "--mem", "128M", "--timeout", "120",
              "--append", "test=all expect_cpus=1 " + PVH_EXPECT] + FIXTURE},
    # SMP: 2, 4 and 8 CPUs under multi-threaded TCG (8 is more than the
    # host's cores): every suite, including the scheduler's and the TLB
    # shootdown's, on each.
    {"name": "pvh-smp2",
     "args": ["--boot", "pvh", "--smp", "2", "--mem", "256M", "--timeout", "180",
              "--append", "test=all expect_cpus=2 " + PVH_EXPECT] + FIXTURE},
    {"name": "pvh-smp4",
     "args": ["--boot", "pvh", "--smp", "4", "--mem", "256M", "--timeout", "180",
              "--append", "test=all expect_cpus=4 " + PVH_EXPECT] + FIXTURE},
    {"name": "pvh-smp8",
     "args": ["--boot", "pvh", "--smp", "8", "--mem", "512M", "--timeout", "240",
              "--append", "test=all expect_cpus=8 " + PVH_EXPECT] + FIXTURE},
    # 2 MiB pages only (qemu64 lacks pdpe1gb), 8 GiB: memory above 4 GiB.
    {"name": "pvh-2m-pages-8g",
     "args": ["--boot", "pvh", "--cpu", "qemu64", "--mem", "8G", "--timeout", "300",
              "--append", "test=all " + PVH_EXPECT] + FIXTURE},
    # The smallest and largest memories the kernel supports. At 64 GiB the
    # frame-by-frame exhaustion test would touch too much host memory; the
    # rest runs, including 1 GiB pages over RAM far above 4 GiB.
    {"name": "pvh-64m",
     "args": ["--boot", "pvh", "--cpu", "max", "--mem", "64M", "--timeout", "120",
              "--append", "test=all " + PVH_EXPECT] + FIXTURE},
    {"name": "pvh-64g",
     "args": ["--boot", "pvh", "--cpu", "max", "--mem", "64G", "--timeout", "240",
              "--append", "test=boot.*,heap.*,paging.*,pmm.blocks*,pmm.allocated* " + PVH_EXPECT] + FIXTURE},
    # No usable ACPI tables (acpi=off): two CPUs present, but the kernel
    # must fall back to the boot CPU alone and the PIT, and still pass.
    {"name": "pvh-acpi-off",
     "args": ["--boot", "pvh", "--smp", "2", "--mem", "128M", "--timeout", "120",
              "--expect", r"acpi: no usable tables", "--expect", r"calibrated against the PIT",
              "--append", "acpi=off test=all expect_cpus=1"]},
    # The real path: GRUB from a CD-ROM under legacy BIOS...
    {"name": "grub-bios-cdrom",
     "args": ["--boot", "grub", "--firmware", "bios", "--medium", "cdrom", "--smp", "2", "--mem", "256M",
              "--timeout", "180", "--append", "test=all expect_cpus=2 " + GRUB_EXPECT] + FIXTURE},
    # ...and from a USB stick on xHCI under UEFI (OVMF).
    {"name": "grub-uefi-usb",
     "args": ["--boot", "grub", "--firmware", "uefi", "--medium", "usb", "--smp", "4", "--mem", "256M",
              "--timeout", "240", "--append", "test=all expect_cpus=4 " + GRUB_EXPECT] + FIXTURE},
    # Typed input on threaded interrupts: the runner types on the PS/2
    # keyboard (QEMU monitor sendkey; Shift, Backspace, Enter included) and
    # writes to COM1; the input tests compare what reached the console queue.
    {"name": "pvh-typed-input",
     "args": ["--boot", "pvh", "--smp", "2", "--mem", "128M", "--timeout", "90",
              "--type", r"Teach OS, 42!\b?\n", "--serial-input", "hello over COM1", "--type-delay", "3",
              "--append", r'test=input.* expect_keys="Teach OS, 42!\b?\n" expect_serial="hello over COM1"']},
    # A kernel bug must produce a PANIC line, the registers and a symbolized
    # backtrace naming the guilty function, and end QEMU with a failure.
    {"name": "panic-report",
     "args": ["--boot", "pvh", "--timeout", "60", "--append", "test=none crash=pagefault",
              "--expect-exit", "failure",
              "--expect", r"^PANIC: page fault \(vector 14\) at 0x0000000000000010: write to not-present page",
              "--expect", r"^  rip=ffffffff8[0-9a-f]{7} ",
              "--expect", r"^  #0 0x[0-9a-f]{16} kernel_main\+0x[0-9a-f]+$"]},
    # User space: the programs of user/tests run by /tests/runner as pid 1,
    # whose exit status (all passed or not) ends QEMU. One CPU, then four;
    # -cpu max for SMEP/SMAP, XSAVE/AVX and 1 GiB pages (3 GiB of RAM so that
    # an aligned, free 1 GiB block exists for MAP_HUGE_1GB).
    {"name": "user-smp1",
     "args": ["--boot", "pvh", "--cpu", "max", "--mem", "3G", "--timeout", "300", "--initrd", "{initrd}",
              "--append", "init=/tests/runner"]},
    {"name": "user-smp4",
     "args": ["--boot", "pvh", "--cpu", "max", "--smp", "4", "--mem", "512M", "--timeout", "300",
              "--initrd", "{initrd}", "--append", "init=/tests/runner"]},
    # The shell as pid 1's child, driven over the serial line.
    {"name": "user-shell",
     "args": ["--boot", "pvh", "--smp", "2", "--mem", "256M", "--timeout", "120", "--initrd", "{initrd}",
              "--serial-input", "echo hello from sh | cat\nexit 0\n", "--type-delay", "4",
              "--expect", r"^hello from sh$",
              "--append", "init=/bin/sh"]},
    # A 32-bit-only CPU gets a clear message and a halt, not a crash.
    {"name": "no-long-mode-message",
     "args": ["--boot", "pvh", "--cpu", "qemu32", "--timeout", "8", "--expect-exit", "timeout",
              "--expect", r"needs a 64-bit \(x86-64, long mode\) CPU\. Halting\."]},
]
