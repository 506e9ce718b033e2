#include "kernel/smp_call.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "kernel/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/mm/page.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/spinlock.h"
#include "libk/verify.h"

namespace kernel {

namespace {

// One request at a time, system-wide: simple, and enough while calls are
// rare (shootdowns of kernel mappings). Each target acknowledges by
// incrementing `done`; the caller waits for the count it expects.
struct CallRequest {
    CpuFunction fn;
    void* argument;
    uint32_t done;
};

ksync::SpinLock call_lock;
CallRequest* volatile current_request = nullptr;

void handle_call_ipi(void*) {
    CallRequest* request = __atomic_load_n(&current_request, __ATOMIC_ACQUIRE);
    if (request == nullptr) return;
    request->fn(request->argument);
    __atomic_fetch_add(&request->done, 1, __ATOMIC_RELEASE);
}

void wait_for(CallRequest& request, uint32_t expected) {
    while (__atomic_load_n(&request.done, __ATOMIC_ACQUIRE) < expected) arch::pause();
}

struct ShootdownRange {
    uint64_t virt;
    uint64_t length;
};

constexpr uint64_t kFullFlushThreshold = 64 * mm::kPageSize;

void invalidate_range(void* argument) {
    auto range = static_cast<const ShootdownRange*>(argument);
    if (range->length > kFullFlushThreshold) {
        uint64_t cr4 = arch::read_cr4();
        arch::write_cr4(cr4 & ~arch::kCr4Pge);  // drops global entries too
        arch::write_cr4(cr4);
        return;
    }
    for (uint64_t offset = 0; offset < range->length; offset += mm::kPageSize) arch::invlpg(range->virt + offset);
}

}  // namespace

void smp_call_init() { kirq::set_ipi_handler(arch::kVectorCallFunction, handle_call_ipi); }

bool call_on_cpu(unsigned index, CpuFunction fn, void* argument) {
    PreemptDisabled preempt;  // "the caller's CPU" must stay the same CPU
    Cpu* target = cpu_by_index(index);
    if (target == nullptr || !target->online) return false;
    if (target == this_cpu()) {
        fn(argument);
        return true;
    }
    CallRequest request{fn, argument, 0};
    ksync::SpinLockGuard guard(call_lock);
    __atomic_store_n(&current_request, &request, __ATOMIC_RELEASE);
    arch::lapic_send_ipi(target->arch.apic_id, arch::kVectorCallFunction);
    wait_for(request, 1);
    __atomic_store_n(&current_request, nullptr, __ATOMIC_RELEASE);
    return true;
}

void call_on_other_cpus(CpuFunction fn, void* argument) {
    PreemptDisabled preempt;
    const unsigned others = cpu_count() - 1;
    if (others == 0) return;
    CallRequest request{fn, argument, 0};
    ksync::SpinLockGuard guard(call_lock);
    __atomic_store_n(&current_request, &request, __ATOMIC_RELEASE);
    unsigned sent = 0;
    for (unsigned i = 0; Cpu* cpu = cpu_by_index(i); ++i) {
        if (cpu == this_cpu() || !cpu->online) continue;
        arch::lapic_send_ipi(cpu->arch.apic_id, arch::kVectorCallFunction);
        ++sent;
    }
    wait_for(request, sent);
    __atomic_store_n(&current_request, nullptr, __ATOMIC_RELEASE);
}

void tlb_shootdown(uint64_t virt, uint64_t length) {
    ShootdownRange range{virt, length};
    call_on_other_cpus(invalidate_range, &range);
}

}  // namespace kernel
