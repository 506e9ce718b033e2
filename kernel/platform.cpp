#include "kernel/platform.h"

#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "kernel/boot_info.h"
#include "kernel/log.h"
#include "kernel/mm/layout.h"
#include "kernel/smp.h"
#include "kernel/time/clock.h"
#include "libk/phys_reader.h"

namespace kernel {

namespace {

k::AcpiInfo acpi;

// ACPI tables live in RAM the firmware reserved, below the direct map's
// end: read them through it.
class DirectMapReader final : public k::PhysReader {
public:
    const void* read(uint64_t phys, size_t length) override {
        if (phys + length < phys || phys + length > mm::kDirectMapSize) return nullptr;
        return mm::phys_to_virt(phys);
    }
};

}  // namespace

const k::AcpiInfo& acpi_info() { return acpi; }

void platform_init() {
    DirectMapReader reader;
    // acpi=off on the command line: behave as on a machine without usable
    // tables (to test that fallback: one CPU, PIT calibration).
    k::Result<void> parsed = k::error(k::Errno::enoent);
    k::StringView acpi_option;
    const bool acpi_off = command_line().get("acpi", acpi_option) && acpi_option == k::StringView("off");
    if (!acpi_off) parsed = k::parse_acpi(boot_info().acpi_rsdp, reader, acpi);
    if (!parsed.ok()) {
        log_warn("acpi: no usable tables (%s): one CPU, PIT, default APIC address", k::errno_name(parsed.error()));
    }
    for (uint32_t i = 0; i < acpi.warning_count; ++i) {
        log_warn("acpi: %s (0x%lx)", acpi.warnings[i].message, acpi.warnings[i].value);
    }
    log_info("acpi: %u CPUs, %u I/O APICs, %u overrides%s", acpi.cpu_count, acpi.io_apic_count,
             acpi.interrupt_override_count, acpi.has_hpet ? ", HPET" : "");

    uint64_t lapic_base = acpi.has_madt ? acpi.local_apic_address : k::AcpiInfo::kPcDefaultLocalApicAddress;
    arch::lapic_global_init(lapic_base);
    arch::lapic_init_this_cpu();
    for (uint32_t i = 0; i < acpi.io_apic_count; ++i) {
        const k::AcpiIoApic& io = acpi.io_apics[i];
        if (!arch::ioapic_add(io.id, io.address, io.gsi_base)) log_warn("ioapic: too many I/O APICs");
    }
    ktime::clock_init(acpi.has_hpet ? acpi.hpet.base_address : 0);
    smp_start_application_processors(acpi);
}

}  // namespace kernel
