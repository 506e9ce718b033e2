// Threaded interrupts with a real device: the PIT's channel 0 on ISA IRQ 0,
// routed through the I/O APIC (with the MADT's override).
#include "arch/x86_64/pit.h"
#include "kernel/irq/threaded_irq.h"
#include "kernel/platform.h"
#include "kernel/sched/scheduler.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"

namespace {

constexpr uint64_t kMs = 1000000;

struct Counters {
    volatile uint64_t primary;
    volatile uint64_t thread;
    volatile int thread_prio;
};

bool pit_line(uint32_t& gsi, kirq::LineTrigger& trigger) {
    const k::AcpiInfo& acpi = kernel::acpi_info();
    if (acpi.io_apic_count == 0) return false;
    k::IsaIrqFlags flags;
    gsi = acpi.gsi_for_isa_irq(0, &flags);
    trigger.level = flags.trigger == k::IrqTrigger::Level;
    trigger.active_low = flags.polarity == k::IrqPolarity::ActiveLow;
    return true;
}

kirq::IrqReturn count_and_wake(void* context) {
    auto c = static_cast<Counters*>(context);
    c->primary = c->primary + 1;
    return kirq::IrqReturn::WakeThread;
}

void count_in_thread(void* context) {
    auto c = static_cast<Counters*>(context);
    c->thread = c->thread + 1;
    c->thread_prio = sched::current_thread()->entity.prio;
}

}  // namespace

KTEST(threaded_irq, primary_wakes_a_real_time_thread) {
    uint32_t gsi;
    kirq::LineTrigger trigger;
    if (!pit_line(gsi, trigger)) KSKIP("no I/O APIC");
    static Counters counters;
    counters = Counters{};
    auto action = kirq::request_threaded_irq(gsi, trigger, count_and_wake, count_in_thread, kirq::kIrqOneShot,
                                             "pit-thread", &counters, 60);
    KASSERT(action.ok());
    arch::pit_channel0_start_periodic(500);
    sched::sleep_ns(40 * kMs);
    KEXPECT(counters.primary >= 5);
    KEXPECT(counters.thread >= 5);
    // Real-time priority 60 is Linux-internal prio 99 - 60 = 39.
    KEXPECT_EQ(counters.thread_prio, 39);
    // Changed at run time.
    KEXPECT(kirq::set_irq_thread_priority(action.value(), 80).ok());
    sched::sleep_ns(20 * kMs);
    KEXPECT_EQ(counters.thread_prio, 19);
    arch::pit_channel0_stop();
    kirq::free_threaded_irq(action.value());
}

// Two devices on one line: both primaries see every interrupt, each wakes
// only its own thread.
KTEST(threaded_irq, shared_lines_call_every_action) {
    uint32_t gsi;
    kirq::LineTrigger trigger;
    if (!pit_line(gsi, trigger)) KSKIP("no I/O APIC");
    static Counters first, second;
    first = Counters{};
    second = Counters{};
    auto a = kirq::request_threaded_irq(gsi, trigger, count_and_wake, count_in_thread, kirq::kIrqShared, "shared-a", &first);
    auto b = kirq::request_threaded_irq(gsi, trigger, count_and_wake, count_in_thread, kirq::kIrqShared, "shared-b", &second);
    KASSERT(a.ok() && b.ok());
    auto exclusive = kirq::request_threaded_irq(gsi, trigger, count_and_wake, count_in_thread, 0, "exclusive", &first);
    KEXPECT(!exclusive.ok() && exclusive.error() == k::Errno::ebusy);
    arch::pit_channel0_start_periodic(500);
    sched::sleep_ns(40 * kMs);
    arch::pit_channel0_stop();
    KEXPECT(first.primary >= 5 && second.primary >= 5);
    KEXPECT(first.thread >= 1 && second.thread >= 1);
    kirq::free_threaded_irq(a.value());
    kirq::free_threaded_irq(b.value());
}

// Nobody claims the interrupts: after a burst the line is disabled, with a
// log line, instead of the CPU drowning in them.
KTEST(threaded_irq, unhandled_storm_disables_the_line) {
    uint32_t gsi;
    kirq::LineTrigger trigger;
    if (!pit_line(gsi, trigger)) KSKIP("no I/O APIC");
    static Counters counters;
    counters = Counters{};
    auto action = kirq::request_threaded_irq(
        gsi, trigger,
        [](void* context) {
            auto c = static_cast<Counters*>(context);
            c->primary = c->primary + 1;
            return kirq::IrqReturn::None;
        },
        nullptr, 0, "deaf", &counters);
    KASSERT(action.ok());
    kirq::set_storm_limits(100, 100 * kMs);
    arch::pit_channel0_start_periodic(5000);
    const uint64_t deadline = ktime::monotonic_ns() + 2000 * kMs;
    while (!kirq::irq_action_stats(action.value()).line_disabled && ktime::monotonic_ns() < deadline) {
        sched::sleep_ns(5 * kMs);
    }
    const bool disabled = kirq::irq_action_stats(action.value()).line_disabled;
    const uint64_t at_disable = counters.primary;
    sched::sleep_ns(20 * kMs);
    arch::pit_channel0_stop();
    kirq::set_storm_limits(1000, 100 * kMs);
    KEXPECT(disabled);
    KEXPECT(counters.primary <= at_disable + 1);
    kirq::free_threaded_irq(action.value());
}
