#!/usr/bin/env python3
"""Builds the user-space programs of user/ into an initrd tree.

    build_user.py --out DIR [--cc musl-gcc] [--werror] [-j N] [-v]

Layout of DIR (mkinitrd.py --tree DIR turns it into the initrd):

    bin/<tool>          init, sh, ps, kill, echo, cat, ls, sleep, true, false (user/<tool>.c)
    bin/bench           user/bench/bench.c
    tests/<name>        one program per user/tests/<name>.c (headers are shared, not programs)
    tests/data/...      user/tests/data/* copied, plus generated fixtures: malformed ELF files
                        that execve must refuse with ENOEXEC (see ELF_FIXTURES below)

Every program is a static musl binary (-std=c11 -Wall -Wextra -O2 -static) so the same
file runs on this kernel and on Linux. A program is rebuilt only when its source, a header
next to it, or this script is newer than the output. On a compiler error the script exits
non-zero after printing the compiler's message.
"""
import argparse
import concurrent.futures
import glob
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
USER = os.path.join(ROOT, "user")

TOOLS = ["init", "sh", "ps", "kill", "echo", "cat", "ls", "sleep", "true", "false"]
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-O2", "-static", "-pthread"]


def programs():
    """(source, output path relative to DIR) for every program."""
    out = [(os.path.join(USER, t + ".c"), os.path.join("bin", t)) for t in TOOLS]
    out.append((os.path.join(USER, "bench", "bench.c"), os.path.join("bin", "bench")))
    for src in sorted(glob.glob(os.path.join(USER, "tests", "*.c"))):
        name = os.path.splitext(os.path.basename(src))[0]
        out.append((src, os.path.join("tests", name)))
    return out


def dependencies(src):
    """The source, every header beside it or in user/, and this script (its flags)."""
    deps = [src, os.path.abspath(__file__)]
    for d in {os.path.dirname(src), USER}:
        deps += glob.glob(os.path.join(d, "*.h"))
    return deps


def newer_than(deps, target):
    try:
        built = os.path.getmtime(target)
    except OSError:
        return True
    return any(os.path.getmtime(d) > built for d in deps)


def compile_one(cc, src, target, extra, verbose):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    tmp = target + ".tmp"
    cmd = [cc] + CFLAGS + extra + ["-o", tmp, src]
    if verbose:
        print(" ".join(cmd))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.stdout:
        sys.stderr.write(proc.stdout)
    if proc.returncode != 0:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    os.replace(tmp, target)  # atomic: a half-written binary never has the final name
    return True


# --- ELF fixtures ----------------------------------------------------------------------
# Each is a file execve must reject with ENOEXEC (ELF gABI; Linux's load_elf_binary makes
# the same checks before the point of no return). They are marked executable: without an
# execute bit execve fails earlier with EACCES and the loader would not be exercised.

ET_REL, ET_EXEC = 1, 2
EM_X86_64, EM_AARCH64 = 62, 183
PT_LOAD = 1


def elf_header(e_type=ET_EXEC, machine=EM_X86_64, phoff=64, phentsize=56, phnum=1, ei_class=2):
    ident = b"\x7fELF" + bytes([ei_class, 1, 1, 0]) + b"\0" * 8  # class, little-endian, version 1, SysV
    # e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
    # e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
    return ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, 0x401000, phoff, 0, 0, 64,
                               phentsize, phnum, 64, 0, 0)


def load_phdr(offset=0, vaddr=0x400000, filesz=0x1000, memsz=0x1000):
    # p_type, p_flags (R+X), p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align
    return struct.pack("<IIQQQQQQ", PT_LOAD, 5, offset, vaddr, vaddr, filesz, memsz, 0x1000)


def padded(data, size=4096):
    return data + b"\xcc" * (size - len(data))


def elf_fixtures():
    good = elf_header() + load_phdr()
    return {
        # ELF magic, then garbage: e_type 0xaaaa is neither ET_EXEC nor ET_DYN.
        "bad_elf": b"\x7fELF" + b"\xaa" * 252,
        # Shorter than the 64-byte ELF header.
        "elf_truncated": good[:20],
        # A complete header and program header, but for AArch64.
        "elf_wrong_machine": padded(elf_header(machine=EM_AARCH64) + load_phdr()),
        # The program header table lies past the end of the file.
        "elf_bad_phoff": padded(elf_header(phoff=0x7FFF0000) + load_phdr()),
        # e_phoff + e_phnum * e_phentsize wraps around 2^64.
        "elf_phoff_overflow": padded(elf_header(phoff=0xFFFFFFFFFFFFFFC0) + load_phdr()),
        # Program headers of the wrong size for ELF64.
        "elf_bad_phentsize": padded(elf_header(phentsize=32) + load_phdr()),
        # No program headers at all: nothing to load.
        "elf_no_phdrs": padded(elf_header(phnum=0)),
        # A relocatable object, not an executable.
        "elf_wrong_type": padded(elf_header(e_type=ET_REL) + load_phdr()),
        # Not ELF at all (and no "#!"): a text file with the execute bit.
        "not_elf": b"this is a text file, not a program\n",
        # Empty.
        "empty_exec": b"",
    }


def write_if_changed(path, data, mode):
    try:
        with open(path, "rb") as f:
            same = f.read() == data
    except OSError:
        same = False
    if not same:
        with open(path, "wb") as f:
            f.write(data)
    os.chmod(path, mode)


def install_data(out):
    data_out = os.path.join(out, "tests", "data")
    os.makedirs(data_out, exist_ok=True)
    for src in sorted(glob.glob(os.path.join(USER, "tests", "data", "*"))):
        if not os.path.isfile(src):
            continue
        dst = os.path.join(data_out, os.path.basename(src))
        if newer_than([src], dst):
            shutil.copyfile(src, dst)
        os.chmod(dst, 0o644)
    for name, data in elf_fixtures().items():
        write_if_changed(os.path.join(data_out, name), data, 0o755)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="initrd tree to fill")
    parser.add_argument("--cc", default="musl-gcc")
    parser.add_argument("--werror", action="store_true", help="treat warnings as errors")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="compilers run at once (default 2)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    if shutil.which(args.cc) is None:
        sys.exit("build_user: compiler %s not found (Debian: apt-get install musl-tools)" % args.cc)
    extra = ["-Werror"] if args.werror else []
    todo = [(src, os.path.join(args.out, rel)) for src, rel in programs()]
    todo = [(src, target) for src, target in todo if newer_than(dependencies(src), target)]
    ok = True
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda job: compile_one(args.cc, job[0], job[1], extra, args.verbose), todo)
        for (src, _), success in zip(todo, results):
            if not success:
                print("build_user: failed to compile %s" % os.path.relpath(src, ROOT), file=sys.stderr)
                ok = False
    built = len(todo)
    install_data(args.out)
    if args.verbose:
        print("build_user: %d program(s) compiled into %s" % (built, args.out))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
