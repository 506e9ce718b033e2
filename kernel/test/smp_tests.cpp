// Several CPUs: all came up, each runs functions sent to it, a kernel
// mapping changed on one CPU is seen changed on every CPU (TLB shootdown),
// interrupts are counted, time agrees between CPUs.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/lapic.h"
#include "kernel/boot_info.h"
#include "kernel/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp_call.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"

KTEST(smp, expected_cpus_online) {
    uint64_t expected;
    if (!kernel::command_line().get_uint("expect_cpus", expected)) KSKIP("no expect_cpus= on the command line");
    KEXPECT_EQ(kernel::cpu_count(), expected);
}

KTEST(smp, function_calls_reach_every_cpu) {
    static volatile uint32_t ran_on[kernel::kMaxCpus];
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) ran_on[i] = 0;
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) {
        KEXPECT(kernel::call_on_cpu(i, [](void*) { ran_on[kernel::this_cpu()->arch.index] = ran_on[kernel::this_cpu()->arch.index] + 1; }, nullptr));
    }
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) KEXPECT_EQ(ran_on[i], 1);
    KEXPECT(!kernel::call_on_cpu(kernel::kMaxCpus - 1, [](void*) {}, nullptr));
}

// Every CPU reads a scratch page (caching its translation), the page is
// remapped to another frame on this CPU, and every CPU must then read the
// new frame's contents: a stale TLB entry would show the old value.
KTEST(smp, tlb_shootdown_makes_changes_visible_everywhere) {
    if (kernel::cpu_count() < 2) KSKIP("needs two CPUs");
    mm::Page* old_frame = mm::allocate_pages(0);
    mm::Page* new_frame = mm::allocate_pages(0);
    KASSERT(old_frame != nullptr && new_frame != nullptr);
    *mm::phys_to_virt<volatile uint64_t>(mm::page_to_phys(old_frame)) = 0x01d01d01d;
    *mm::phys_to_virt<volatile uint64_t>(mm::page_to_phys(new_frame)) = 0x0e0e0e0e0;
    const uint64_t scratch = mm::kTestScratchBase + (uint64_t{8} << 30);
    const mm::PageProt prot{.writable = false, .user = false, .executable = false, .global = true, .uncached = false};
    KASSERT(mm::kernel_mapper().map(scratch, mm::page_to_phys(old_frame), mm::PageSize::k4K, prot).ok());
    // A neighbour in the same page table keeps the tables alive, so the
    // remap below invalidates exactly one page (no full flush hides a bug).
    KASSERT(mm::kernel_mapper().map(scratch + mm::kPageSize, mm::page_to_phys(new_frame), mm::PageSize::k4K, prot).ok());

    static volatile uint64_t seen[kernel::kMaxCpus];
    static uint64_t address;
    address = scratch;
    auto read_on_every_cpu = [] {
        for (unsigned i = 0; i < kernel::cpu_count(); ++i) {
            kernel::call_on_cpu(i, [](void*) { seen[kernel::this_cpu()->arch.index] = *reinterpret_cast<volatile uint64_t*>(address); }, nullptr);
        }
    };
    read_on_every_cpu();
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) KEXPECT_EQ(seen[i], 0x01d01d01d);

    KASSERT(mm::kernel_mapper().unmap(scratch, mm::kPageSize).ok());
    KASSERT(mm::kernel_mapper().map(scratch, mm::page_to_phys(new_frame), mm::PageSize::k4K, prot).ok());
    read_on_every_cpu();
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) KEXPECT_EQ(seen[i], 0x0e0e0e0e0);

    KASSERT(mm::kernel_mapper().unmap(scratch, 2 * mm::kPageSize).ok());
    mm::free_pages(old_frame, 0);
    mm::free_pages(new_frame, 0);
}

KTEST(smp, timer_interrupts_fire_and_are_counted) {
    const unsigned me = kernel::this_cpu()->arch.index;
    const uint64_t before = kirq::interrupt_count(me, arch::kVectorTimer);
    // Sleeping arms this CPU's timer; waking takes a timer interrupt (the
    // thread may come back on another CPU, so count on all of them).
    uint64_t total_before = 0, total_after = 0;
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) total_before += kirq::interrupt_count(i, arch::kVectorTimer);
    for (int i = 0; i < 5; ++i) sched::sleep_ns(2000000);
    for (unsigned i = 0; i < kernel::cpu_count(); ++i) total_after += kirq::interrupt_count(i, arch::kVectorTimer);
    KEXPECT(total_after >= total_before + 5);
    (void)before;
}

KTEST(smp, monotonic_clock_agrees_between_cpus) {
    // Each CPU reads the clock after the previous one did: the readings must
    // never go backwards.
    static volatile uint64_t last;
    static volatile bool backwards;
    last = ktime::monotonic_ns();
    backwards = false;
    for (int round = 0; round < 20; ++round) {
        for (unsigned i = 0; i < kernel::cpu_count(); ++i) {
            kernel::call_on_cpu(i, [](void*) {
                uint64_t now = ktime::monotonic_ns();
                if (now < last) backwards = true;
                last = now;
            }, nullptr);
        }
    }
    KEXPECT(!backwards);
}

// A device interrupt through the I/O APIC: the PIT's ISA IRQ 0, wherever
// the MADT's overrides route it (usually GSI 2), reaches a hard-IRQ handler
// while unmasked and stops when masked.
#include "arch/x86_64/pit.h"
#include "kernel/irq/threaded_irq.h"
#include "kernel/platform.h"

KTEST(irq, ioapic_routes_the_pit_and_masking_stops_it) {
    const k::AcpiInfo& acpi = kernel::acpi_info();
    if (acpi.io_apic_count == 0) KSKIP("no I/O APIC");
    k::IsaIrqFlags flags;
    const uint32_t gsi = acpi.gsi_for_isa_irq(0, &flags);
    static volatile uint64_t ticks;
    ticks = 0;
    kirq::LineTrigger trigger{flags.trigger == k::IrqTrigger::Level, flags.polarity == k::IrqPolarity::ActiveLow};
    auto action = kirq::request_threaded_irq(
        gsi, trigger,
        [](void*) {
            ticks = ticks + 1;
            return kirq::IrqReturn::Handled;
        },
        nullptr, 0, "pit-hardirq", nullptr);
    KASSERT(action.ok());
    arch::pit_channel0_start_periodic(1000);
    sched::sleep_ns(30000000);
    const uint64_t while_enabled = ticks;
    kirq::free_threaded_irq(action.value());  // masks the line: nobody left on it
    sched::sleep_ns(2000000);
    const uint64_t at_mask = ticks;
    sched::sleep_ns(30000000);
    const uint64_t after_mask = ticks;
    arch::pit_channel0_stop();
    KEXPECT(while_enabled >= 5);
    KEXPECT_EQ(after_mask, at_mask);
}

// Deferred timer work runs in the CPU's timer thread (interrupts on, a
// real-time thread that may take sleeping locks); ordinary timers run in
// the interrupt.
#include "kernel/sync/pi_mutex.h"
#include "kernel/time/timers.h"

KTEST(smp, deferred_timers_run_in_the_timer_thread) {
    struct Observed {
        ksync::PiMutex mutex;
        volatile bool ran;
        volatile bool interrupts_on;
        const char* thread_name;
    };
    static Observed deferred_seen, hard_seen;
    deferred_seen.ran = false;
    hard_seen.ran = false;
    static ktime::KernelTimer deferred_timer, hard_timer;
    auto observe = [](void* context) {
        auto seen = static_cast<Observed*>(context);
        seen->interrupts_on = arch::interrupts_enabled();
        seen->thread_name = sched::current_thread()->name;
        if (seen->interrupts_on) {  // only a thread may take a sleeping lock
            (void)seen->mutex.lock();
            seen->mutex.unlock();
        }
        seen->ran = true;
    };
    deferred_timer.callback = observe;
    deferred_timer.context = &deferred_seen;
    deferred_timer.deferred = true;
    hard_timer.callback = observe;
    hard_timer.context = &hard_seen;
    ktime::timer_arm(deferred_timer, ktime::monotonic_ns() + 2000000);
    ktime::timer_arm(hard_timer, ktime::monotonic_ns() + 2000000);
    const uint64_t give_up = ktime::monotonic_ns() + 2000000000ull;
    while ((!deferred_seen.ran || !hard_seen.ran) && ktime::monotonic_ns() < give_up) sched::sleep_ns(1000000);
    KASSERT(deferred_seen.ran && hard_seen.ran);
    KEXPECT(deferred_seen.interrupts_on);
    KEXPECT(k::StringView(deferred_seen.thread_name) == k::StringView("ktimer"));
    KEXPECT(!hard_seen.interrupts_on);
}
