#!/usr/bin/env python3
"""`make test`: the host GoogleTest suites (through CTest) and the in-guest
suites (tests/qemu/suites.py, booted by tools/qemu_run.py), summed into one
closing line "N passed, N failed[, N skipped]"; exits non-zero if anything
failed or a guest hung past its time-out."""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))

import qemu_run  # noqa: E402
import suites  # noqa: E402

TEST_LINE = re.compile(r"^TEST (\S+) (PASS|FAIL|SKIP)(?: (.*))?$", re.MULTILINE)


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def add(self, name, status, reason=""):
        if status == "PASS":
            self.passed += 1
        elif status == "SKIP":
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append("%s: %s" % (name, reason))


def run_host_tests(build, tally):
    result = subprocess.run(["ctest", "--test-dir", build, "--output-on-failure", "-j", str(os.cpu_count() or 2)],
                            capture_output=True, text=True)
    output = result.stdout + result.stderr
    summary = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", output)
    if not summary:
        print(output)
        tally.add("host.ctest", "FAIL", "ctest printed no summary")
        return
    failed, total = int(summary.group(2)), int(summary.group(3))
    for line in output.splitlines():
        m = re.match(r"\s*\d+/\d+ Test\s+#\d+: (\S+) \.+\s*(\*\*\*Failed|Passed|\*\*\*Not Run|\*\*\*Skipped)", line)
        if m and "Failed" in m.group(2):
            print("TEST host.%s FAIL" % m.group(1))
    tally.passed += total - failed
    tally.failed += failed
    if failed:
        tally.failures.append("host: %d GoogleTest cases failed (see above)" % failed)
        print(output)
    print("host: %d GoogleTest cases, %d failed" % (total, failed))


def run_guest_suite(suite, kernel, initrd):
    # "{initrd}" in a suite's arguments is the initrd `make` built from user/.
    args = [a.replace("{initrd}", initrd) for a in suite["args"]]
    opts = qemu_run.parser().parse_args(["--kernel", kernel, "--quiet"] + args)
    start = time.time()
    ok, output, reason = qemu_run.run(opts)
    return suite, ok, output, reason, time.time() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--only", help="run only guest suites whose name contains this")
    parser.add_argument("--no-host", action="store_true")
    # One guest at a time: the guests already use both host cores (SMP
    # guests more than that), and the timing tests want their CPU time.
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    tally = Tally()
    if not args.no_host:
        run_host_tests(args.build, tally)

    kernel = os.path.join(args.build, "kernel", "kernel.elf")
    initrd = os.path.join(args.build, "initrd.cpio")
    selected = [s for s in suites.SUITES if not args.only or args.only in s["name"]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for suite, ok, output, reason, seconds in pool.map(lambda s: run_guest_suite(s, kernel, initrd), selected):
            name = suite["name"]
            lines = TEST_LINE.findall(output)
            for test, status, why in lines:
                print("TEST %s/%s %s%s" % (name, test, status, " " + why if why else ""))
                tally.add(name + "/" + test, status, why)
            # The boot itself is a test: the guest reached its verdict (and
            # matched every expectation) within the time-out.
            print("TEST qemu.%s %s%s  (%.1f s)" % (name, "PASS" if ok else "FAIL", "" if ok else " " + reason, seconds))
            tally.add("qemu." + name, "PASS" if ok else "FAIL", reason)
            if not ok:
                tail = "\n".join(output.splitlines()[-40:])
                print("---- last serial lines of %s ----\n%s\n----" % (name, tail))

    if tally.failures:
        print("Failures:")
        for failure in tally.failures:
            print("  " + failure)
    closing = "%d passed, %d failed" % (tally.passed, tally.failed)
    if tally.skipped:
        closing += ", %d skipped" % tally.skipped
    print(closing)
    sys.exit(1 if tally.failed else 0)


if __name__ == "__main__":
    main()
