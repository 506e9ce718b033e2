#!/usr/bin/env python3
"""`make bench`: boots the kernel on one CPU under QEMU -icount (one TSC
tick per guest instruction, so every number is an instruction count,
identical from run to run) and runs every in-kernel benchmark; then boots
it on two CPUs under plain multi-threaded TCG for the cross-CPU ones, whose
numbers are wall-clock TSC cycles (noisy: -icount makes no progress with
two CPUs). Then the user-space benchmark program (user/bench, the same
static binary that runs on Linux) as pid 1, again under -icount on one CPU,
and on two CPUs under plain TCG for ctx_switch_xcpu. Prints the BENCH lines."""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import qemu_run  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build-bench"))
    parser.add_argument("--filter", default="all", help="benchmark name globs, comma-separated")
    parser.add_argument("--initrd", default=os.path.join(os.path.dirname(HERE), "build", "initrd.cpio"),
                        help="initrd holding /bin/bench")
    args = parser.parse_args()
    kernel = os.path.join(args.build, "kernel", "kernel.elf")
    passes = [
        (["--icount", "--smp", "1"], "bench=" + args.filter, "in-kernel"),
        (["--smp", "2"], "bench=ipi_roundtrip,wakeup_xcpu", "in-kernel"),
        (["--icount", "--smp", "1", "--initrd", args.initrd], "init=/bin/bench", "user"),
        (["--smp", "2", "--initrd", args.initrd], "init=/bin/bench init_args=ctx_switch_xcpu", "user"),
    ]
    failed = False
    for machine, command_line, _ in passes:
        opts = qemu_run.parser().parse_args(["--kernel", kernel, "--quiet", "--mem", "512M", "--timeout", "900",
                                             "--append", command_line] + machine)
        ok, output, reason = qemu_run.run(opts)
        lines = re.findall(r"^BENCH .*$", output, re.MULTILINE)
        for line in lines:
            print(line + ("" if "--icount" in machine else "  [plain TCG, 2 CPUs: wall-clock cycles]"))
        if not ok or not lines:
            print("bench: FAILED: " + (reason or "no BENCH lines"), file=sys.stderr)
            print(output[-3000:], file=sys.stderr)
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
