#!/usr/bin/env python3
"""`make bench`: boots the kernel once on one CPU under QEMU -icount (one
TSC tick per guest instruction, so every number is an instruction count,
identical from run to run), runs every in-kernel benchmark (bench=all) and
prints the BENCH lines."""
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
    opts = qemu_run.parser().parse_args(["--kernel", kernel, "--quiet", "--icount", "--smp", "1", "--mem", "512M",
                                         "--timeout", "600", "--append", "bench=" + args.filter])
    ok, output, reason = qemu_run.run(opts)
    lines = re.findall(r"^BENCH .*$", output, re.MULTILINE)
    for line in lines:
        print(line)
    if not ok or not lines:
        print("bench: FAILED: " + (reason or "no BENCH lines"), file=sys.stderr)
        print(output[-3000:], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
