#!/usr/bin/env python3
"""Builds the kernel's embedded symbol table (for symbolized backtraces).

    gen_ksyms.py [--nm NM] KERNEL_ELF OUT_BIN       write the table
    gen_ksyms.py [--nm NM] --verify STAGE1 FINAL    check no function moved

Table layout (little-endian), read by libk/ksyms_table.cpp:
    header:  u32 magic 'KSYM', u32 count, u64 strings_offset
    entries: count x {u64 address, u32 name_offset, u32 size}, sorted by address
    strings: NUL-terminated demangled names
"""
import argparse
import shutil
import struct
import subprocess
import sys

MAGIC = 0x4D59534B  # "KSYM"


def text_symbols(nm, elf):
    out = subprocess.run([nm, "-n", "-S", "--defined-only", elf],
                         check=True, capture_output=True, text=True).stdout
    symbols, text_start, text_end = [], None, None
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4:
            address, size, kind, name = fields
        elif len(fields) == 3:
            address, kind, name = fields
            size = "0"
        else:
            continue
        address, size = int(address, 16), int(size, 16)
        if name == "__text_start":
            text_start = address
        elif name == "__text_end":
            text_end = address
        if kind in "tTwW":
            symbols.append((address, size, name))
    if text_start is None or text_end is None:
        sys.exit("gen_ksyms: __text_start/__text_end not found in " + elf)
    return [s for s in symbols if text_start <= s[0] < text_end]


def demangle(names):
    tool = shutil.which("c++filt") or shutil.which("llvm-cxxfilt")
    if not tool or not names:
        return names
    out = subprocess.run([tool], input="\n".join(names) + "\n",
                         check=True, capture_output=True, text=True).stdout
    result = out.splitlines()
    return result if len(result) == len(names) else names


def write_table(nm, elf, out_path):
    symbols = sorted(set(text_symbols(nm, elf)))
    names = demangle([name for _, _, name in symbols])
    strings = bytearray()
    entries = bytearray()
    for (address, size, _), name in zip(symbols, names):
        entries += struct.pack("<QII", address, len(strings), size)
        strings += name.encode("utf-8", "replace")[:200] + b"\0"
    header = struct.pack("<IIQ", MAGIC, len(symbols), 16 + len(entries))
    with open(out_path, "wb") as f:
        f.write(header + entries + strings)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nm", default="nm")
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("first")
    parser.add_argument("second")
    args = parser.parse_args()
    if args.verify:
        if text_symbols(args.nm, args.first) != text_symbols(args.nm, args.second):
            sys.exit("gen_ksyms: text symbols differ between the two links; "
                     "something before .ksyms changed size")
        return
    write_table(args.nm, args.first, args.second)


if __name__ == "__main__":
    main()
