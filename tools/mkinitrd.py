#!/usr/bin/env python3
"""Writes a `newc` cpio archive (the initrd) the kernel reads with libk/cpio.

    mkinitrd.py OUT [--tree DIR]... [--file ARCHIVE_PATH=HOST_PATH]... [--fixture NAME]...

--tree adds every file under DIR at its path relative to DIR; --file adds one
host file under the given archive path; --fixture adds a small text file
whose content the in-kernel boot test checks (boot.initrd_module...).
"""
import argparse
import os
import stat
import sys

FIXTURE_TEXT = b"teachos initrd fixture\n"


def newc_entry(name, mode, data, ino):
    name_bytes = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_bytes), 0]
    header = b"070701" + b"".join(b"%08x" % f for f in fields)
    out = header + name_bytes
    out += b"\0" * ((4 - len(out) % 4) % 4)
    out += data
    out += b"\0" * ((4 - len(out) % 4) % 4)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--tree", action="append", default=[])
    parser.add_argument("--file", action="append", default=[])
    parser.add_argument("--fixture", action="append", default=[])
    args = parser.parse_args()

    entries = {}
    for tree in args.tree:
        for root, dirs, files in os.walk(tree):
            dirs.sort()
            for name in sorted(files):
                host = os.path.join(root, name)
                entries[os.path.relpath(host, tree)] = host
    for spec in args.file:
        archive_path, sep, host = spec.partition("=")
        if not sep:
            sys.exit("mkinitrd: --file wants ARCHIVE_PATH=HOST_PATH, got " + spec)
        entries[archive_path.lstrip("/")] = host

    archive = bytearray()
    ino = 1
    directories = set()
    for path in sorted(list(entries) + args.fixture):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            directory = "/".join(parts[:i])
            if directory not in directories:
                directories.add(directory)
                archive += newc_entry(directory, stat.S_IFDIR | 0o755, b"", ino)
                ino += 1
        if path in entries:
            host = entries[path]
            with open(host, "rb") as f:
                data = f.read()
            mode = 0o755 if os.access(host, os.X_OK) else 0o644
        else:
            data, mode = FIXTURE_TEXT, 0o644
        archive += newc_entry(path, stat.S_IFREG | mode, data, ino)
        ino += 1
    archive += newc_entry("TRAILER!!!", 0, b"", 0)
    archive += b"\0" * ((512 - len(archive) % 512) % 512)
    with open(args.out, "wb") as f:
        f.write(archive)


if __name__ == "__main__":
    main()
