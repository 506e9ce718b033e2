#!/usr/bin/env python3
"""Boots the kernel in QEMU, the way the tests and `make run` do.

Two ways in:
  --boot pvh   QEMU starts kernel.elf directly by its PVH note: -kernel,
               -initrd, -append. No GRUB, no image: the fast test path.
  --boot grub  a GRUB hybrid image (built here with the command line baked
               in), on --firmware bios|uefi (OVMF), from --medium cdrom|usb
               (a USB stick on an xHCI controller): the real path.

It prints the guest's serial output, enforces --timeout, and exits with the
guest's verdict, which the kernel reports through QEMU's isa-debug-exit
device: 0 if the guest said success, 1 otherwise (failure, panic, QEMU
error, or time-out). --expect REGEX (repeatable) additionally requires the
output to match; --expect-exit says which verdict counts as success
(success, failure or timeout: the panic and no-long-mode tests want the
latter two).

Typing into the guest (for the input tests): --type TEXT sends TEXT as
keystrokes to the guest's PS/2 keyboard through the QEMU monitor (on a
Unix socket, only then), --serial-input TEXT writes TEXT to COM1's input
(QEMU's stdin); both --type-delay seconds after QEMU starts.

Benchmarks and some tests want other machines: --smp, --mem, --cpu,
--accel (tcg, or kvm where /dev/kvm really runs this kernel: not under
PVM), --icount (deterministic instruction counting for benchmarks).
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import mkimage  # noqa: E402

EXIT_SUCCESS = 33  # isa-debug-exit: (0x10 << 1) | 1
EXIT_FAILURE = 35  # (0x11 << 1) | 1

OVMF_CANDIDATES = [
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
    ("/usr/share/ovmf/OVMF.fd", None),
    ("/usr/share/qemu/OVMF.fd", None),
]


def find_ovmf():
    for code, variables in OVMF_CANDIDATES:
        if os.path.exists(code) and (variables is None or os.path.exists(variables)):
            return code, variables
    sys.exit("qemu_run: no OVMF firmware found; install it: apt-get install ovmf")


def kvm_usable():
    """KVM only where /dev/kvm opens and is not kvm_pvm (which cannot run
    ordinary guests such as this kernel)."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
    except OSError:
        return False
    try:
        with open("/proc/modules") as f:
            if any(line.startswith("kvm_pvm ") for line in f):
                return False
    except OSError:
        pass
    return True


def build_initrd(path, extra_files, fixtures):
    args = [sys.executable, os.path.join(HERE, "mkinitrd.py"), path]
    user_tree = os.path.join(ROOT, "build", "user-root")
    if os.path.isdir(user_tree):
        args += ["--tree", user_tree]
    for spec in extra_files:
        if "=" not in spec:
            spec = os.path.basename(spec) + "=" + spec
        args += ["--file", spec]
    for name in fixtures:
        args += ["--fixture", name]
    subprocess.run(args, check=True)


def memory_bytes(size):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    size = size.strip().upper()
    if size and size[-1] in units:
        return int(float(size[:-1]) * units[size[-1]])
    return int(size) << 20  # QEMU's default unit is MiB


# QEMU `sendkey` names (QKeyCode) for the characters --type can type: the
# US layout, the same one the kernel's decoder uses.
_KEY_NAMES = {" ": "spc", "\n": "ret", "\b": "backspace", "\t": "tab", "-": "minus", "=": "equal",
              "[": "bracket_left", "]": "bracket_right", "\\": "backslash", ";": "semicolon",
              "'": "apostrophe", "`": "grave_accent", ",": "comma", ".": "dot", "/": "slash"}
_SHIFTED = {"!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9",
            ")": "0", "_": "-", "+": "=", "{": "[", "}": "]", "|": "\\", ":": ";", '"': "'", "~": "`",
            "<": ",", ">": ".", "?": "/"}


def decode_escapes(text):
    """\\n, \\b, \\t and \\\\ in --type/--serial-input text, so a shell can pass
    Enter and Backspace."""
    return re.sub(r"\\([nbt\\])", lambda m: {"n": "\n", "b": "\b", "t": "\t", "\\": "\\"}[m.group(1)], text)


def sendkey_name(char):
    """The sendkey argument that types `char`, e.g. 'a', 'shift-a', 'ret'."""
    if char.isascii() and (char.islower() or char.isdigit()):
        return char
    if char.isascii() and char.isupper():
        return "shift-" + char.lower()
    if char in _KEY_NAMES:
        return _KEY_NAMES[char]
    if char in _SHIFTED:
        return "shift-" + sendkey_name(_SHIFTED[char])
    raise ValueError("qemu_run: --type cannot type %r" % char)


def type_into_guest(opts, process, monitor_path, stop):
    """After --type-delay seconds: --serial-input into QEMU's stdin (COM1),
    --type as keystrokes through the monitor. Runs in its own thread."""
    if stop.wait(opts.type_delay):
        return
    if opts.serial_input is not None:
        try:
            process.stdin.write(decode_escapes(opts.serial_input).encode("utf-8"))
            process.stdin.flush()
        except OSError as error:
            print("qemu_run: cannot write to the guest's serial input: %s" % error, file=sys.stderr)
    if opts.type is None:
        return
    try:
        monitor = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for attempt in range(50):  # QEMU creates the socket as it starts
            try:
                monitor.connect(monitor_path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if attempt == 49 or stop.wait(0.1):
                    raise
        monitor.settimeout(5)
        for char in decode_escapes(opts.type):
            if stop.is_set():
                break
            monitor.sendall(("sendkey %s\n" % sendkey_name(char)).encode())
            # One key at a time, with room for the press and the release
            # (sendkey holds the key 100 ms by default).
            stop.wait(0.15)
        monitor.close()
    except OSError as error:
        print("qemu_run: cannot type through the monitor: %s" % error, file=sys.stderr)


def qemu_command(opts, workdir):
    machine = opts.machine
    extra = []
    if memory_bytes(opts.mem) >= (16 << 30):
        # A guest bigger than the host's overcommit allows: back it with
        # memory QEMU maps without reserving; only what the guest touches
        # costs host memory.
        machine += ",memory-backend=guest-ram"
        extra = ["-object", "memory-backend-ram,id=guest-ram,size=%s,reserve=off" % opts.mem]
    cmd = ["qemu-system-x86_64", "-machine", machine] + extra + ["-m", opts.mem, "-smp", str(opts.smp),
           "-cpu", opts.cpu, "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if opts.accel == "kvm":
        if not kvm_usable():
            sys.exit("qemu_run: KVM requested but /dev/kvm cannot run this kernel here; use --accel tcg")
        cmd += ["-accel", "kvm"]
    elif opts.icount:
        # One guest instruction per TSC tick, deterministic: for benchmarks.
        cmd += ["-accel", "tcg", "-icount", "shift=0,align=off,sleep=off"]
    else:
        cmd += ["-accel", "tcg,thread=multi" if opts.smp > 1 else "tcg"]

    initrd = opts.initrd or os.path.join(workdir, "initrd.cpio")
    if not opts.initrd:
        build_initrd(initrd, opts.initrd_file, opts.fixture)

    if opts.boot == "pvh":
        cmd += ["-kernel", opts.kernel, "-initrd", initrd, "-append", opts.append]
    else:
        image = os.path.join(workdir, "boot.iso")
        mkimage.build_image(image, opts.kernel, initrd, opts.append, 0)
        if opts.firmware == "uefi":
            code, variables = find_ovmf()
            cmd += ["-drive", "if=pflash,format=raw,readonly=on,file=" + code]
            if variables:
                vars_copy = os.path.join(workdir, "ovmf_vars.fd")
                shutil.copy(variables, vars_copy)
                cmd += ["-drive", "if=pflash,format=raw,file=" + vars_copy]
        if opts.medium == "cdrom":
            cmd += ["-drive", "file=%s,media=cdrom,format=raw,readonly=on" % image, "-boot", "d"]
        else:
            cmd += ["-device", "qemu-xhci,id=xhci",
                    "-drive", "if=none,id=stick,format=raw,file=" + image,
                    "-device", "usb-storage,bus=xhci.0,drive=stick,bootindex=1"]
    if opts.gdb:
        cmd += ["-s", "-S"]
    return cmd


def run(opts):
    """Runs QEMU; returns (verdict_ok, output_text, reason)."""
    workdir = tempfile.mkdtemp(prefix="teachos-run-")
    try:
        cmd = qemu_command(opts, workdir)
        if opts.interactive:
            display = ["-display", "gtk"] if os.environ.get("DISPLAY") else ["-display", "none"]
            return subprocess.call(cmd + ["-serial", "mon:stdio"] + display) == 0, "", ""
        monitor_path = os.path.join(workdir, "monitor.sock")
        monitor = ["unix:%s,server,nowait" % monitor_path] if opts.type is not None else ["none"]
        cmd += ["-display", "none", "-serial", "stdio", "-monitor"] + monitor
        if opts.verbose:
            print("qemu_run:", " ".join(cmd), file=sys.stderr)
        typing = opts.type is not None or opts.serial_input is not None
        process = subprocess.Popen(cmd, stdin=subprocess.PIPE if opts.serial_input is not None else subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        stop_typing = threading.Event()
        if typing:
            typist = threading.Thread(target=type_into_guest, args=(opts, process, monitor_path, stop_typing),
                                      daemon=True)
            typist.start()
        lines = []

        def reader():
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").replace("\r", "")
                lines.append(line)
                if opts.echo:
                    sys.stdout.write(line)
                    sys.stdout.flush()

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        timed_out = False
        try:
            process.wait(timeout=opts.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            process.kill()
            process.wait()
        stop_typing.set()
        thread.join(timeout=5)
        if process.stdin:
            try:
                process.stdin.close()
            except OSError:
                pass
        output = "".join(lines)
        code = process.returncode

        if timed_out:
            verdict = "timeout"
        elif code == EXIT_SUCCESS:
            verdict = "success"
        elif code == EXIT_FAILURE:
            verdict = "failure"
        else:
            verdict = "qemu-error(%d)" % code
        ok = verdict == opts.expect_exit
        reason = "" if ok else "guest verdict %s, expected %s" % (verdict, opts.expect_exit)
        if ok and opts.expect_exit != "failure" and "PANIC:" in output:
            ok, reason = False, "kernel panic"
        for pattern in opts.expect:
            if ok and not re.search(pattern, output, re.MULTILINE):
                ok, reason = False, "output does not match %r" % pattern
        return ok, output, reason
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", default=os.path.join(ROOT, "build", "kernel", "kernel.elf"))
    p.add_argument("--boot", choices=["pvh", "grub"], default="pvh")
    p.add_argument("--firmware", choices=["bios", "uefi"], default="bios")
    p.add_argument("--medium", choices=["cdrom", "usb"], default="cdrom")
    p.add_argument("--machine", default="q35")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--mem", default="256M")
    p.add_argument("--cpu", default="max")
    p.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    p.add_argument("--icount", action="store_true")
    p.add_argument("--append", default="", help="kernel command line")
    p.add_argument("--initrd", help="use this initrd instead of building one")
    p.add_argument("--initrd-file", action="append", default=[],
                   help="extra initrd file: HOST_PATH or ARCHIVE_PATH=HOST_PATH")
    p.add_argument("--fixture", action="append", default=[], help="add a fixture file of this name")
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--expect", action="append", default=[], help="regex the output must match")
    p.add_argument("--expect-exit", choices=["success", "failure", "timeout"], default="success")
    p.add_argument("--type", metavar="TEXT",
                   help="type TEXT on the guest's PS/2 keyboard (QEMU monitor sendkey; \\n is Enter)")
    p.add_argument("--serial-input", metavar="TEXT", help="send TEXT to the guest's COM1 (QEMU's stdin)")
    p.add_argument("--type-delay", metavar="SECONDS", type=float, default=2.0,
                   help="wait this long after QEMU starts before --type and --serial-input (default 2)")
    p.add_argument("--interactive", action="store_true", help="serial on this terminal, no time-out")
    p.add_argument("--gdb", action="store_true", help="start halted with the gdb stub on :1234")
    p.add_argument("--quiet", dest="echo", action="store_false", help="do not echo the serial output")
    p.add_argument("--verbose", action="store_true")
    return p


def main():
    opts = parser().parse_args()
    if opts.type is not None:
        try:
            [sendkey_name(c) for c in decode_escapes(opts.type)]
        except ValueError as error:
            sys.exit(str(error))
    if not os.path.exists(opts.kernel):
        sys.exit("qemu_run: %s does not exist; run `make` first" % opts.kernel)
    ok, _, reason = run(opts)
    if not ok and reason:
        print("qemu_run: FAILED: " + reason, file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
