#!/usr/bin/env python3
"""Builds the hybrid boot image with grub-mkrescue: one ISO 9660 file that
boots under legacy BIOS and UEFI, from a CD-ROM or written raw to a USB stick.

    mkimage.py OUT.iso --kernel kernel.elf --initrd initrd.cpio [--cmdline "..."] [--timeout N]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def build_image(out, kernel, initrd, cmdline="", timeout=0):
    with open(os.path.join(HERE, "..", "boot", "grub.cfg.in")) as f:
        config = f.read().replace("@CMDLINE@", cmdline).replace("@TIMEOUT@", str(timeout))
    with tempfile.TemporaryDirectory(prefix="teachos-iso-") as root:
        os.makedirs(os.path.join(root, "boot", "grub"))
        shutil.copy(kernel, os.path.join(root, "boot", "kernel.elf"))
        shutil.copy(initrd, os.path.join(root, "boot", "initrd.cpio"))
        with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(config)
        result = subprocess.run(["grub-mkrescue", "-o", out, root], capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise RuntimeError("grub-mkrescue failed")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--initrd", required=True)
    parser.add_argument("--cmdline", default="")
    parser.add_argument("--timeout", type=int, default=0)
    args = parser.parse_args()
    build_image(args.out, args.kernel, args.initrd, args.cmdline, args.timeout)


if __name__ == "__main__":
    main()
