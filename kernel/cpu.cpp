#include "kernel/cpu.h"

#include "libk/verify.h"

namespace kernel {

namespace {
Cpu boot_cpu_storage;
Cpu* cpus[kMaxCpus];
unsigned registered = 0;
}  // namespace

Cpu& boot_cpu() { return boot_cpu_storage; }

void register_cpu(Cpu* cpu) {
    VERIFY(registered < kMaxCpus);
    cpu->arch.index = registered;
    cpus[registered] = cpu;
    __atomic_store_n(&registered, registered + 1, __ATOMIC_RELEASE);
}

unsigned cpu_count() {
    unsigned online = 0;
    unsigned n = __atomic_load_n(&registered, __ATOMIC_ACQUIRE);
    for (unsigned i = 0; i < n; ++i) online += cpus[i]->online;
    return online;
}

Cpu* cpu_by_index(unsigned index) {
    return index < __atomic_load_n(&registered, __ATOMIC_ACQUIRE) ? cpus[index] : nullptr;
}

}  // namespace kernel
