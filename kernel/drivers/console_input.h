#pragma once
// Typed input on its way to a reader, in two stages:
//
//   hard IRQ: primary handler ──► IrqByteRing (lock-free, one per device)
//   IRQ thread: drain the ring, decode ──► ConsoleInput (one for the console)
//   reader thread: ConsoleInput::read() sleeps on a wait queue until bytes come
//
// The hard-IRQ stage only moves bytes off the device (so it can take the
// next interrupt) and never takes a lock a thread holds; decoding and
// waking readers happen in the IRQ thread, which may take ordinary locks.
// Both stages are bounded: when a reader falls behind, new bytes are
// dropped and counted, the way a terminal drops input it cannot buffer.
#include <stddef.h>
#include <stdint.h>

#include "kernel/sched/scheduler.h"
#include "kernel/sync/spinlock.h"
#include "kernel/sync/wait_queue.h"

namespace drivers {

// Single producer (the primary handler: one line's actions run serialized
// under the line's lock), single consumer (the device's IRQ thread). Indices
// only grow; the producer publishes with release, the consumer reads with
// acquire, so neither needs a lock or disables interrupts.
template <size_t kSize> class IrqByteRing {
    static_assert(kSize > 0 && (kSize & (kSize - 1)) == 0, "a power of two, so indices wrap cleanly");

public:
    constexpr IrqByteRing() = default;
    IrqByteRing(const IrqByteRing&) = delete;
    IrqByteRing& operator=(const IrqByteRing&) = delete;

    // Producer side. False (and counted) when full.
    bool push(uint8_t byte) {
        const uint32_t tail = __atomic_load_n(&tail_, __ATOMIC_RELAXED);
        if (tail - __atomic_load_n(&head_, __ATOMIC_ACQUIRE) == kSize) {
            __atomic_fetch_add(&dropped_, 1, __ATOMIC_RELAXED);
            return false;
        }
        bytes_[tail % kSize] = byte;
        __atomic_store_n(&tail_, tail + 1, __ATOMIC_RELEASE);
        return true;
    }

    // Consumer side.
    bool pop(uint8_t& byte) {
        const uint32_t head = __atomic_load_n(&head_, __ATOMIC_RELAXED);
        if (head == __atomic_load_n(&tail_, __ATOMIC_ACQUIRE)) return false;
        byte = bytes_[head % kSize];
        __atomic_store_n(&head_, head + 1, __ATOMIC_RELEASE);
        return true;
    }

    uint64_t dropped() const { return __atomic_load_n(&dropped_, __ATOMIC_RELAXED); }

private:
    uint8_t bytes_[kSize] = {};
    uint32_t head_ = 0;  // next to pop (consumer writes)
    uint32_t tail_ = 0;  // next to fill (producer writes)
    uint64_t dropped_ = 0;
};

// The console's input queue: any number of producers (IRQ threads, tests),
// any number of readers. Producers never block; readers sleep.
class ConsoleInput {
public:
    static constexpr size_t kCapacity = 256;

    constexpr ConsoleInput() = default;
    ConsoleInput(const ConsoleInput&) = delete;
    ConsoleInput& operator=(const ConsoleInput&) = delete;

    // Appends what fits and wakes readers; returns how many bytes were
    // taken. The rest is dropped and counted. Thread context (it wakes
    // threads, which hard-IRQ handlers leave to their IRQ thread).
    size_t push(const uint8_t* bytes, size_t count);
    bool push(uint8_t byte) { return push(&byte, 1) == 1; }

    // Waits until at least one byte is there or `deadline_ns` (monotonic)
    // passes, then takes up to `max` bytes. Returns how many: 0 only on
    // time-out (or max == 0).
    size_t read(uint8_t* buffer, size_t max, uint64_t deadline_ns = sched::kForever);

    size_t available() const { return __atomic_load_n(&count_, __ATOMIC_ACQUIRE); }
    uint64_t dropped() const { return __atomic_load_n(&dropped_, __ATOMIC_RELAXED); }
    // Forgets queued bytes (tests start from a clean queue).
    void discard();

private:
    mutable ksync::SpinLock lock_;  // bytes_, head_, count_; taken with interrupts off
    uint8_t bytes_[kCapacity] = {};
    size_t head_ = 0;
    size_t count_ = 0;
    uint64_t dropped_ = 0;
    ksync::WaitQueue readers_;
};

// The console's one input queue, fed by the serial port and the keyboard.
ConsoleInput& console_input();

// Starts the drivers that feed console_input(): COM1's receiver and the
// PS/2 keyboard. Either may be absent (logged); after scheduler_init().
void start_console_input();

}  // namespace drivers
