# The classroom front door: a thin wrapper over the CMake build and the
# QEMU runner. `make run` and `make test` install missing packages first.
#
#   make            build the kernel and the host tests
#   make run        boot the GRUB image in QEMU (BIOS), serial on this terminal
#   make test       host tests + in-guest suites; ends with "N passed, N failed"
#   make iso        build/teachos.iso: one hybrid image for BIOS and UEFI, CD or USB
#   make usb        how to write that image to a USB stick
#   make gdb        QEMU halted with its gdb stub, and gdb attached with symbols
#   make bench      benchmarks (BENCH lines)
#   make clean

BUILD      ?= build
BUILD_TYPE ?= Debug
KERNEL     := $(BUILD)/kernel/kernel.elf
INITRD     := $(BUILD)/initrd.cpio
ISO        := $(BUILD)/teachos.iso
PYTHON     ?= python3
RUN_ARGS   ?=

.PHONY: all deps build user run run-pvh test iso usb gdb gdb-qemu gdb-attach bench clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD)
	@$(PYTHON) tools/merge_compile_commands.py $(BUILD) $(BUILD)/kernel > compile_commands.json

# User programs (user/): static musl binaries laid out as the initrd's tree.
user:
	$(PYTHON) tools/build_user.py --out $(BUILD)/user-root

$(INITRD): build user
	$(PYTHON) tools/mkinitrd.py $(INITRD) --tree $(BUILD)/user-root

iso: deps build $(INITRD)
	$(PYTHON) tools/mkimage.py $(ISO) --kernel $(KERNEL) --initrd $(INITRD) --timeout 3
	@echo "Built $(ISO): boots under BIOS and UEFI, as a CD-ROM or written raw to a USB stick (make usb)."

usb: iso
	@echo "To boot a real PC from a USB stick, write the image raw to the whole stick"
	@echo "(not a partition; everything on it is lost). Find the stick with lsblk, then:"
	@echo ""
	@echo "    sudo dd if=$(ISO) of=/dev/sdX bs=4M conv=fsync status=progress"
	@echo ""
	@echo "Boot it from the firmware's boot menu, in legacy BIOS or UEFI mode (Secure"
	@echo "Boot off). Kernel messages appear on the screen and on COM1 at 115200 baud."

run: deps iso
	$(PYTHON) tools/qemu_run.py --boot grub --initrd $(INITRD) --interactive $(RUN_ARGS)

# The fast way in, without GRUB: QEMU starts the ELF by its PVH note.
run-pvh: deps build $(INITRD)
	$(PYTHON) tools/qemu_run.py --boot pvh --initrd $(INITRD) --interactive $(RUN_ARGS)

test: deps build $(INITRD)
	$(PYTHON) tools/test_all.py --build $(BUILD)

# Benchmarks measure the release configuration (no slab poisoning or red
# zones), in a build tree of their own.
bench: deps $(INITRD)
	cmake -S . -B $(BUILD)-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DKERNEL_DEBUG=OFF
	cmake --build $(BUILD)-bench --target kernel
	$(PYTHON) tools/bench.py --build $(BUILD)-bench --initrd $(INITRD)

# Debugging, one terminal: QEMU runs in the background (its serial output
# goes to $(BUILD)/gdb-serial.log: `tail -f` it in a second terminal), gdb
# in the foreground with the kernel's symbols, stopped at kernel_main.
gdb: deps build $(INITRD)
	$(PYTHON) tools/qemu_run.py --boot pvh --initrd $(INITRD) --gdb --timeout 86400 --quiet \
	    --expect-exit success $(RUN_ARGS) > $(BUILD)/gdb-serial.log 2>&1 & \
	sleep 1; gdb -q -x tools/gdbinit $(KERNEL); kill $$! 2>/dev/null || true

# Debugging, two terminals: `make gdb-qemu` in the first (serial output
# there), `make gdb-attach` in the second.
gdb-qemu: deps build $(INITRD)
	$(PYTHON) tools/qemu_run.py --boot pvh --initrd $(INITRD) --gdb --interactive $(RUN_ARGS)

gdb-attach:
	gdb -q -x tools/gdbinit $(KERNEL)

clean:
	rm -rf $(BUILD) $(BUILD)-bench compile_commands.json
