// ACPI RSDP -> XSDT/RSDT -> MADT, HPET, FADT -> AcpiInfo. See libk/acpi.h
// for the formats and the contract.
#include "libk/acpi.h"

#include "libk/string.h"
#include "libk/utility.h"

namespace k {
namespace {

using namespace acpi;

constexpr char kRsdpSignature[8] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};

// No table the kernel reads comes near this (a MADT for 256 x2APIC CPUs is
// about 4 KiB); a larger length is corruption, and bounding it bounds every
// loop over a table.
constexpr uint32_t kMaxTableLength = 1u << 20;


// Tables are byte arrays with fields at any alignment: copy out, never cast.
template <typename T> T load(const uint8_t* at) {
    T value;
    memcpy(&value, at, sizeof(T));
    return value;
}

// ACPI checksums (5.2.5.3, 5.2.6): the bytes sum to 0 modulo 256.
bool checksum_ok(const void* data, size_t len) {
    const uint8_t* bytes = static_cast<const uint8_t*>(data);
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum == 0;
}

bool signature_is(const char* signature, const char (&expected)[5]) {
    return memcmp(signature, expected, 4) == 0;
}

// A validated table: `length` bytes at `bytes`, good only until the next
// reader.read().
struct TableBytes {
    const uint8_t* bytes;
    uint32_t length;
};

// Reads the table at `phys` and checks its header and checksum. The header
// comes first, alone: its length says how much to ask for, and it must be
// sane before it is believed. Fails with EFAULT (unreadable) or EINVAL
// (corrupt), having warned why.
Result<TableBytes> load_table(PhysReader& reader, uint64_t phys, AcpiInfo& out) {
    SdtHeader header;
    if (!read_phys_bytes(reader, phys, &header, sizeof(header))) {
        out.warn("acpi: table header unreadable; table skipped, at", phys);
        return error(Errno::efault);
    }
    if (header.length < sizeof(SdtHeader) || header.length > kMaxTableLength) {
        out.warn("acpi: table length outside 36 B..1 MiB; table skipped, length", header.length);
        return error(Errno::einval);
    }
    if (header.length > UINT64_MAX - phys) {
        out.warn("acpi: table wraps past 2^64; table skipped, at", phys);
        return error(Errno::efault);
    }
    const void* bytes = reader.read(phys, header.length);
    if (bytes == nullptr) {
        out.warn("acpi: table unreadable past its header; table skipped, at", phys);
        return error(Errno::efault);
    }
    if (!checksum_ok(bytes, header.length)) {
        out.warn("acpi: table checksum wrong; table skipped, at", phys);
        return error(Errno::einval);
    }
    return TableBytes{static_cast<const uint8_t*>(bytes), header.length};
}

// ---- MADT

IrqPolarity decode_polarity(uint16_t inti_flags, bool& reserved) {
    switch (inti_flags & kIntiPolarityMask) {
    case 0: return IrqPolarity::Conforms;
    case kIntiPolarityActiveHigh: return IrqPolarity::ActiveHigh;
    case kIntiPolarityActiveLow: return IrqPolarity::ActiveLow;
    default: reserved = true; return IrqPolarity::Conforms;
    }
}

IrqTrigger decode_trigger(uint16_t inti_flags, bool& reserved) {
    switch ((inti_flags >> kIntiTriggerShift) & kIntiTriggerMask) {
    case 0: return IrqTrigger::Conforms;
    case kIntiTriggerEdge: return IrqTrigger::Edge;
    case kIntiTriggerLevel: return IrqTrigger::Level;
    default: reserved = true; return IrqTrigger::Conforms;
    }
}

// Decodes MPS INTI flags; the reserved encodings (2) fall back to
// "conforms", the bus default, with a warning.
void decode_inti_flags(uint16_t inti_flags, IrqPolarity& polarity, IrqTrigger& trigger, AcpiInfo& out) {
    bool reserved = false;
    polarity = decode_polarity(inti_flags, reserved);
    trigger = decode_trigger(inti_flags, reserved);
    if (reserved) out.warn("acpi: MADT interrupt flags use a reserved encoding; taken as conforming, flags", inti_flags);
}

void add_cpu(uint32_t apic_id, uint32_t processor_uid, uint32_t flags, bool is_x2apic, AcpiInfo& out) {
    bool enabled = (flags & kLocalApicEnabled) != 0;
    bool online_capable = !enabled && (flags & kLocalApicOnlineCapable) != 0;
    // An ID of all ones addresses every APIC at once (a broadcast), so it
    // cannot name one CPU; firmware uses it in placeholder entries.
    uint32_t broadcast_id = is_x2apic ? 0xFFFFFFFF : 0xFF;
    if ((!enabled && !online_capable) || apic_id == broadcast_id) {
        out.unusable_cpu_count++;
        return;
    }
    // Two CPUs with one ID could not both be started: INIT/SIPI would reach
    // only one. Keep the first, as it is the one the firmware listed first.
    for (uint32_t i = 0; i < out.cpu_count; i++) {
        if (out.cpus[i].apic_id == apic_id) {
            out.warn("acpi: MADT lists an APIC ID twice; later entry ignored, APIC ID", apic_id);
            return;
        }
    }
    if (out.cpu_count >= AcpiInfo::kMaxCpus) {
        out.cpus_dropped++;  // one warning for all of them, after the table
        return;
    }
    out.cpus[out.cpu_count++] = AcpiCpu{apic_id, processor_uid, enabled, online_capable, is_x2apic};
}

void add_io_apic(const MadtIoApic& entry, AcpiInfo& out) {
    if (out.io_apic_count >= AcpiInfo::kMaxIoApics) {
        out.io_apics_dropped++;
        return;
    }
    out.io_apics[out.io_apic_count++] = AcpiIoApic{entry.io_apic_id, entry.address, entry.gsi_base};
}

void add_interrupt_override(const MadtInterruptSourceOverride& entry, AcpiInfo& out) {
    if (out.interrupt_override_count >= AcpiInfo::kMaxInterruptOverrides) {
        out.interrupt_overrides_dropped++;
        return;
    }
    AcpiInterruptOverride& source_override = out.interrupt_overrides[out.interrupt_override_count++];
    source_override.bus = entry.bus;
    source_override.source_irq = entry.source;
    source_override.gsi = entry.gsi;
    decode_inti_flags(entry.flags, source_override.polarity, source_override.trigger, out);
}

void add_nmi_source(const MadtNmiSource& entry, AcpiInfo& out) {
    if (out.nmi_source_count >= AcpiInfo::kMaxNmiSources) {
        out.nmi_sources_dropped++;
        return;
    }
    AcpiNmiSource& source = out.nmi_sources[out.nmi_source_count++];
    source.gsi = entry.gsi;
    decode_inti_flags(entry.flags, source.polarity, source.trigger, out);
}

void add_local_apic_nmi(bool all_processors, uint32_t processor_uid, uint16_t flags, uint8_t lint,
                        AcpiInfo& out) {
    // A local APIC has exactly two LINT pins (Intel SDM Vol. 3A, 11.5.1).
    if (lint > 1) {
        out.warn("acpi: MADT local APIC NMI names a LINT pin other than 0 or 1; ignored, LINT", lint);
        return;
    }
    if (out.local_apic_nmi_count >= AcpiInfo::kMaxLocalApicNmis) {
        out.local_apic_nmis_dropped++;
        return;
    }
    AcpiLocalApicNmi& nmi = out.local_apic_nmis[out.local_apic_nmi_count++];
    nmi.all_processors = all_processors;
    nmi.processor_uid = processor_uid;
    nmi.lint = lint;
    decode_inti_flags(flags, nmi.polarity, nmi.trigger, out);
}

// Copies the entry at `at` (entry_length bytes, already known to lie inside
// the table) into `entry`. An entry may be longer than the layout we know (a
// later ACPI revision may append fields) but not shorter.
template <typename T> bool entry_as(const uint8_t* at, uint8_t entry_length, T& entry, AcpiInfo& out) {
    if (entry_length < sizeof(T)) {
        out.warn("acpi: MADT entry too short for its type; skipped, type", at[0]);
        return false;
    }
    entry = load<T>(at);
    return true;
}

void parse_madt_entry(const uint8_t* at, uint8_t entry_length, AcpiInfo& out) {
    switch (at[0]) {
    case kMadtLocalApic: {
        MadtLocalApic entry;
        if (entry_as(at, entry_length, entry, out)) add_cpu(entry.apic_id, entry.processor_uid, entry.flags, false, out);
        break;
    }
    case kMadtLocalX2Apic: {
        MadtLocalX2Apic entry;
        if (entry_as(at, entry_length, entry, out)) add_cpu(entry.x2apic_id, entry.processor_uid, entry.flags, true, out);
        break;
    }
    case kMadtIoApic: {
        MadtIoApic entry;
        if (entry_as(at, entry_length, entry, out)) add_io_apic(entry, out);
        break;
    }
    case kMadtInterruptSourceOverride: {
        MadtInterruptSourceOverride entry;
        if (entry_as(at, entry_length, entry, out)) add_interrupt_override(entry, out);
        break;
    }
    case kMadtNmiSource: {
        MadtNmiSource entry;
        if (entry_as(at, entry_length, entry, out)) add_nmi_source(entry, out);
        break;
    }
    case kMadtLocalApicNmi: {
        MadtLocalApicNmi entry;
        if (entry_as(at, entry_length, entry, out)) {
            bool all = entry.processor_uid == kLocalApicNmiAllProcessors;
            add_local_apic_nmi(all, entry.processor_uid, entry.flags, entry.lint, out);
        }
        break;
    }
    case kMadtLocalX2ApicNmi: {
        MadtLocalX2ApicNmi entry;
        if (entry_as(at, entry_length, entry, out)) {
            bool all = entry.processor_uid == kLocalX2ApicNmiAllProcessors;
            add_local_apic_nmi(all, entry.processor_uid, entry.flags, entry.lint, out);
        }
        break;
    }
    case kMadtLocalApicAddressOverride: {
        // 5.2.12.8: where present, this 64-bit address is the one to use.
        MadtLocalApicAddressOverride entry;
        if (entry_as(at, entry_length, entry, out)) out.local_apic_address = entry.local_apic_address;
        break;
    }
    default:
        // Other interrupt models (I/O SAPIC, GIC, ...) and the multiprocessor
        // wakeup mailbox: nothing an x86 APIC system needs.
        break;
    }
}

void parse_madt(TableBytes table, AcpiInfo& out) {
    if (table.length < sizeof(MadtHeader)) {
        out.warn("acpi: MADT shorter than its fixed fields; ignored, length", table.length);
        return;
    }
    MadtHeader madt = load<MadtHeader>(table.bytes);
    out.has_madt = true;
    out.local_apic_address = madt.local_apic_address;
    out.madt_flags = madt.flags;
    out.has_legacy_pics = (madt.flags & kMadtPcatCompat) != 0;

    // Each step advances by at least 2 bytes and the length is at most
    // kMaxTableLength, so the loop ends. An impossible length ends it early:
    // after one, where the next entry starts is unknown.
    uint32_t offset = sizeof(MadtHeader);
    while (offset < table.length) {
        uint32_t remaining = table.length - offset;
        if (remaining < sizeof(MadtEntryHeader)) {
            out.warn("acpi: MADT ends inside an entry header; stopped at offset", offset);
            break;
        }
        MadtEntryHeader entry = load<MadtEntryHeader>(table.bytes + offset);
        if (entry.length < sizeof(MadtEntryHeader)) {
            out.warn("acpi: MADT entry length below 2; stopped at offset", offset);
            break;
        }
        if (entry.length > remaining) {
            out.warn("acpi: MADT entry runs past the table; stopped at offset", offset);
            break;
        }
        parse_madt_entry(table.bytes + offset, entry.length, out);
        offset += entry.length;
    }

    if (out.cpus_dropped != 0) out.warn("acpi: more CPUs than AcpiInfo holds; dropped", out.cpus_dropped);
    if (out.io_apics_dropped != 0) out.warn("acpi: too many I/O APICs; dropped", out.io_apics_dropped);
    if (out.interrupt_overrides_dropped != 0) {
        out.warn("acpi: too many interrupt source overrides; dropped", out.interrupt_overrides_dropped);
    }
    if (out.nmi_sources_dropped != 0) out.warn("acpi: too many NMI sources; dropped", out.nmi_sources_dropped);
    if (out.local_apic_nmis_dropped != 0) {
        out.warn("acpi: too many local APIC NMI entries; dropped", out.local_apic_nmis_dropped);
    }
    if (out.cpu_count == 0) out.warn("acpi: MADT lists no usable CPU; unusable entries", out.unusable_cpu_count);
}

// ---- HPET

void parse_hpet(TableBytes table, AcpiInfo& out) {
    if (table.length < sizeof(HpetTable)) {
        out.warn("acpi: HPET table too short; ignored, length", table.length);
        return;
    }
    HpetTable hpet = load<HpetTable>(table.bytes);
    // HPET 1.0a, 3.2.4: the register block is memory-mapped; anything else
    // is a broken table.
    if (hpet.base_address.address_space_id != kAddressSpaceSystemMemory) {
        out.warn("acpi: HPET registers not in system memory; ignored, address space",
                 hpet.base_address.address_space_id);
        return;
    }
    if (hpet.base_address.address == 0) {
        out.warn("acpi: HPET base address is 0; ignored", 0);
        return;
    }
    out.has_hpet = true;
    out.hpet.event_timer_block_id = hpet.event_timer_block_id;
    out.hpet.base_address = hpet.base_address.address;
    out.hpet.hpet_number = hpet.hpet_number;
    out.hpet.minimum_clock_tick = hpet.minimum_clock_tick;
    out.hpet.page_protection = hpet.page_protection;
}

// ---- FADT

void parse_fadt(TableBytes table, AcpiInfo& out) {
    if (table.length < kFadtV1Size) {
        out.warn("acpi: FADT shorter than ACPI 1.0's; ignored, length", table.length);
        return;
    }
    // Zero-filled first: the fields a shorter (older) FADT lacks read as 0.
    Fadt fadt;
    memset(static_cast<void*>(&fadt), 0, sizeof(fadt));
    memcpy(static_cast<void*>(&fadt), table.bytes, k::min<size_t>(table.length, sizeof(fadt)));

    AcpiFadtInfo& info = out.fadt;
    out.has_fadt = true;
    info.revision = fadt.header.revision;
    info.flags = fadt.flags;
    info.sci_interrupt = fadt.sci_int;
    info.hardware_reduced = (fadt.flags & kFadtHardwareReduced) != 0;
    // Before FADT revision 3 the IAPC_BOOT_ARCH bytes were reserved: such a
    // table says nothing, and the PCs of that era all had an 8042.
    if (info.revision >= kFadtFirstRevisionWithBootArch) {
        info.iapc_boot_arch = fadt.iapc_boot_arch;
        info.has_8042 = (fadt.iapc_boot_arch & kBootArch8042) != 0;
    } else {
        info.has_8042 = true;
    }

    // 5.2.9: on hardware-reduced platforms the fixed-hardware fields,
    // PM_TMR_BLK among them, are to be ignored. Otherwise X_PM_TMR_BLK wins
    // when it has an address; PM_TMR_BLK is the ACPI 1.0 I/O port.
    info.pm_timer_is_32_bit = (fadt.flags & kFadtTimerValueExtended) != 0;
    if (info.hardware_reduced) return;
    GenericAddress x_timer = fadt.x_pm_tmr_blk;
    if (x_timer.address != 0) {
        if (x_timer.address_space_id != kAddressSpaceSystemIo &&
            x_timer.address_space_id != kAddressSpaceSystemMemory) {
            out.warn("acpi: PM timer in an unsupported address space; ignored, space", x_timer.address_space_id);
            return;
        }
        info.has_pm_timer = true;
        info.pm_timer_space = static_cast<AcpiAddressSpace>(x_timer.address_space_id);
        info.pm_timer_address = x_timer.address;
    } else if (fadt.pm_tmr_blk != 0) {
        info.has_pm_timer = true;
        info.pm_timer_space = AcpiAddressSpace::SystemIo;
        info.pm_timer_address = fadt.pm_tmr_blk;
    }
}

// ---- Root tables

using TableParser = void (*)(TableBytes table, AcpiInfo& out);

struct KnownTable {
    char signature[5];
    TableParser parse;
};

constexpr KnownTable kKnownTables[] = {
    {"APIC", parse_madt},
    {"HPET", parse_hpet},
    {"FACP", parse_fadt},
};

struct RootTable {
    uint64_t phys;
    uint32_t entry_count;
    uint32_t entry_size;  // 8 for the XSDT, 4 for the RSDT
};

// Loads and checks the XSDT or RSDT at `phys`. EFAULT if unreadable, EINVAL
// if corrupt.
Result<RootTable> load_root_table(PhysReader& reader, uint64_t phys, bool is_xsdt, AcpiInfo& out) {
    TableBytes table = TRY(load_table(reader, phys, out));
    if (!signature_is(reinterpret_cast<const char*>(table.bytes), is_xsdt ? "XSDT" : "RSDT")) {
        out.warn(is_xsdt ? "acpi: XSDT signature wrong; at" : "acpi: RSDT signature wrong; at", phys);
        return error(Errno::einval);
    }
    uint32_t entry_size = is_xsdt ? 8 : 4;
    uint32_t body = table.length - static_cast<uint32_t>(sizeof(SdtHeader));
    if (body % entry_size != 0) out.warn("acpi: root table ends inside an entry; length", table.length);
    out.uses_xsdt = is_xsdt;
    out.root_table_address = phys;
    return RootTable{phys, body / entry_size, entry_size};
}

// Reads entry `index` of the root table: the physical address of a table.
bool read_root_entry(PhysReader& reader, const RootTable& root, uint32_t index, uint64_t& table_phys) {
    // In range: load_root_table() read the whole table from `root.phys`.
    uint64_t at = root.phys + sizeof(SdtHeader) + uint64_t{index} * root.entry_size;
    if (root.entry_size == 8) return read_phys_bytes(reader, at, &table_phys, 8);
    uint32_t phys32;
    if (!read_phys_bytes(reader, at, &phys32, 4)) return false;
    table_phys = phys32;
    return true;
}

void parse_tables(PhysReader& reader, const RootTable& root, AcpiInfo& out) {
    // The first valid instance of each table counts (as in other kernels);
    // a corrupt one does not stop a later valid one from being used.
    bool parsed[array_size(kKnownTables)] = {};
    // Bounded by the root table's length (at most kMaxTableLength).
    for (uint32_t i = 0; i < root.entry_count; i++) {
        // Entries are re-read one at a time rather than kept from
        // load_root_table(): its pointer died with the next read().
        uint64_t table_phys;
        if (!read_root_entry(reader, root, i, table_phys)) {
            out.warn("acpi: root table became unreadable; stopped at entry", i);
            return;
        }
        if (table_phys == 0) {
            out.warn("acpi: root table entry is a null pointer; entry", i);
            continue;
        }
        char signature[4];
        if (!read_phys_bytes(reader, table_phys, signature, sizeof(signature))) {
            out.warn("acpi: table unreadable; skipped, at", table_phys);
            continue;
        }
        for (size_t t = 0; t < array_size(kKnownTables); t++) {
            if (!signature_is(signature, kKnownTables[t].signature)) continue;
            if (parsed[t]) {
                out.warn("acpi: second copy of a table ignored; at", table_phys);
                break;
            }
            Result<TableBytes> table = load_table(reader, table_phys, out);
            if (!table.ok()) break;  // warned; a later copy may be good
            parsed[t] = true;
            kKnownTables[t].parse(table.value(), out);
            break;
        }
    }
}

// ---- RSDP

// Fills `rsdp` from the boot loader's copy, or from memory when only the
// address is known; returns how many bytes it holds (20 or 36).
Result<size_t> fetch_rsdp(const AcpiRsdpInfo& info, PhysReader& reader, Rsdp& rsdp, AcpiInfo& out) {
    memset(static_cast<void*>(&rsdp), 0, sizeof(rsdp));
    if (info.length >= kRsdpV1Size) {
        size_t length = k::min<size_t>(info.length, kRsdpV2Size);
        memcpy(static_cast<void*>(&rsdp), info.bytes, length);
        return length;
    }
    if (!info.has_phys_address) {
        out.warn("acpi: the boot loader reported no RSDP", 0);
        return error(Errno::enoent);
    }
    uint64_t phys = info.phys_address;
    if (!read_phys_bytes(reader, phys, &rsdp, kRsdpV1Size)) {
        out.warn("acpi: RSDP unreadable; at", phys);
        return error(Errno::efault);
    }
    if (rsdp.revision < 2) return kRsdpV1Size;
    if (!read_phys_bytes(reader, phys, &rsdp, kRsdpV2Size)) {
        out.warn("acpi: ACPI 2.0 RSDP unreadable past 20 bytes; at", phys);
        return kRsdpV1Size;
    }
    return kRsdpV2Size;
}

// Whether the ACPI 2.0 part of a valid RSDP can be trusted, i.e. whether its
// XSDT address may be followed.
bool extended_rsdp_valid(const Rsdp& rsdp, size_t have, AcpiInfo& out) {
    if (rsdp.revision < 2) return false;
    if (have < kRsdpV2Size) {
        out.warn("acpi: only 20 bytes of an ACPI 2.0 RSDP; using the RSDT, revision", rsdp.revision);
        return false;
    }
    if (rsdp.length < kRsdpV2Size || rsdp.length > kMaxTableLength) {
        out.warn("acpi: RSDP length wrong; using the RSDT, length", rsdp.length);
        return false;
    }
    // Over the 36 bytes we have: the structure is 36 bytes in every
    // revision so far.
    if (!checksum_ok(&rsdp, kRsdpV2Size)) {
        out.warn("acpi: RSDP extended checksum wrong; using the RSDT", 0);
        return false;
    }
    return true;
}

// 5.2.5.3: an ACPI 2.0+ OS uses the XSDT. A corrupt or unreadable one is
// not the end: the RSDT, vouched for by the first checksum, lists the same
// tables (below 4 GiB).
Result<RootTable> find_root_table(const Rsdp& rsdp, size_t rsdp_bytes, PhysReader& reader, AcpiInfo& out) {
    if (extended_rsdp_valid(rsdp, rsdp_bytes, out) && rsdp.xsdt_address != 0) {
        Result<RootTable> xsdt = load_root_table(reader, rsdp.xsdt_address, true, out);
        if (xsdt.ok()) return xsdt;
        if (rsdp.rsdt_address == 0) return error(xsdt.error());  // warned why
        out.warn("acpi: XSDT unusable; trying the RSDT at", rsdp.rsdt_address);
    }
    if (rsdp.rsdt_address == 0) {
        out.warn("acpi: no usable root table: RSDT address is 0", 0);
        return error(Errno::einval);
    }
    return load_root_table(reader, rsdp.rsdt_address, false, out);
}

}  // namespace

uint32_t AcpiInfo::gsi_for_isa_irq(uint8_t irq, IsaIrqFlags* flags) const {
    // ISA interrupts are edge-triggered, active-high (ACPI 6.5, 5.2.12.5);
    // an override's "conforms" keeps that.
    IsaIrqFlags result{IrqPolarity::ActiveHigh, IrqTrigger::Edge};
    uint32_t gsi = irq;
    for (uint32_t i = 0; i < interrupt_override_count; i++) {
        const AcpiInterruptOverride& source_override = interrupt_overrides[i];
        if (source_override.bus != 0 || source_override.source_irq != irq) continue;
        gsi = source_override.gsi;
        if (source_override.polarity != IrqPolarity::Conforms) result.polarity = source_override.polarity;
        if (source_override.trigger != IrqTrigger::Conforms) result.trigger = source_override.trigger;
        break;
    }
    if (flags != nullptr) *flags = result;
    return gsi;
}

Result<void> parse_acpi(const AcpiRsdpInfo& rsdp_info, PhysReader& reader, AcpiInfo& out) {
    out.clear();

    Rsdp rsdp;
    size_t rsdp_bytes = TRY(fetch_rsdp(rsdp_info, reader, rsdp, out));
    if (memcmp(rsdp.signature, kRsdpSignature, sizeof(kRsdpSignature)) != 0) {
        out.warn("acpi: RSDP signature wrong", 0);
        return error(Errno::einval);
    }
    if (!checksum_ok(&rsdp, kRsdpV1Size)) {
        out.warn("acpi: RSDP checksum wrong", 0);
        return error(Errno::einval);
    }
    out.revision = rsdp.revision;
    copy_bounded_string(out.oem_id, AcpiInfo::kOemIdCapacity, rsdp.oem_id, sizeof(rsdp.oem_id));

    RootTable root = TRY(find_root_table(rsdp, rsdp_bytes, reader, out));
    parse_tables(reader, root, out);
    if (!out.has_madt) out.warn("acpi: no usable MADT; only the boot CPU is known", 0);
    return {};
}

}  // namespace k
