#!/bin/sh
# Installs what the build, `make run` and `make test` need and the machine
# lacks, with apt-get (as root); as anyone else, prints the exact command.
# Each entry: a command or file that proves the package is there, then the
# Debian package that provides it.
set -eu

need="
qemu-system-x86_64 qemu-system-x86
nasm nasm
grub-mkrescue grub-common
/usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin
/usr/lib/grub/x86_64-efi/multiboot2.mod grub-efi-amd64-bin
xorriso xorriso
mformat mtools
/usr/share/OVMF ovmf
clang clang
ld.lld lld
cmake cmake
ninja ninja-build
/usr/include/gtest/gtest.h libgtest-dev
python3 python3
nm binutils
gdb gdb
musl-gcc musl-tools
"

missing=""
set -- $need
while [ $# -ge 2 ]; do
    probe=$1 package=$2
    shift 2
    case $probe in
        /*) [ -e "$probe" ] || missing="$missing $package" ;;
        *) command -v "$probe" >/dev/null 2>&1 || missing="$missing $package" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "install-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
else
    echo "install-deps: missing packages:$missing"
    echo "install-deps: run: sudo apt-get update && sudo apt-get install -y$missing"
    exit 1
fi
