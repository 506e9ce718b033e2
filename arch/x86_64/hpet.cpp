#include "arch/x86_64/hpet.h"

#include "kernel/mm/layout.h"

namespace arch {

namespace {
constexpr uint64_t kCapabilities = 0x000;  // bits 63:32: counter period in fs
constexpr uint64_t kConfiguration = 0x010; // bit 0: ENABLE_CNF
constexpr uint64_t kMainCounter = 0x0f0;
constexpr uint64_t kMaxPeriodFs = 100000000;  // the spec's upper bound (100 ns)

volatile uint64_t* registers = nullptr;
uint64_t period_fs = 0;

volatile uint64_t& reg(uint64_t offset) { return registers[offset / 8]; }
}  // namespace

bool hpet_init(uint64_t mmio_phys) {
    registers = mm::phys_to_virt<volatile uint64_t>(mmio_phys);
    uint64_t period = reg(kCapabilities) >> 32;
    if (period == 0 || period > kMaxPeriodFs) {
        registers = nullptr;
        return false;
    }
    period_fs = period;
    reg(kConfiguration) = reg(kConfiguration) | 1;
    return true;
}

bool hpet_present() { return registers != nullptr; }
uint64_t hpet_counter() { return reg(kMainCounter); }
uint64_t hpet_period_fs() { return period_fs; }

}  // namespace arch
