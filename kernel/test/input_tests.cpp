// Typed input: the console's input queue on its own, then the real thing:
// tools/qemu_run.py types text into the guest (--type: PS/2 keystrokes
// through the QEMU monitor; --serial-input: bytes into COM1) and says on
// the command line what it typed (expect_keys=, expect_serial=; "\n", "\b"
// and "\\" stand for Enter, Backspace and a backslash). Without those words
// the typing tests are skipped, not passed.
#include "kernel/boot_info.h"
#include "kernel/drivers/console_input.h"
#include "kernel/drivers/ps2_keyboard.h"
#include "kernel/drivers/serial_input.h"
#include "kernel/log.h"
#include "kernel/sched/scheduler.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"
#include "libk/string.h"

namespace {

constexpr uint64_t kMs = 1000000;

size_t read_exactly(drivers::ConsoleInput& input, uint8_t* buffer, size_t count, uint64_t deadline_ns) {
    size_t got = 0;
    while (got < count) {
        const size_t n = input.read(buffer + got, count - got, deadline_ns);
        if (n == 0) break;
        got += n;
    }
    return got;
}

// What the runner typed, with the escapes decoded.
struct Expected {
    char text[128];
    size_t length = 0;
    bool given = false;
};

Expected expected_from_command_line(const char* key) {
    Expected e;
    k::StringView value;
    if (!kernel::command_line().get(key, value)) return e;
    e.given = true;
    for (size_t i = 0; i < value.size() && e.length < sizeof e.text; ++i) {
        char c = value[i];
        if (c == '\\' && i + 1 < value.size()) {
            const char next = value[++i];
            c = next == 'n' ? '\n' : next == 'b' ? '\b' : next;
        }
        e.text[e.length++] = c;
    }
    return e;
}

// True if `wanted` appears in `received` in order, other bytes in between:
// the keyboard's and the serial port's threads feed one queue concurrently,
// so their bytes interleave, each source keeping its own order.
bool contains_in_order(const char* received, size_t received_length, const Expected& wanted) {
    size_t matched = 0;
    for (size_t i = 0; i < received_length && matched < wanted.length; ++i) {
        if (received[i] == wanted.text[matched]) ++matched;
    }
    return matched == wanted.length;
}

// Both typing tests read the one console queue: the first collects
// everything the runner typed, both check it.
struct Typed {
    bool collected = false;
    char text[256];
    size_t length = 0;
};

const Typed& typed_input(const Expected& keys, const Expected& serial) {
    static Typed typed;
    if (typed.collected) return typed;
    typed.collected = true;
    // The runner types a couple of seconds after boot; allow for a slow,
    // busy host.
    const uint64_t deadline = ktime::monotonic_ns() + 40000 * kMs;
    typed.length = read_exactly(drivers::console_input(), reinterpret_cast<uint8_t*>(typed.text),
                                keys.length + serial.length, deadline);
    // Anything beyond what was expected is wrong too: give it a moment to show.
    uint8_t extra[16];
    const size_t surplus = drivers::console_input().read(extra, sizeof extra, ktime::monotonic_ns() + 200 * kMs);
    for (size_t i = 0; i < surplus && typed.length < sizeof typed.text; ++i) typed.text[typed.length++] = extra[i];
    kernel::kprintf("input: received %lu bytes: \"", typed.length);
    for (size_t i = 0; i < typed.length; ++i) {
        const char c = typed.text[i];
        if (c >= 0x20 && c < 0x7f) kernel::kprintf("%c", c);
        else kernel::kprintf("\\x%02x", static_cast<unsigned>(static_cast<uint8_t>(c)));
    }
    kernel::kprintf("\"\n");
    return typed;
}

}  // namespace

KTEST(input, queue_hands_bytes_to_a_reader_in_order) {
    static drivers::ConsoleInput queue;
    queue.discard();
    KEXPECT_EQ(queue.push(reinterpret_cast<const uint8_t*>("abc"), 3), 3);
    KEXPECT_EQ(queue.available(), 3);
    uint8_t buffer[8] = {};
    KEXPECT_EQ(queue.read(buffer, 2, ktime::monotonic_ns() + 100 * kMs), 2);
    KEXPECT(buffer[0] == 'a' && buffer[1] == 'b');
    KEXPECT_EQ(queue.read(buffer, sizeof buffer, ktime::monotonic_ns() + 100 * kMs), 1);
    KEXPECT_EQ(buffer[0], 'c');
}

KTEST(input, queue_read_times_out_when_empty) {
    static drivers::ConsoleInput queue;
    queue.discard();
    uint8_t byte;
    const uint64_t start = ktime::monotonic_ns();
    KEXPECT_EQ(queue.read(&byte, 1, start + 20 * kMs), 0);
    KEXPECT(ktime::monotonic_ns() - start >= 20 * kMs);
}

KTEST(input, queue_drops_and_counts_when_full) {
    static drivers::ConsoleInput queue;
    queue.discard();
    constexpr size_t kExtra = 10;
    static uint8_t bytes[drivers::ConsoleInput::kCapacity + kExtra];
    for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<uint8_t>(i * 7);
    const uint64_t dropped_before = queue.dropped();
    KEXPECT_EQ(queue.push(bytes, sizeof bytes), drivers::ConsoleInput::kCapacity);
    KEXPECT_EQ(queue.dropped() - dropped_before, kExtra);
    KEXPECT(!queue.push(uint8_t{1}));
    // The oldest bytes are kept, in order.
    static uint8_t out[drivers::ConsoleInput::kCapacity];
    KEXPECT_EQ(read_exactly(queue, out, sizeof out, ktime::monotonic_ns() + 100 * kMs), sizeof out);
    KEXPECT(memcmp(out, bytes, sizeof out) == 0);
    KEXPECT_EQ(queue.available(), 0);
}

KTEST(input, queue_wakes_a_blocked_reader) {
    struct Shared {
        drivers::ConsoleInput queue;
        uint8_t received[4];
        size_t count;
        uint64_t woke_at;
    };
    static Shared shared;
    shared.queue.discard();
    shared.count = 0;
    auto reader = sched::thread_create(
        [](void* argument) {
            auto s = static_cast<Shared*>(argument);
            s->count = s->queue.read(s->received, sizeof s->received, ktime::monotonic_ns() + 5000 * kMs);
            s->woke_at = ktime::monotonic_ns();
        },
        &shared, sched::ThreadOptions{.name = "input-reader"});
    KASSERT(reader.ok());
    sched::sleep_ns(30 * kMs);  // let it block
    const uint64_t pushed_at = ktime::monotonic_ns();
    KEXPECT(shared.queue.push(uint8_t{'x'}));
    sched::thread_join(reader.value());
    KEXPECT_EQ(shared.count, 1);
    KEXPECT_EQ(shared.received[0], 'x');
    KEXPECT(shared.woke_at >= pushed_at);
    KEXPECT(shared.woke_at - pushed_at < 1000 * kMs);  // woken, not timed out
}

KTEST(input, keys_typed_on_the_ps2_keyboard_arrive) {
    const Expected keys = expected_from_command_line("expect_keys");
    const Expected serial = expected_from_command_line("expect_serial");
    if (!keys.given) KSKIP("no expect_keys= on the command line");
    KASSERT(drivers::ps2_keyboard_running());
    const Typed& typed = typed_input(keys, serial);
    KEXPECT(contains_in_order(typed.text, typed.length, keys));
    // Exactly these characters came from the keyboard, nothing more.
    const drivers::Ps2KeyboardStats stats = drivers::ps2_keyboard_stats();
    KEXPECT_EQ(stats.characters, keys.length);
    KEXPECT_EQ(stats.dropped, 0);
    KEXPECT(stats.interrupts > 0);
    // Every character is a press and a release at least.
    KEXPECT(stats.scancodes >= 2 * keys.length);
}

KTEST(input, bytes_sent_to_com1_arrive) {
    const Expected keys = expected_from_command_line("expect_keys");
    const Expected serial = expected_from_command_line("expect_serial");
    if (!serial.given) KSKIP("no expect_serial= on the command line");
    KASSERT(drivers::serial_input_running());
    const Typed& typed = typed_input(keys, serial);
    KEXPECT(contains_in_order(typed.text, typed.length, serial));
    // Exactly these bytes came from the UART, nothing more.
    const drivers::SerialInputStats stats = drivers::serial_input_stats();
    KEXPECT_EQ(stats.bytes_received, serial.length);
    KEXPECT_EQ(stats.bytes_dropped, 0);
    KEXPECT(stats.interrupts > 0);
}
