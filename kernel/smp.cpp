#include "kernel/smp.h"

#include "arch/x86_64/ap_trampoline.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_init.h"
#include "arch/x86_64/lapic.h"
#include "kernel/cpu.h"
#include "kernel/log.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kernel_stack.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/time/clock.h"
#include "libk/new.h"
#include "libk/string.h"

namespace kernel {

namespace {

ApIdleLoop ap_idle_loop = nullptr;

struct ApStart {
    Cpu* cpu;
    uint8_t* ist_stacks;
};

void delay_ns(uint64_t ns) {
    uint64_t end = ktime::monotonic_ns() + ns;
    while (ktime::monotonic_ns() < end) arch::pause();
}

// The first C++ an AP runs, on its own kernel stack, with the kernel's page
// tables but nothing else of its own yet.
[[noreturn]] void ap_entry(ApStart* start) {
    Cpu* cpu = start->cpu;
    arch::init_application_cpu(&cpu->arch, start->ist_stacks);
    arch::lapic_init_this_cpu();
    // Release: everything above is done before the boot CPU sees us online.
    __atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
    if (ap_idle_loop != nullptr) ap_idle_loop();
    arch::halt_forever();
}

// Boots one AP; false if it did not come online in time.
bool start_one(uint32_t apic_id, arch::TrampolineParams* params) {
    auto cpu_memory = mm::kzalloc(sizeof(Cpu));
    auto ist = static_cast<uint8_t*>(mm::kmalloc(3 * arch::kIstStackSize));
    auto start = static_cast<ApStart*>(mm::kmalloc(sizeof(ApStart)));
    auto stack = mm::allocate_kernel_stack();
    if (cpu_memory == nullptr || ist == nullptr || start == nullptr || !stack.ok()) {
        log_error("smp: no memory to start CPU with APIC id %u", apic_id);
        mm::kfree(cpu_memory);
        mm::kfree(ist);
        mm::kfree(start);
        if (stack.ok()) mm::free_kernel_stack(stack.value());
        return false;
    }
    Cpu* cpu = new (cpu_memory) Cpu();
    cpu->arch.apic_id = apic_id;
    register_cpu(cpu);  // its index is final before it runs; offline until it says so
    *start = ApStart{cpu, ist};
    params->stack_top = stack.value().top;
    params->cpu = reinterpret_cast<uint64_t>(start);
    params->entry = reinterpret_cast<uint64_t>(&ap_entry);
    // The AP reads the parameters with paging off: make them reach memory.
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    // INIT, wait 10 ms, STARTUP, wait 200 us, STARTUP again if needed
    // (Intel SDM Vol. 3A §8.4.4.1, the "universal start-up algorithm").
    arch::lapic_send_init(apic_id);
    delay_ns(10000000);
    const uint8_t page = static_cast<uint8_t>(arch::kTrampolinePhys >> 12);
    for (int attempt = 0; attempt < 2 && !__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE); ++attempt) {
        arch::lapic_send_startup(apic_id, page);
        uint64_t deadline = ktime::monotonic_ns() + (attempt == 0 ? 200000 : 100000000);
        while (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE) && ktime::monotonic_ns() < deadline) arch::pause();
    }
    if (!__atomic_load_n(&cpu->online, __ATOMIC_ACQUIRE)) {
        // The CPU may still wake up later and use these: leak them rather
        // than free memory a half-started CPU might write to.
        log_error("smp: CPU with APIC id %u did not start; continuing without it", apic_id);
        return false;
    }
    return true;
}

}  // namespace

void smp_set_ap_idle_loop(ApIdleLoop loop) { ap_idle_loop = loop; }

unsigned smp_start_application_processors(const k::AcpiInfo& acpi) {
    const uint32_t self = arch::lapic_id();
    boot_cpu().arch.apic_id = self;
    if (!acpi.has_madt) {
        log_warn("smp: no MADT, running on the boot CPU only");
        return 1;
    }

    // Copy the trampoline to its page and map that page at its own address
    // (identity) for the instant the AP turns paging on while executing it.
    const size_t size = static_cast<size_t>(ap_trampoline_end - ap_trampoline_start);
    memcpy(mm::phys_to_virt(arch::kTrampolinePhys), ap_trampoline_start, size);
    auto params = mm::phys_to_virt<arch::TrampolineParams>(arch::kTrampolinePhys +
                                                            (ap_trampoline_params - ap_trampoline_start));
    const uint64_t cr3 = arch::read_cr3();
    if (cr3 >= (uint64_t{1} << 32)) {
        log_error("smp: kernel page tables above 4 GiB; cannot start other CPUs");
        return 1;
    }
    params->cr3 = static_cast<uint32_t>(cr3);
    params->efer_bits = static_cast<uint32_t>(arch::read_msr(arch::kMsrEfer) & ((1u << 8) | arch::kEferNxe));
    const mm::PageProt exec{.writable = false, .user = false, .executable = true, .global = false, .uncached = false};
    if (!mm::kernel_mapper().map(arch::kTrampolinePhys, arch::kTrampolinePhys, mm::PageSize::k4K, exec).ok()) {
        log_error("smp: cannot map the trampoline");
        return 1;
    }

    unsigned started = 0, failed = 0;
    for (uint32_t i = 0; i < acpi.cpu_count; ++i) {
        const k::AcpiCpu& c = acpi.cpus[i];
        if (!c.enabled || c.apic_id == self) continue;
        if (start_one(c.apic_id, params)) {
            ++started;
        } else {
            ++failed;
        }
    }
    (void)mm::kernel_mapper().unmap(arch::kTrampolinePhys, mm::kPageSize);
    log_info("smp: %u CPUs online (%u started, %u failed), %s", cpu_count(), started, failed,
             arch::lapic_x2apic_mode() ? "x2APIC" : "xAPIC");
    return cpu_count();
}

}  // namespace kernel
