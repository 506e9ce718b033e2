#!/usr/bin/env python3
"""`make bench`: boots the kernel on one CPU under QEMU -icount (one TSC
tick per guest instruction, so every number is an instruction count,
identical from run to run) and runs every in-kernel benchmark; then boots
it on two CPUs under plain multi-threaded TCG for the cross-CPU ones, whose
numbers are wall-clock TSC cycles (noisy: -icount makes no progress with
two CPUs). Prints the BENCH lines."""
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
    args = parser.parse_args()
    kernel = os.path.join(args.build, "kernel", "kernel.elf")
    passes = [
        (["--icount", "--smp", "1"], args.filter),
        (["--smp", "2"], "ipi_roundtrip,wakeup_xcpu"),
    ]
    failed = False
    for machine, benches in passes:
        opts = qemu_run.parser().parse_args(["--kernel", kernel, "--quiet", "--mem", "512M", "--timeout", "600",
                                             "--append", "bench=" + benches] + machine)
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
