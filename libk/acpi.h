#pragma once
// ACPI tables: what the firmware says about CPUs, interrupt controllers and
// timers, for interrupt and SMP bring-up.
//
// The firmware leaves its tables in memory, each identified by PHYSICAL
// address (ACPI 6.5, chapter 5.2):
//
//   RSDP ("RSD PTR ") --> XSDT (64-bit entries; ACPI 2.0+) or RSDT (32-bit)
//                           --> "APIC" MADT: local APICs = CPUs, I/O APICs,
//                                            how ISA IRQs reach them, NMIs
//                           --> "HPET"       the High Precision Event Timer
//                           --> "FACP" FADT  the ACPI PM timer, the 8042
//                           --> ... (DSDT, SSDTs, MCFG: not read here)
//
// The boot loader found the RSDP (libk/boot_info.h, AcpiRsdpInfo);
// parse_acpi() follows the pointers from there through a PhysReader, so the
// same code runs in the kernel and in the host tests. Like the boot-info
// parsers it trusts nothing: every table's signature, length and checksum is
// checked before a byte of it is used, every loop is bounded by a length the
// checksum vouched for, and problems become warnings in the AcpiInfo. A table
// that fails its checks is skipped, never half-believed.
//
// Everything lands in one AcpiInfo with fixed capacities: the kernel parses
// ACPI before it has a heap.
#include <stddef.h>
#include <stdint.h>

#include "libk/boot_info.h"
#include "libk/phys_reader.h"
#include "libk/result.h"

namespace k {
namespace acpi {

// ---- Table layouts (ACPI 6.5 unless noted). All little-endian; the packed
// ones have fields at offsets their natural alignment would not allow.

// 5.2.5.3: Root System Description Pointer. Revision 0 (ACPI 1.0) ends after
// rsdt_address; revision 2 (ACPI 2.0 and later) adds the rest.
struct [[gnu::packed]] Rsdp {
    char signature[8];  // "RSD PTR "
    uint8_t checksum;   // the first 20 bytes sum to 0 (mod 256)
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    // Revision 2 and later:
    uint32_t length;            // of the whole RSDP: 36
    uint64_t xsdt_address;
    uint8_t extended_checksum;  // all 36 bytes sum to 0
    uint8_t reserved[3];
};
static_assert(sizeof(Rsdp) == 36);
static_assert(offsetof(Rsdp, revision) == 15);
static_assert(offsetof(Rsdp, length) == 20);
static_assert(offsetof(Rsdp, xsdt_address) == 24);
constexpr size_t kRsdpV1Size = offsetof(Rsdp, length);
constexpr size_t kRsdpV2Size = sizeof(Rsdp);

// 5.2.6: the header every System Description Table starts with. `length`
// covers the header and the body, and all `length` bytes sum to 0.
struct SdtHeader {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};
static_assert(sizeof(SdtHeader) == 36);

// 5.2.3.2: Generic Address Structure, how ACPI names a register anywhere.
struct [[gnu::packed]] GenericAddress {
    uint8_t address_space_id;  // 0 system memory, 1 system I/O, ... (Table 5.1)
    uint8_t register_bit_width;
    uint8_t register_bit_offset;
    uint8_t access_size;
    uint64_t address;
};
static_assert(sizeof(GenericAddress) == 12);
constexpr uint8_t kAddressSpaceSystemMemory = 0;
constexpr uint8_t kAddressSpaceSystemIo = 1;

// 5.2.12: Multiple APIC Description Table ("APIC"): this header, then
// variable-length entries, each starting with its type and length.
struct MadtHeader {
    SdtHeader header;
    uint32_t local_apic_address;  // 32-bit; a type-5 entry may replace it
    uint32_t flags;
};
static_assert(sizeof(MadtHeader) == 44);
constexpr uint32_t kMadtPcatCompat = 1u << 0;  // the PC's two 8259 PICs are present too

enum MadtEntryType : uint8_t {
    kMadtLocalApic = 0,                 // 5.2.12.2
    kMadtIoApic = 1,                    // 5.2.12.3
    kMadtInterruptSourceOverride = 2,   // 5.2.12.5
    kMadtNmiSource = 3,                 // 5.2.12.6
    kMadtLocalApicNmi = 4,              // 5.2.12.7
    kMadtLocalApicAddressOverride = 5,  // 5.2.12.8
    kMadtLocalX2Apic = 9,               // 5.2.12.12
    kMadtLocalX2ApicNmi = 0xA,          // 5.2.12.13
};

struct MadtEntryHeader {
    uint8_t type;
    uint8_t length;  // of the whole entry, these two bytes included
};

// Local APIC flags (Table 5.23), shared by types 0 and 9.
constexpr uint32_t kLocalApicEnabled = 1u << 0;
// ACPI 6.3+: the processor is off now but may be brought online later.
// Reserved (zero) when Enabled is set.
constexpr uint32_t kLocalApicOnlineCapable = 1u << 1;

struct MadtLocalApic {
    uint8_t type, length;
    uint8_t processor_uid;  // matches a Processor object in the DSDT
    uint8_t apic_id;
    uint32_t flags;
};
static_assert(sizeof(MadtLocalApic) == 8);

struct MadtIoApic {
    uint8_t type, length;
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t address;   // MMIO base of the IOREGSEL/IOWIN registers
    uint32_t gsi_base;  // the GSI its first redirection entry delivers
};
static_assert(sizeof(MadtIoApic) == 12);

struct [[gnu::packed]] MadtInterruptSourceOverride {
    uint8_t type, length;
    uint8_t bus;     // 0: ISA, the only bus defined
    uint8_t source;  // the ISA IRQ
    uint32_t gsi;    // what it is wired to instead of GSI == IRQ
    uint16_t flags;  // MPS INTI flags, below
};
static_assert(sizeof(MadtInterruptSourceOverride) == 10);

struct MadtNmiSource {
    uint8_t type, length;
    uint16_t flags;  // MPS INTI flags
    uint32_t gsi;    // an I/O APIC input to program as NMI
};
static_assert(sizeof(MadtNmiSource) == 8);

struct [[gnu::packed]] MadtLocalApicNmi {
    uint8_t type, length;
    uint8_t processor_uid;  // 0xFF: every processor
    uint16_t flags;         // MPS INTI flags
    uint8_t lint;           // 0 or 1: which LINT pin of the local APIC
};
static_assert(sizeof(MadtLocalApicNmi) == 6);
constexpr uint8_t kLocalApicNmiAllProcessors = 0xFF;

struct [[gnu::packed]] MadtLocalApicAddressOverride {
    uint8_t type, length;
    uint16_t reserved;
    uint64_t local_apic_address;
};
static_assert(sizeof(MadtLocalApicAddressOverride) == 12);

struct MadtLocalX2Apic {
    uint8_t type, length;
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;          // as for type 0
    uint32_t processor_uid;  // matches a Device object in the DSDT
};
static_assert(sizeof(MadtLocalX2Apic) == 16);

struct MadtLocalX2ApicNmi {
    uint8_t type, length;
    uint16_t flags;          // MPS INTI flags
    uint32_t processor_uid;  // 0xFFFFFFFF: every processor
    uint8_t lint;
    uint8_t reserved[3];
};
static_assert(sizeof(MadtLocalX2ApicNmi) == 12);
constexpr uint32_t kLocalX2ApicNmiAllProcessors = 0xFFFFFFFF;

// MPS INTI flags (Table 5.26): polarity in bits 0-1, trigger mode in bits
// 2-3. In both, 0 means "conforms to the bus" and 2 is reserved.
constexpr uint16_t kIntiPolarityMask = 0x3;
constexpr uint16_t kIntiPolarityActiveHigh = 0x1;
constexpr uint16_t kIntiPolarityActiveLow = 0x3;
constexpr unsigned kIntiTriggerShift = 2;
constexpr uint16_t kIntiTriggerMask = 0x3;  // after shifting
constexpr uint16_t kIntiTriggerEdge = 0x1;
constexpr uint16_t kIntiTriggerLevel = 0x3;

// IA-PC HPET specification 1.0a, 3.2.4: the "HPET" table.
struct [[gnu::packed]] HpetTable {
    SdtHeader header;
    uint32_t event_timer_block_id;  // a copy of the block's capabilities register, low half
    GenericAddress base_address;    // must be system memory
    uint8_t hpet_number;
    uint16_t minimum_clock_tick;    // smallest periodic interval without lost interrupts, in counter ticks
    uint8_t page_protection;        // bits 0-3: none / 4 KiB / 64 KiB around the block
};
static_assert(sizeof(HpetTable) == 56);

// 5.2.9: Fixed ACPI Description Table ("FACP"), up to X_PM_TMR_BLK. Older
// revisions are shorter (ACPI 1.0's ends after `flags`, at 116 bytes), so the
// parser copies what the table has into a zeroed Fadt: absent fields read 0,
// which the specification defines as "not supported" for the ones used here.
struct [[gnu::packed]] Fadt {
    SdtHeader header;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;  // the SCI's interrupt (an ISA IRQ on a PC)
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk;
    uint32_t pm_tmr_blk;  // I/O port of the PM timer, 0 if none
    uint32_t gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;  // ACPI 2.0 (FADT revision 3) and later
    uint8_t reserved1;
    uint32_t flags;
    // End of the ACPI 1.0 FADT.
    GenericAddress reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t fadt_minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    GenericAddress x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk, x_pm2_cnt_blk;
    GenericAddress x_pm_tmr_blk;  // preferred over pm_tmr_blk when its address is not 0
};
static_assert(offsetof(Fadt, pm_tmr_blk) == 76);
static_assert(offsetof(Fadt, pm_tmr_len) == 91);
static_assert(offsetof(Fadt, iapc_boot_arch) == 109);
static_assert(offsetof(Fadt, flags) == 112);
static_assert(offsetof(Fadt, x_dsdt) == 140);
static_assert(offsetof(Fadt, x_pm_tmr_blk) == 208);
static_assert(sizeof(Fadt) == 220);
constexpr size_t kFadtV1Size = offsetof(Fadt, reset_reg);  // 116
constexpr uint8_t kFadtFirstRevisionWithBootArch = 3;

constexpr uint32_t kFadtTimerValueExtended = 1u << 8;  // TMR_VAL_EXT: the PM timer has 32 bits, not 24
constexpr uint32_t kFadtHardwareReduced = 1u << 20;    // HW_REDUCED_ACPI: no PM timer, no fixed hardware
constexpr uint16_t kBootArchLegacyDevices = 1u << 0;
constexpr uint16_t kBootArch8042 = 1u << 1;  // a PS/2 keyboard controller is present

}  // namespace acpi

// ---- What parse_acpi() produces.

// How an interrupt input is driven (decoded MPS INTI flags). "Conforms" means
// "as the bus does": edge-triggered and active-high for ISA.
enum class IrqPolarity : uint8_t { Conforms, ActiveHigh, ActiveLow };
enum class IrqTrigger : uint8_t { Conforms, Edge, Level };

// The resolved wiring of an ISA IRQ: never Conforms.
struct IsaIrqFlags {
    IrqPolarity polarity;
    IrqTrigger trigger;
};

// One processor the firmware says can run: enabled now, or online capable
// (hot-pluggable later; the kernel starts only the enabled ones).
struct AcpiCpu {
    uint32_t apic_id;        // local APIC ID (8 bits in xAPIC mode), the INIT/SIPI target
    uint32_t processor_uid;  // ACPI processor UID: what the NMI entries refer to
    bool enabled;
    bool online_capable;
    bool is_x2apic;  // described by a type-9 entry (IDs of 255 and above need one)
};

struct AcpiIoApic {
    uint8_t id;
    uint32_t address;   // physical MMIO base
    uint32_t gsi_base;  // GSIs gsi_base .. gsi_base + redirection entries - 1 are its inputs
};

// ISA IRQ `source_irq` is wired to global system interrupt `gsi`, not to
// GSI == IRQ as a PC would have it (the PIT's IRQ 0 usually arrives at GSI 2).
struct AcpiInterruptOverride {
    uint8_t bus;  // 0 = ISA
    uint8_t source_irq;
    uint32_t gsi;
    IrqPolarity polarity;
    IrqTrigger trigger;
};

// An I/O APIC input that must be programmed to deliver an NMI.
struct AcpiNmiSource {
    uint32_t gsi;
    IrqPolarity polarity;
    IrqTrigger trigger;
};

// A local APIC LINT pin wired to NMI (program it in the LVT LINT0/1 entry).
struct AcpiLocalApicNmi {
    bool all_processors;     // the entry's UID was 0xFF (type 4) or 0xFFFFFFFF (type 10)
    uint32_t processor_uid;  // meaningful when !all_processors
    uint8_t lint;            // 0 or 1
    IrqPolarity polarity;
    IrqTrigger trigger;
};

struct AcpiHpetInfo {
    uint32_t event_timer_block_id;  // layout of the capabilities register's low 32 bits
    uint64_t base_address;          // physical MMIO base (always system memory here)
    uint8_t hpet_number;
    uint16_t minimum_clock_tick;
    uint8_t page_protection;

    uint8_t hardware_revision() const { return event_timer_block_id & 0xFF; }
    // Bits 8-12 hold the number of the LAST comparator (HPET 1.0a, 2.3.4).
    uint32_t comparator_count() const { return ((event_timer_block_id >> 8) & 0x1F) + 1; }
    bool counter_is_64_bit() const { return (event_timer_block_id & (1u << 13)) != 0; }
    bool legacy_replacement_capable() const { return (event_timer_block_id & (1u << 15)) != 0; }
    uint16_t pci_vendor_id() const { return static_cast<uint16_t>(event_timer_block_id >> 16); }
};

enum class AcpiAddressSpace : uint8_t {
    SystemMemory = acpi::kAddressSpaceSystemMemory,
    SystemIo = acpi::kAddressSpaceSystemIo,
};

struct AcpiFadtInfo {
    uint8_t revision;         // of the FADT (3 = ACPI 2.0, 5 = ACPI 5.0, ...)
    uint32_t flags;           // acpi::kFadt* bits
    uint16_t iapc_boot_arch;  // acpi::kBootArch* bits; 0 before revision 3
    uint16_t sci_interrupt;
    bool hardware_reduced;
    // IAPC_BOOT_ARCH bit 1. Tables older than the field (revision < 3) come
    // from PCs that all had one, so they count as present.
    bool has_8042;
    // The ACPI PM timer: a free-running counter at 3.579545 MHz, a
    // calibration fallback when there is no HPET.
    bool has_pm_timer;
    AcpiAddressSpace pm_timer_space;  // almost always SystemIo (a port)
    uint64_t pm_timer_address;
    bool pm_timer_is_32_bit;  // TMR_VAL_EXT; otherwise the counter wraps at 2^24
};

struct AcpiInfo {
    static constexpr size_t kMaxCpus = 256;
    static constexpr size_t kMaxIoApics = 16;
    static constexpr size_t kMaxInterruptOverrides = 32;
    static constexpr size_t kMaxNmiSources = 8;
    static constexpr size_t kMaxLocalApicNmis = 16;
    static constexpr size_t kMaxWarnings = 16;
    static constexpr size_t kOemIdCapacity = 7;  // 6 characters and the NUL
    static constexpr uint32_t kPcDefaultLocalApicAddress = 0xFEE00000;

    // From the RSDP.
    uint8_t revision;               // 0: ACPI 1.0, 2: ACPI 2.0 and later
    char oem_id[kOemIdCapacity];    // space-padded, as the firmware wrote it
    bool uses_xsdt;                 // false: the RSDT was used
    uint64_t root_table_address;

    // From the MADT. Without one (has_madt false, and a warning) the caller
    // knows only the CPU it runs on, at kPcDefaultLocalApicAddress.
    bool has_madt;
    uint64_t local_apic_address;  // the type-5 override if there was one
    uint32_t madt_flags;
    bool has_legacy_pics;         // PCAT_COMPAT: mask the 8259s before using the I/O APIC

    // Usable processors (Enabled or Online Capable) in table order; the
    // firmware lists the boot processor first. Entries with neither bit are
    // empty sockets, which firmware may list by the hundred: they are only
    // counted, so they can never crowd a real CPU out of the array.
    AcpiCpu cpus[kMaxCpus];
    uint32_t cpu_count;
    uint32_t cpus_dropped;        // usable, but the array was full (warned)
    uint32_t unusable_cpu_count;  // neither enabled nor online capable

    AcpiIoApic io_apics[kMaxIoApics];
    uint32_t io_apic_count;
    uint32_t io_apics_dropped;

    AcpiInterruptOverride interrupt_overrides[kMaxInterruptOverrides];
    uint32_t interrupt_override_count;
    uint32_t interrupt_overrides_dropped;

    AcpiNmiSource nmi_sources[kMaxNmiSources];
    uint32_t nmi_source_count;
    uint32_t nmi_sources_dropped;

    AcpiLocalApicNmi local_apic_nmis[kMaxLocalApicNmis];
    uint32_t local_apic_nmi_count;
    uint32_t local_apic_nmis_dropped;

    bool has_hpet;  // false is normal: use the PIT
    AcpiHpetInfo hpet;

    bool has_fadt;
    AcpiFadtInfo fadt;

    BootWarning warnings[kMaxWarnings];
    uint32_t warning_count;
    uint32_t warnings_dropped;

    void clear() { memset(static_cast<void*>(this), 0, sizeof(*this)); }

    void warn(const char* message, uint64_t value) {
        if (warning_count < kMaxWarnings) {
            warnings[warning_count++] = BootWarning{message, value};
        } else {
            warnings_dropped++;
        }
    }

    uint32_t enabled_cpu_count() const {
        uint32_t count = 0;
        for (uint32_t i = 0; i < cpu_count; i++) count += cpus[i].enabled ? 1 : 0;
        return count;
    }

    // The GSI that ISA IRQ `irq` arrives at, and (if `flags` is not null) how
    // it is driven: the interrupt source override for it if there is one,
    // else GSI == IRQ, edge-triggered, active-high (the ISA bus's way).
    uint32_t gsi_for_isa_irq(uint8_t irq, IsaIrqFlags* flags) const;
};

// Fills `out` (cleared first) from the ACPI tables reachable from the RSDP
// the boot loader reported: the copied bytes if there are at least 20 of
// them, else the RSDP read at its physical address.
//
// Fails, with the reason also in out.warnings, when there is no RSDP
// (ENOENT), when the RSDP or the root table cannot be read (EFAULT), or when
// they are invalid (EINVAL: bad signature, checksum or length). The XSDT is
// used when the RSDP is revision 2 or later, its extended checksum and
// length hold and it gives an address; if that XSDT is unusable the RSDT is
// tried (with a warning). Everything past the root table is a warning:
// unreadable or corrupt tables (skipped), a missing MADT, malformed MADT
// entries (parsing stops at the first entry whose length is impossible),
// full arrays.
Result<void> parse_acpi(const AcpiRsdpInfo& rsdp_info, PhysReader& reader, AcpiInfo& out);

}  // namespace k
