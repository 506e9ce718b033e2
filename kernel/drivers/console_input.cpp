#include "kernel/drivers/console_input.h"

#include "kernel/drivers/ps2_keyboard.h"
#include "kernel/drivers/serial_input.h"
#include "kernel/log.h"
#include "kernel/sync/guards.h"

namespace drivers {

size_t ConsoleInput::push(const uint8_t* bytes, size_t count) {
    size_t taken = 0;
    {
        kernel::SpinLockIrqSave guard(lock_);
        while (taken < count && count_ < kCapacity) {
            bytes_[(head_ + count_) % kCapacity] = bytes[taken++];
            __atomic_store_n(&count_, count_ + 1, __ATOMIC_RELEASE);
        }
        dropped_ += count - taken;
    }
    // Outside our lock: waking takes the wait queue's and a run queue's.
    if (taken > 0) readers_.wake_all();
    return taken;
}

size_t ConsoleInput::read(uint8_t* buffer, size_t max, uint64_t deadline_ns) {
    if (max == 0) return 0;
    for (;;) {
        // Another reader may empty the queue between the wake-up and our
        // lock: then wait again.
        if (!readers_.wait_until([this] { return available() > 0; }, deadline_ns)) return 0;
        kernel::SpinLockIrqSave guard(lock_);
        size_t taken = 0;
        while (taken < max && count_ > 0) {
            buffer[taken++] = bytes_[head_];
            head_ = (head_ + 1) % kCapacity;
            __atomic_store_n(&count_, count_ - 1, __ATOMIC_RELEASE);
        }
        if (taken > 0) return taken;
    }
}

void ConsoleInput::discard() {
    kernel::SpinLockIrqSave guard(lock_);
    head_ = 0;
    __atomic_store_n(&count_, size_t{0}, __ATOMIC_RELEASE);
}

ConsoleInput& console_input() {
    static ConsoleInput queue;
    return queue;
}

void start_console_input() {
    if (auto started = serial_input_start(console_input()); !started.ok()) {
        log_info("serial: no receive interrupt (%s); COM1 stays output-only", k::errno_name(started.error()));
    }
    if (auto started = ps2_keyboard_start(console_input()); !started.ok()) {
        log_info("ps2: no keyboard (%s)", k::errno_name(started.error()));
    }
}

}  // namespace drivers
