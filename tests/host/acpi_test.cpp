// Host tests for libk/acpi: real ACPI tables (RSDP, XSDT/RSDT, MADT, HPET,
// FADT) built byte by byte with correct checksums, placed in a fake physical
// memory made of separate regions. Every read() gets a fresh heap copy of
// exactly the bytes asked for (and nullptr for anything outside a region), so
// AddressSanitizer catches a read past what the parser asked for and a
// pointer kept past the next read().
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libk/acpi.h"
#include "libk/boot_info.h"

namespace {

using k::AcpiInfo;
using k::IrqPolarity;
using k::IrqTrigger;

class FakePhysMemory final : public k::PhysReader {
public:
    const void* read(uint64_t phys, size_t len) override {
        reads_++;
        last_copy_.reset();
        auto it = regions_.upper_bound(phys);
        if (it == regions_.begin()) return nullptr;
        --it;
        const std::vector<uint8_t>& bytes = it->second;
        uint64_t offset = phys - it->first;
        if (offset > bytes.size() || len > bytes.size() - offset) return nullptr;
        last_copy_ = std::make_unique<uint8_t[]>(len);
        if (len != 0) std::memcpy(last_copy_.get(), bytes.data() + offset, len);
        return last_copy_.get();
    }

    void put(uint64_t phys, std::vector<uint8_t> bytes) {
        for (const auto& [base, region] : regions_) {
            ASSERT_TRUE(phys + bytes.size() <= base || base + region.size() <= phys) << "regions overlap";
        }
        regions_[phys] = std::move(bytes);
    }

    uint64_t reads() const { return reads_; }

private:
    std::map<uint64_t, std::vector<uint8_t>> regions_;
    std::unique_ptr<uint8_t[]> last_copy_;
    uint64_t reads_ = 0;
};

// ---- Byte-level builders.

struct Bytes {
    std::vector<uint8_t> data;
    Bytes& u8(uint8_t v) {
        data.push_back(v);
        return *this;
    }
    Bytes& u16(uint16_t v) { return u8(uint8_t(v)).u8(uint8_t(v >> 8)); }
    Bytes& u32(uint32_t v) { return u16(uint16_t(v)).u16(uint16_t(v >> 16)); }
    Bytes& u64(uint64_t v) { return u32(uint32_t(v)).u32(uint32_t(v >> 32)); }
    Bytes& str(const char* s, size_t n) {
        for (size_t i = 0; i < n; i++) u8(uint8_t(s[i]));
        return *this;
    }
    Bytes& raw(const std::vector<uint8_t>& bytes) {
        data.insert(data.end(), bytes.begin(), bytes.end());
        return *this;
    }
};

void poke16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
    for (int i = 0; i < 2; i++) v.at(at + i) = uint8_t(x >> (8 * i));
}
void poke32(std::vector<uint8_t>& v, size_t at, uint32_t x) {
    for (int i = 0; i < 4; i++) v.at(at + i) = uint8_t(x >> (8 * i));
}
void poke64(std::vector<uint8_t>& v, size_t at, uint64_t x) {
    for (int i = 0; i < 8; i++) v.at(at + i) = uint8_t(x >> (8 * i));
}

// Makes bytes [0, len) of v sum to 0 by adjusting the byte at `at`.
void fix_checksum(std::vector<uint8_t>& v, size_t at, size_t len) {
    v.at(at) = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++) sum = uint8_t(sum + v.at(i));
    v[at] = uint8_t(-sum);
}

constexpr size_t kHeaderSize = 36;
constexpr size_t kChecksumOffset = 9;

std::vector<uint8_t> make_table(const char* signature, uint8_t revision, const std::vector<uint8_t>& body) {
    Bytes t;
    t.str(signature, 4).u32(uint32_t(kHeaderSize + body.size())).u8(revision).u8(0);
    t.str("TEACH ", 6).str("TEACHOS ", 8).u32(1).str("TSTC", 4).u32(1);
    t.raw(body);
    fix_checksum(t.data, kChecksumOffset, t.data.size());
    return t.data;
}

std::vector<uint8_t> make_rsdp(uint8_t revision, uint32_t rsdt, uint64_t xsdt) {
    Bytes r;
    r.str("RSD PTR ", 8).u8(0).str("TEACH ", 6).u8(revision).u32(rsdt);
    if (revision >= 2) r.u32(36).u64(xsdt).u8(0).u8(0).u8(0).u8(0);
    fix_checksum(r.data, 8, 20);
    if (revision >= 2) fix_checksum(r.data, 32, 36);
    return r.data;
}

std::vector<uint8_t> make_xsdt(const std::vector<uint64_t>& tables) {
    Bytes body;
    for (uint64_t t : tables) body.u64(t);
    return make_table("XSDT", 1, body.data);
}

std::vector<uint8_t> make_rsdt(const std::vector<uint32_t>& tables) {
    Bytes body;
    for (uint32_t t : tables) body.u32(t);
    return make_table("RSDT", 1, body.data);
}

class Madt {
public:
    explicit Madt(uint32_t local_apic_address = 0xFEE00000, uint32_t flags = 1)
        : local_apic_address_(local_apic_address), flags_(flags) {}

    Madt& local_apic(uint8_t uid, uint8_t apic_id, uint32_t flags) {
        entries_.u8(0).u8(8).u8(uid).u8(apic_id).u32(flags);
        return *this;
    }
    Madt& io_apic(uint8_t id, uint32_t address, uint32_t gsi_base) {
        entries_.u8(1).u8(12).u8(id).u8(0).u32(address).u32(gsi_base);
        return *this;
    }
    Madt& source_override(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags) {
        entries_.u8(2).u8(10).u8(bus).u8(irq).u32(gsi).u16(flags);
        return *this;
    }
    Madt& nmi_source(uint16_t flags, uint32_t gsi) {
        entries_.u8(3).u8(8).u16(flags).u32(gsi);
        return *this;
    }
    Madt& local_apic_nmi(uint8_t uid, uint16_t flags, uint8_t lint) {
        entries_.u8(4).u8(6).u8(uid).u16(flags).u8(lint);
        return *this;
    }
    Madt& local_apic_address_override(uint64_t address) {
        entries_.u8(5).u8(12).u16(0).u64(address);
        return *this;
    }
    Madt& x2apic(uint32_t x2apic_id, uint32_t flags, uint32_t uid) {
        entries_.u8(9).u8(16).u16(0).u32(x2apic_id).u32(flags).u32(uid);
        return *this;
    }
    Madt& x2apic_nmi(uint16_t flags, uint32_t uid, uint8_t lint) {
        entries_.u8(0xA).u8(12).u16(flags).u32(uid).u8(lint).u8(0).u8(0).u8(0);
        return *this;
    }
    Madt& raw(const std::vector<uint8_t>& bytes) {
        entries_.raw(bytes);
        return *this;
    }
    std::vector<uint8_t> build() const {
        Bytes body;
        body.u32(local_apic_address_).u32(flags_).raw(entries_.data);
        return make_table("APIC", 5, body.data);
    }

private:
    uint32_t local_apic_address_;
    uint32_t flags_;
    Bytes entries_;
};

std::vector<uint8_t> make_hpet(uint32_t block_id, uint8_t address_space, uint64_t address, uint8_t number,
                               uint16_t min_tick, uint8_t page_protection) {
    Bytes body;
    body.u32(block_id).u8(address_space).u8(64).u8(0).u8(0).u64(address);
    body.u8(number).u16(min_tick).u8(page_protection);
    return make_table("HPET", 1, body.data);
}

// Offsets in the FADT (ACPI 6.5, Table 5.9).
constexpr size_t kFadtSciInt = 46;
constexpr size_t kFadtPmTmrBlk = 76;
constexpr size_t kFadtPmTmrLen = 91;
constexpr size_t kFadtIapcBootArch = 109;
constexpr size_t kFadtFlags = 112;
constexpr size_t kFadtXPmTmrBlk = 208;
constexpr size_t kFadtV6Length = 276;
constexpr size_t kFadtV1Length = 116;

struct FadtFields {
    uint8_t revision = 6;
    size_t length = kFadtV6Length;
    uint16_t sci_int = 9;
    uint32_t pm_tmr_blk = 0x608;
    uint16_t iapc_boot_arch = 0;
    uint32_t flags = 0;
    uint8_t x_pm_tmr_space = 1;
    uint64_t x_pm_tmr_address = 0;
};

std::vector<uint8_t> make_fadt(const FadtFields& f) {
    std::vector<uint8_t> t(f.length, 0);
    poke16(t, kFadtSciInt, f.sci_int);
    poke32(t, kFadtPmTmrBlk, f.pm_tmr_blk);
    t.at(kFadtPmTmrLen) = 4;
    poke16(t, kFadtIapcBootArch, f.iapc_boot_arch);
    poke32(t, kFadtFlags, f.flags);
    if (f.length >= kFadtXPmTmrBlk + 12) {
        t[kFadtXPmTmrBlk] = f.x_pm_tmr_space;
        t[kFadtXPmTmrBlk + 1] = 32;
        t[kFadtXPmTmrBlk + 3] = 3;  // dword access
        poke64(t, kFadtXPmTmrBlk + 4, f.x_pm_tmr_address);
    }
    std::vector<uint8_t> body(t.begin() + kHeaderSize, t.end());
    return make_table("FACP", f.revision, body);
}

// ---- Where things live in the fake machine.

constexpr uint64_t kRsdp = 0xE0010;
constexpr uint64_t kXsdt = 0x7FE0000;
constexpr uint64_t kRsdt = 0x7FE1000;
constexpr uint64_t kMadt = 0x7FE2000;
constexpr uint64_t kHpet = 0x7FE3000;
constexpr uint64_t kFadt = 0x7FE4000;
constexpr uint64_t kSsdt = 0x7FE5000;
constexpr uint64_t kMadt2 = 0x7FE6000;
constexpr uint64_t kHighMadt = 0x1'2340'0000;  // only an XSDT can point here
constexpr uint64_t kNowhere = 0xDEAD'0000;      // no region

k::AcpiRsdpInfo rsdp_copy(const std::vector<uint8_t>& bytes) {
    k::AcpiRsdpInfo info{};
    info.source = bytes.size() >= 36 ? k::RsdpSource::Multiboot2AcpiNew : k::RsdpSource::Multiboot2AcpiOld;
    info.revision = bytes.at(15);
    info.length = uint8_t(bytes.size());
    std::memcpy(info.bytes, bytes.data(), bytes.size());
    return info;
}

k::AcpiRsdpInfo rsdp_at(uint64_t phys) {
    k::AcpiRsdpInfo info{};
    info.source = k::RsdpSource::Pvh;
    info.has_phys_address = true;
    info.phys_address = phys;
    return info;
}

std::unique_ptr<AcpiInfo> garbage_acpi_info() {
    auto info = std::make_unique<AcpiInfo>();
    std::memset(static_cast<void*>(info.get()), 0xA5, sizeof(AcpiInfo));
    return info;
}

std::string warnings_text(const AcpiInfo& info) {
    std::string text;
    for (uint32_t i = 0; i < info.warning_count; i++) {
        text += std::string(info.warnings[i].message) + " " + std::to_string(info.warnings[i].value) + "\n";
    }
    return text;
}

const k::BootWarning* find_warning(const AcpiInfo& info, const char* needle) {
    for (uint32_t i = 0; i < info.warning_count; i++) {
        if (std::strstr(info.warnings[i].message, needle) != nullptr) return &info.warnings[i];
    }
    return nullptr;
}

// A machine: memory, the RSDP the "boot loader" reported, the parse result.
struct Machine {
    FakePhysMemory memory;
    k::AcpiRsdpInfo rsdp{};
    std::unique_ptr<AcpiInfo> info = garbage_acpi_info();

    k::Result<void> parse() { return k::parse_acpi(rsdp, memory, *info); }

    // ACPI 2.0+: an RSDP copy naming the XSDT (and no RSDT).
    void with_xsdt(const std::vector<uint64_t>& tables) {
        memory.put(kXsdt, make_xsdt(tables));
        rsdp = rsdp_copy(make_rsdp(2, 0, kXsdt));
    }
    // ACPI 1.0: the 20-byte RSDP copy naming the RSDT.
    void with_rsdt(const std::vector<uint32_t>& tables) {
        memory.put(kRsdt, make_rsdt(tables));
        rsdp = rsdp_copy(make_rsdp(0, kRsdt, 0));
    }
    // Just this MADT, through an XSDT.
    void with_madt(const Madt& madt) {
        memory.put(kMadt, madt.build());
        with_xsdt({kMadt});
    }
};

#define EXPECT_WARNING(info, needle, expected_value)                                   \
    do {                                                                               \
        const k::BootWarning* w = find_warning((info), (needle));                     \
        ASSERT_NE(w, nullptr) << "no warning \"" << (needle) << "\" in:\n" << warnings_text(info); \
        EXPECT_EQ(w->value, uint64_t(expected_value)) << w->message;                   \
    } while (0)

// ---- The whole path.

TEST(AcpiParse, FullTablesThroughXsdt) {
    Machine m;
    Madt madt(0xFEE00000, 1);
    madt.local_apic(0, 0, 1)                 // the boot CPU
        .local_apic(1, 2, 1)
        .local_apic(2, 4, 0)                 // disabled: an empty socket
        .local_apic(3, 6, 2)                 // online capable
        .x2apic(0x100, 1, 0x20)
        .x2apic(0x101, 0, 0x21)              // disabled
        .io_apic(2, 0xFEC00000, 0)
        .io_apic(3, 0xFEC01000, 24)
        .source_override(0, 0, 2, 0x0)       // PIT: IRQ 0 -> GSI 2, conforming
        .source_override(0, 9, 9, 0xF)       // SCI: level, active low
        .nmi_source(0xD, 23)                 // level, active high
        .local_apic_nmi(0xFF, 0x5, 1)        // every CPU: LINT1, edge, active high
        .x2apic_nmi(0x0, 0x20, 0)
        .raw({0x7F, 4, 0xAA, 0xBB});         // an entry type this parser does not know
    m.memory.put(kHighMadt, madt.build());
    m.memory.put(kHpet, make_hpet(0x8086A201, 0, 0xFED00000, 0, 0x80, 0));
    FadtFields fadt;
    fadt.iapc_boot_arch = 0x3;  // legacy devices + 8042
    fadt.flags = 1u << 8;       // TMR_VAL_EXT
    fadt.pm_tmr_blk = 0x608;
    fadt.x_pm_tmr_address = 0xB008;  // differs on purpose: X_PM_TMR_BLK must win
    m.memory.put(kFadt, make_fadt(fadt));
    // A table the parser has no use for, with a wrong checksum: not
    // validated, so no warning.
    std::vector<uint8_t> ssdt = make_table("SSDT", 2, std::vector<uint8_t>(64, 0x11));
    ssdt[40] ^= 1;
    m.memory.put(kSsdt, ssdt);
    m.memory.put(kXsdt, make_xsdt({kSsdt, kHighMadt, kHpet, kFadt}));
    m.memory.put(kRsdt, make_rsdt({}));  // empty: used only if the XSDT were ignored
    m.rsdp = rsdp_copy(make_rsdp(2, kRsdt, kXsdt));

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    const AcpiInfo& info = *m.info;
    EXPECT_EQ(info.warning_count, 0u) << warnings_text(info);
    EXPECT_EQ(info.warnings_dropped, 0u);
    EXPECT_EQ(info.revision, 2);
    EXPECT_STREQ(info.oem_id, "TEACH ");
    EXPECT_TRUE(info.uses_xsdt);
    EXPECT_EQ(info.root_table_address, kXsdt);

    ASSERT_TRUE(info.has_madt);
    EXPECT_EQ(info.local_apic_address, 0xFEE00000u);
    EXPECT_EQ(info.madt_flags, 1u);
    EXPECT_TRUE(info.has_legacy_pics);

    ASSERT_EQ(info.cpu_count, 4u);
    EXPECT_EQ(info.unusable_cpu_count, 2u);
    EXPECT_EQ(info.cpus_dropped, 0u);
    EXPECT_EQ(info.enabled_cpu_count(), 3u);
    const k::AcpiCpu& boot = info.cpus[0];
    EXPECT_EQ(boot.apic_id, 0u);
    EXPECT_EQ(boot.processor_uid, 0u);
    EXPECT_TRUE(boot.enabled);
    EXPECT_FALSE(boot.online_capable);
    EXPECT_FALSE(boot.is_x2apic);
    EXPECT_EQ(info.cpus[1].apic_id, 2u);
    EXPECT_EQ(info.cpus[1].processor_uid, 1u);
    EXPECT_EQ(info.cpus[2].apic_id, 6u);
    EXPECT_EQ(info.cpus[2].processor_uid, 3u);
    EXPECT_FALSE(info.cpus[2].enabled);
    EXPECT_TRUE(info.cpus[2].online_capable);
    EXPECT_EQ(info.cpus[3].apic_id, 0x100u);
    EXPECT_EQ(info.cpus[3].processor_uid, 0x20u);
    EXPECT_TRUE(info.cpus[3].enabled);
    EXPECT_TRUE(info.cpus[3].is_x2apic);

    ASSERT_EQ(info.io_apic_count, 2u);
    EXPECT_EQ(info.io_apics[0].id, 2);
    EXPECT_EQ(info.io_apics[0].address, 0xFEC00000u);
    EXPECT_EQ(info.io_apics[0].gsi_base, 0u);
    EXPECT_EQ(info.io_apics[1].id, 3);
    EXPECT_EQ(info.io_apics[1].address, 0xFEC01000u);
    EXPECT_EQ(info.io_apics[1].gsi_base, 24u);

    ASSERT_EQ(info.interrupt_override_count, 2u);
    EXPECT_EQ(info.interrupt_overrides[0].bus, 0);
    EXPECT_EQ(info.interrupt_overrides[0].source_irq, 0);
    EXPECT_EQ(info.interrupt_overrides[0].gsi, 2u);
    EXPECT_EQ(info.interrupt_overrides[0].polarity, IrqPolarity::Conforms);
    EXPECT_EQ(info.interrupt_overrides[0].trigger, IrqTrigger::Conforms);
    EXPECT_EQ(info.interrupt_overrides[1].source_irq, 9);
    EXPECT_EQ(info.interrupt_overrides[1].gsi, 9u);
    EXPECT_EQ(info.interrupt_overrides[1].polarity, IrqPolarity::ActiveLow);
    EXPECT_EQ(info.interrupt_overrides[1].trigger, IrqTrigger::Level);

    ASSERT_EQ(info.nmi_source_count, 1u);
    EXPECT_EQ(info.nmi_sources[0].gsi, 23u);
    EXPECT_EQ(info.nmi_sources[0].polarity, IrqPolarity::ActiveHigh);
    EXPECT_EQ(info.nmi_sources[0].trigger, IrqTrigger::Level);

    ASSERT_EQ(info.local_apic_nmi_count, 2u);
    EXPECT_TRUE(info.local_apic_nmis[0].all_processors);
    EXPECT_EQ(info.local_apic_nmis[0].lint, 1);
    EXPECT_EQ(info.local_apic_nmis[0].polarity, IrqPolarity::ActiveHigh);
    EXPECT_EQ(info.local_apic_nmis[0].trigger, IrqTrigger::Edge);
    EXPECT_FALSE(info.local_apic_nmis[1].all_processors);
    EXPECT_EQ(info.local_apic_nmis[1].processor_uid, 0x20u);
    EXPECT_EQ(info.local_apic_nmis[1].lint, 0);
    EXPECT_EQ(info.local_apic_nmis[1].polarity, IrqPolarity::Conforms);

    ASSERT_TRUE(info.has_hpet);
    EXPECT_EQ(info.hpet.base_address, 0xFED00000u);
    EXPECT_EQ(info.hpet.event_timer_block_id, 0x8086A201u);
    EXPECT_EQ(info.hpet.hpet_number, 0);
    EXPECT_EQ(info.hpet.minimum_clock_tick, 0x80);
    EXPECT_EQ(info.hpet.hardware_revision(), 1);
    EXPECT_EQ(info.hpet.comparator_count(), 3u);
    EXPECT_TRUE(info.hpet.counter_is_64_bit());
    EXPECT_TRUE(info.hpet.legacy_replacement_capable());
    EXPECT_EQ(info.hpet.pci_vendor_id(), 0x8086);

    ASSERT_TRUE(info.has_fadt);
    EXPECT_EQ(info.fadt.revision, 6);
    EXPECT_EQ(info.fadt.sci_interrupt, 9);
    EXPECT_EQ(info.fadt.iapc_boot_arch, 0x3);
    EXPECT_TRUE(info.fadt.has_8042);
    EXPECT_FALSE(info.fadt.hardware_reduced);
    ASSERT_TRUE(info.fadt.has_pm_timer);
    EXPECT_EQ(info.fadt.pm_timer_space, k::AcpiAddressSpace::SystemIo);
    EXPECT_EQ(info.fadt.pm_timer_address, 0xB008u);
    EXPECT_TRUE(info.fadt.pm_timer_is_32_bit);

    // The PIT's IRQ 0 comes in at GSI 2, edge/high; the SCI at 9, level/low.
    k::IsaIrqFlags flags{};
    EXPECT_EQ(info.gsi_for_isa_irq(0, &flags), 2u);
    EXPECT_EQ(flags.polarity, IrqPolarity::ActiveHigh);
    EXPECT_EQ(flags.trigger, IrqTrigger::Edge);
    EXPECT_EQ(info.gsi_for_isa_irq(9, &flags), 9u);
    EXPECT_EQ(flags.polarity, IrqPolarity::ActiveLow);
    EXPECT_EQ(flags.trigger, IrqTrigger::Level);
}

TEST(AcpiParse, RsdtForRevisionZero) {
    Machine m;
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).local_apic(1, 1, 1).build());
    m.memory.put(kFadt, make_fadt(FadtFields{}));
    m.with_rsdt({uint32_t(kMadt), uint32_t(kFadt)});
    ASSERT_EQ(m.rsdp.length, 20);

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);
    EXPECT_EQ(m.info->revision, 0);
    EXPECT_FALSE(m.info->uses_xsdt);
    EXPECT_EQ(m.info->root_table_address, kRsdt);
    EXPECT_TRUE(m.info->has_madt);
    EXPECT_EQ(m.info->cpu_count, 2u);
    EXPECT_TRUE(m.info->has_fadt);
    EXPECT_FALSE(m.info->has_hpet);  // no HPET is not worth a warning
}

TEST(AcpiParse, RevisionTwoWithoutXsdtAddressUsesRsdt) {
    Machine m;
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).build());
    m.memory.put(kRsdt, make_rsdt({uint32_t(kMadt)}));
    m.rsdp = rsdp_copy(make_rsdp(2, kRsdt, 0));

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);
    EXPECT_FALSE(m.info->uses_xsdt);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, ReadsRsdpAtItsAddressWhenNoCopy) {
    for (uint8_t revision : {0, 2}) {
        Machine m;
        m.memory.put(kMadt, Madt().local_apic(0, 7, 1).build());
        m.memory.put(kRsdt, make_rsdt({uint32_t(kMadt)}));
        m.memory.put(kXsdt, make_xsdt({kMadt}));
        // Exactly 20 or 36 bytes: reading more than the revision needs fails.
        m.memory.put(kRsdp, make_rsdp(revision, kRsdt, kXsdt));
        m.rsdp = rsdp_at(kRsdp);

        auto result = m.parse();
        ASSERT_TRUE(result.ok()) << int(revision);
        EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);
        EXPECT_EQ(m.info->revision, revision);
        EXPECT_EQ(m.info->uses_xsdt, revision == 2);
        ASSERT_EQ(m.info->cpu_count, 1u);
        EXPECT_EQ(m.info->cpus[0].apic_id, 7u);
    }
}

TEST(AcpiParse, NoRsdpAtAll) {
    Machine m;
    auto result = m.parse();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::enoent);
    EXPECT_WARNING(*m.info, "no RSDP", 0);
}

TEST(AcpiParse, RsdpAddressUnreadable) {
    Machine m;
    m.rsdp = rsdp_at(kNowhere);
    auto result = m.parse();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::efault);
    EXPECT_WARNING(*m.info, "RSDP unreadable", kNowhere);
}

TEST(AcpiParse, BadRsdpSignature) {
    Machine m;
    m.with_xsdt({});
    m.rsdp.bytes[0] = 'X';
    auto result = m.parse();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::einval);
    EXPECT_WARNING(*m.info, "RSDP signature wrong", 0);
}

TEST(AcpiParse, BadRsdpChecksum) {
    for (uint8_t revision : {0, 2}) {
        Machine m;
        m.memory.put(kRsdt, make_rsdt({}));
        m.memory.put(kXsdt, make_xsdt({}));
        std::vector<uint8_t> rsdp = make_rsdp(revision, kRsdt, kXsdt);
        rsdp[10] ^= 0x20;  // inside the OEM ID
        m.rsdp = rsdp_copy(rsdp);
        auto result = m.parse();
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error(), k::Errno::einval);
        EXPECT_WARNING(*m.info, "RSDP checksum wrong", 0);
        EXPECT_FALSE(m.info->has_madt);
    }
}

// The XSDT and the RSDT name different MADTs, so the CPU count says which
// root table was followed.
void put_two_roots(Machine& m) {
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).local_apic(1, 1, 1).local_apic(2, 2, 1).build());
    m.memory.put(kMadt2, Madt().local_apic(0, 0, 1).build());
    m.memory.put(kXsdt, make_xsdt({kMadt}));
    m.memory.put(kRsdt, make_rsdt({uint32_t(kMadt2)}));
}

TEST(AcpiParse, BadExtendedChecksumFallsBackToRsdt) {
    Machine m;
    put_two_roots(m);
    std::vector<uint8_t> rsdp = make_rsdp(2, kRsdt, kXsdt);
    rsdp[33] = 0x55;  // reserved byte: breaks only the extended checksum
    m.rsdp = rsdp_copy(rsdp);

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "extended checksum wrong", 0);
    EXPECT_FALSE(m.info->uses_xsdt);
    EXPECT_EQ(m.info->root_table_address, kRsdt);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, BadExtendedChecksumWithoutRsdtFails) {
    Machine m;
    put_two_roots(m);
    std::vector<uint8_t> rsdp = make_rsdp(2, 0, kXsdt);
    rsdp[33] = 0x55;
    m.rsdp = rsdp_copy(rsdp);

    auto result = m.parse();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::einval);
    EXPECT_WARNING(*m.info, "extended checksum wrong", 0);
    EXPECT_EQ(m.info->cpu_count, 0u);
}

TEST(AcpiParse, BadRsdpLengthFallsBackToRsdt) {
    Machine m;
    put_two_roots(m);
    std::vector<uint8_t> rsdp = make_rsdp(2, kRsdt, kXsdt);
    poke32(rsdp, 20, 24);
    fix_checksum(rsdp, 32, 36);  // the checksum is right; the length is not
    m.rsdp = rsdp_copy(rsdp);

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "RSDP length wrong", 24);
    EXPECT_FALSE(m.info->uses_xsdt);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, TwentyByteCopyOfNewRsdpUsesRsdt) {
    Machine m;
    put_two_roots(m);
    std::vector<uint8_t> rsdp = make_rsdp(2, kRsdt, kXsdt);
    rsdp.resize(20);  // what a Multiboot2 "ACPI old" tag would carry
    m.rsdp = rsdp_copy(rsdp);

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "only 20 bytes", 2);
    EXPECT_FALSE(m.info->uses_xsdt);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, UnreadableXsdtFallsBackToRsdt) {
    Machine m;
    m.memory.put(kMadt2, Madt().local_apic(0, 0, 1).build());
    m.memory.put(kRsdt, make_rsdt({uint32_t(kMadt2)}));
    m.rsdp = rsdp_copy(make_rsdp(2, kRsdt, kNowhere));

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "table header unreadable", kNowhere);
    EXPECT_WARNING(*m.info, "XSDT unusable", kRsdt);
    EXPECT_FALSE(m.info->uses_xsdt);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, XsdtReadableOnlyUpToItsHeader) {
    Machine m;
    std::vector<uint8_t> xsdt = make_xsdt({kMadt, kHpet});
    xsdt.resize(kHeaderSize + 4);  // memory ends in the middle of the first entry
    m.memory.put(kXsdt, xsdt);
    m.rsdp = rsdp_copy(make_rsdp(2, 0, kXsdt));

    auto result = m.parse();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::efault);
    EXPECT_WARNING(*m.info, "unreadable past its header", kXsdt);
}

TEST(AcpiParse, UnreadableXsdtWithoutRsdtFails) {
    Machine m;
    m.rsdp = rsdp_copy(make_rsdp(2, 0, kNowhere));
    auto result = m.parse();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::efault);
    EXPECT_WARNING(*m.info, "table header unreadable", kNowhere);
}

TEST(AcpiParse, CorruptRootTables) {
    {
        Machine m;  // RSDT checksum
        std::vector<uint8_t> rsdt = make_rsdt({uint32_t(kMadt)});
        rsdt[kHeaderSize] ^= 1;
        m.memory.put(kRsdt, rsdt);
        m.rsdp = rsdp_copy(make_rsdp(0, kRsdt, 0));
        auto result = m.parse();
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error(), k::Errno::einval);
        EXPECT_WARNING(*m.info, "checksum wrong", kRsdt);
    }
    {
        Machine m;  // an XSDT where the RSDT should be
        m.memory.put(kRsdt, make_xsdt({}));
        m.rsdp = rsdp_copy(make_rsdp(0, kRsdt, 0));
        auto result = m.parse();
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error(), k::Errno::einval);
        EXPECT_WARNING(*m.info, "RSDT signature wrong", kRsdt);
    }
    {
        // Lengths too small and too large.
        for (uint32_t length : {35u, (1u << 20) + 1}) {
            std::vector<uint8_t> xsdt = make_xsdt({});
            poke32(xsdt, 4, length);
            fix_checksum(xsdt, kChecksumOffset, xsdt.size());
            Machine n;
            n.memory.put(kXsdt, xsdt);
            n.rsdp = rsdp_copy(make_rsdp(2, 0, kXsdt));
            auto result = n.parse();
            ASSERT_FALSE(result.ok());
            EXPECT_EQ(result.error(), k::Errno::einval);
            EXPECT_WARNING(*n.info, "length outside", length);
        }
    }
}

TEST(AcpiParse, RootTableWithPartialEntry) {
    Machine m;
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).build());
    Bytes body;
    body.u64(kMadt).u32(0x12345678);  // one entry and half of another
    m.memory.put(kXsdt, make_table("XSDT", 1, body.data));
    m.rsdp = rsdp_copy(make_rsdp(2, 0, kXsdt));

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "ends inside an entry", kHeaderSize + 12);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, BadTableChecksumSkipsTable) {
    Machine m;
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).build());
    std::vector<uint8_t> hpet = make_hpet(0x8086A201, 0, 0xFED00000, 0, 0x80, 0);
    hpet[45] ^= 0x10;  // inside the base address: the HPET would be elsewhere
    m.memory.put(kHpet, hpet);
    m.with_xsdt({kHpet, kMadt});

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(m.info->has_hpet);
    EXPECT_EQ(m.info->hpet.base_address, 0u);
    EXPECT_WARNING(*m.info, "checksum wrong", kHpet);
    EXPECT_EQ(m.info->warning_count, 1u) << warnings_text(*m.info);
    EXPECT_TRUE(m.info->has_madt);  // the others are still read
}

TEST(AcpiParse, CorruptMadtMeansNoMadt) {
    Machine m;
    std::vector<uint8_t> madt = Madt().local_apic(0, 0, 1).local_apic(1, 1, 1).build();
    madt.back() ^= 1;
    m.memory.put(kMadt, madt);
    m.with_xsdt({kMadt});

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(m.info->has_madt);
    EXPECT_EQ(m.info->cpu_count, 0u);
    EXPECT_WARNING(*m.info, "checksum wrong", kMadt);
    EXPECT_WARNING(*m.info, "no usable MADT", 0);
}

TEST(AcpiParse, FirstValidCopyOfATableCounts) {
    Machine m;
    std::vector<uint8_t> corrupt = Madt().local_apic(0, 0, 1).build();
    corrupt[kHeaderSize] ^= 1;
    m.memory.put(kMadt, corrupt);
    m.memory.put(kMadt2, Madt().local_apic(0, 5, 1).build());
    m.memory.put(kHighMadt, Madt().local_apic(0, 9, 1).build());
    m.with_xsdt({kMadt, kMadt2, kHighMadt});

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "checksum wrong", kMadt);
    EXPECT_WARNING(*m.info, "second copy", kHighMadt);
    ASSERT_EQ(m.info->cpu_count, 1u);
    EXPECT_EQ(m.info->cpus[0].apic_id, 5u);
}

TEST(AcpiParse, UnreadableAndNullEntriesAreSkipped) {
    Machine m;
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).build());
    m.with_xsdt({kNowhere, 0, kMadt});

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "table unreadable", kNowhere);
    EXPECT_WARNING(*m.info, "null pointer", 1);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiParse, TableLengthOutOfRangeIsSkipped) {
    Machine m;
    std::vector<uint8_t> hpet = make_hpet(1, 0, 0xFED00000, 0, 0x80, 0);
    poke32(hpet, 4, 2u << 20);  // claims 2 MiB
    fix_checksum(hpet, kChecksumOffset, hpet.size());
    m.memory.put(kHpet, hpet);
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).build());
    m.with_xsdt({kHpet, kMadt});

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "length outside", 2u << 20);
    EXPECT_FALSE(m.info->has_hpet);
    EXPECT_TRUE(m.info->has_madt);
}

TEST(AcpiParse, MissingMadtIsAWarningNotAnError) {
    Machine m;
    m.memory.put(kHpet, make_hpet(1, 0, 0xFED00000, 0, 0x80, 0));
    m.with_xsdt({kHpet});

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(m.info->has_madt);
    EXPECT_EQ(m.info->cpu_count, 0u);
    EXPECT_TRUE(m.info->has_hpet);
    EXPECT_WARNING(*m.info, "no usable MADT", 0);
    EXPECT_EQ(m.info->warning_count, 1u) << warnings_text(*m.info);
}

TEST(AcpiParse, WarningsBeyondTheListAreCounted) {
    Machine m;
    m.with_xsdt(std::vector<uint64_t>(20, 0));  // 20 null entries, then "no MADT"

    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, AcpiInfo::kMaxWarnings);
    EXPECT_EQ(m.info->warnings_dropped, 21u - AcpiInfo::kMaxWarnings);
}

// ---- MADT entries.

TEST(AcpiMadt, EntryLengthZeroStopsParsing) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 0, 1).raw({0, 0}).local_apic(1, 1, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "length below 2", 44 + 8);
    EXPECT_TRUE(m.info->has_madt);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiMadt, EntryLengthOneStopsParsing) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 0, 1).raw({0, 1}).local_apic(1, 1, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "length below 2", 44 + 8);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiMadt, EntryPastTheEndStopsParsing) {
    Machine m;
    // A Local APIC entry claiming 8 bytes with only 4 left in the table.
    m.with_madt(Madt().local_apic(0, 0, 1).raw({0, 8, 1, 1}));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "runs past the table", 44 + 8);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiMadt, TableEndingInsideAnEntryHeader) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 0, 1).raw({0}));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "ends inside an entry header", 44 + 8);
    EXPECT_EQ(m.info->cpu_count, 1u);
}

TEST(AcpiMadt, EntryTooShortForItsTypeIsSkipped) {
    Machine m;
    // An I/O APIC entry of 6 bytes (needs 12), then a good CPU.
    m.with_madt(Madt().raw({1, 6, 2, 0, 0, 0}).local_apic(0, 3, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "too short for its type", 1);
    EXPECT_EQ(m.info->io_apic_count, 0u);
    ASSERT_EQ(m.info->cpu_count, 1u);
    EXPECT_EQ(m.info->cpus[0].apic_id, 3u);
}

TEST(AcpiMadt, LongerEntriesAreAccepted) {
    Machine m;
    // A later ACPI revision may append fields: a 10-byte Local APIC entry.
    m.with_madt(Madt().raw({0, 10, 4, 5, 1, 0, 0, 0, 0xEE, 0xEE}).local_apic(6, 7, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);
    ASSERT_EQ(m.info->cpu_count, 2u);
    EXPECT_EQ(m.info->cpus[0].processor_uid, 4u);
    EXPECT_EQ(m.info->cpus[0].apic_id, 5u);
    EXPECT_EQ(m.info->cpus[1].apic_id, 7u);
}

TEST(AcpiMadt, ShorterThanItsFixedFields) {
    Machine m;
    m.memory.put(kMadt, make_table("APIC", 5, {0, 0, 0xE0, 0xFE}));  // 40 bytes
    m.with_xsdt({kMadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "shorter than its fixed fields", 40);
    EXPECT_FALSE(m.info->has_madt);
}

TEST(AcpiMadt, DisabledCpusAreNotCounted) {
    Machine m;
    m.with_madt(Madt()
                    .local_apic(0, 0, 1)
                    .local_apic(1, 1, 0)      // disabled
                    .local_apic(2, 0xFF, 1)   // the broadcast ID names no CPU
                    .local_apic(3, 3, 3)      // Enabled wins; Online Capable is reserved then
                    .x2apic(0x200, 0, 4)      // disabled
                    .x2apic(0xFFFFFFFF, 1, 5) // broadcast
                    .x2apic(0x201, 2, 6));    // online capable only
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);
    ASSERT_EQ(m.info->cpu_count, 3u);
    EXPECT_EQ(m.info->unusable_cpu_count, 4u);
    EXPECT_EQ(m.info->enabled_cpu_count(), 2u);
    EXPECT_EQ(m.info->cpus[0].apic_id, 0u);
    EXPECT_EQ(m.info->cpus[1].apic_id, 3u);
    EXPECT_TRUE(m.info->cpus[1].enabled);
    EXPECT_FALSE(m.info->cpus[1].online_capable);
    EXPECT_EQ(m.info->cpus[2].apic_id, 0x201u);
    EXPECT_FALSE(m.info->cpus[2].enabled);
    EXPECT_TRUE(m.info->cpus[2].online_capable);
}

TEST(AcpiMadt, NoUsableCpuIsWarned) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 0, 0).local_apic(1, 1, 0));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(m.info->has_madt);
    EXPECT_EQ(m.info->cpu_count, 0u);
    EXPECT_WARNING(*m.info, "no usable CPU", 2);
}

TEST(AcpiMadt, DuplicateApicIdKeepsTheFirst) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 4, 1).x2apic(4, 1, 9));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "APIC ID twice", 4);
    ASSERT_EQ(m.info->cpu_count, 1u);
    EXPECT_FALSE(m.info->cpus[0].is_x2apic);
    EXPECT_EQ(m.info->cpus[0].processor_uid, 0u);
}

TEST(AcpiMadt, MoreCpusThanFit) {
    Machine m;
    Madt madt;
    for (uint32_t id = 0; id < 300; id++) madt.x2apic(id, 1, id);
    m.with_madt(madt);
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(m.info->cpu_count, AcpiInfo::kMaxCpus);
    EXPECT_EQ(m.info->cpus_dropped, 300u - AcpiInfo::kMaxCpus);
    EXPECT_EQ(m.info->cpus[AcpiInfo::kMaxCpus - 1].apic_id, AcpiInfo::kMaxCpus - 1);
    EXPECT_WARNING(*m.info, "more CPUs than AcpiInfo holds", 300u - AcpiInfo::kMaxCpus);
}

TEST(AcpiMadt, EmptySocketsDoNotCrowdOutCpus) {
    Machine m;
    Madt madt;
    for (uint32_t id = 0; id < 300; id++) madt.x2apic(id, 0, id);  // 300 empty sockets first
    madt.x2apic(1000, 1, 1000).x2apic(1001, 1, 1001);
    m.with_madt(madt);
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);
    ASSERT_EQ(m.info->cpu_count, 2u);
    EXPECT_EQ(m.info->cpus[0].apic_id, 1000u);
    EXPECT_EQ(m.info->cpus[1].apic_id, 1001u);
    EXPECT_EQ(m.info->unusable_cpu_count, 300u);
}

TEST(AcpiMadt, FullListsAreCountedAndWarned) {
    Machine m;
    Madt madt;
    madt.local_apic(0, 0, 1);
    for (uint32_t i = 0; i < 17; i++) madt.io_apic(uint8_t(i), 0xFEC00000 + i * 0x1000, i * 24);
    for (uint32_t i = 0; i < 33; i++) madt.source_override(0, uint8_t(i), i + 100, 0);
    for (uint32_t i = 0; i < 9; i++) madt.nmi_source(0, i);
    for (uint32_t i = 0; i < 17; i++) madt.local_apic_nmi(uint8_t(i), 0, 1);
    m.with_madt(madt);
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->io_apic_count, AcpiInfo::kMaxIoApics);
    EXPECT_EQ(m.info->io_apics[15].gsi_base, 15u * 24);
    EXPECT_EQ(m.info->interrupt_override_count, AcpiInfo::kMaxInterruptOverrides);
    EXPECT_EQ(m.info->nmi_source_count, AcpiInfo::kMaxNmiSources);
    EXPECT_EQ(m.info->local_apic_nmi_count, AcpiInfo::kMaxLocalApicNmis);
    EXPECT_WARNING(*m.info, "too many I/O APICs", 1);
    EXPECT_WARNING(*m.info, "too many interrupt source overrides", 1);
    EXPECT_WARNING(*m.info, "too many NMI sources", 1);
    EXPECT_WARNING(*m.info, "too many local APIC NMI", 1);
}

TEST(AcpiMadt, LocalApicAddressOverrideWins) {
    Machine m;
    m.with_madt(Madt(0xFEE00000, 0).local_apic_address_override(0x1'0000'F000).local_apic(0, 0, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->local_apic_address, 0x1'0000'F000u);
    EXPECT_FALSE(m.info->has_legacy_pics);
}

TEST(AcpiMadt, LocalApicNmiOnAnImpossiblePinIsIgnored) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 0, 1).local_apic_nmi(0, 0, 2).x2apic_nmi(0, 0xFFFFFFFF, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_WARNING(*m.info, "LINT pin", 2);
    ASSERT_EQ(m.info->local_apic_nmi_count, 1u);
    EXPECT_TRUE(m.info->local_apic_nmis[0].all_processors);
    EXPECT_EQ(m.info->local_apic_nmis[0].lint, 1);
}

// ---- ISA IRQ -> GSI.

TEST(AcpiIsaIrq, IdentityWithoutOverrides) {
    Machine m;
    m.with_madt(Madt().local_apic(0, 0, 1));
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    for (uint8_t irq = 0; irq < 16; irq++) {
        k::IsaIrqFlags flags{IrqPolarity::Conforms, IrqTrigger::Conforms};
        EXPECT_EQ(m.info->gsi_for_isa_irq(irq, &flags), irq);
        EXPECT_EQ(flags.polarity, IrqPolarity::ActiveHigh);
        EXPECT_EQ(flags.trigger, IrqTrigger::Edge);
    }
    EXPECT_EQ(m.info->gsi_for_isa_irq(4, nullptr), 4u);
}

TEST(AcpiIsaIrq, OverridesApplyWithTheirFlags) {
    Machine m;
    m.with_madt(Madt()
                    .local_apic(0, 0, 1)
                    .source_override(0, 0, 2, 0x0)    // conforming: ISA's edge/high
                    .source_override(0, 5, 20, 0x3)   // active low, trigger conforms -> edge
                    .source_override(0, 9, 9, 0xF)    // level, active low
                    .source_override(0, 11, 11, 0xC)  // level, polarity conforms -> high
                    .source_override(1, 3, 40, 0xF)); // not ISA: no effect on IRQ 3
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(m.info->warning_count, 0u) << warnings_text(*m.info);

    struct Expected {
        uint8_t irq;
        uint32_t gsi;
        IrqPolarity polarity;
        IrqTrigger trigger;
    };
    const Expected cases[] = {
        {0, 2, IrqPolarity::ActiveHigh, IrqTrigger::Edge},
        {1, 1, IrqPolarity::ActiveHigh, IrqTrigger::Edge},
        {3, 3, IrqPolarity::ActiveHigh, IrqTrigger::Edge},
        {5, 20, IrqPolarity::ActiveLow, IrqTrigger::Edge},
        {9, 9, IrqPolarity::ActiveLow, IrqTrigger::Level},
        {11, 11, IrqPolarity::ActiveHigh, IrqTrigger::Level},
    };
    for (const Expected& c : cases) {
        k::IsaIrqFlags flags{};
        EXPECT_EQ(m.info->gsi_for_isa_irq(c.irq, &flags), c.gsi) << "IRQ " << int(c.irq);
        EXPECT_EQ(flags.polarity, c.polarity) << "IRQ " << int(c.irq);
        EXPECT_EQ(flags.trigger, c.trigger) << "IRQ " << int(c.irq);
    }
}

TEST(AcpiIsaIrq, EveryFlagEncodingDecodes) {
    const IrqPolarity polarities[4] = {IrqPolarity::Conforms, IrqPolarity::ActiveHigh, IrqPolarity::Conforms,
                                       IrqPolarity::ActiveLow};
    const IrqTrigger triggers[4] = {IrqTrigger::Conforms, IrqTrigger::Edge, IrqTrigger::Conforms,
                                    IrqTrigger::Level};
    Madt madt;
    madt.local_apic(0, 0, 1);
    for (uint16_t flags = 0; flags < 16; flags++) madt.source_override(0, uint8_t(flags), flags, flags);
    Machine m;
    m.with_madt(madt);
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(m.info->interrupt_override_count, 16u);
    uint32_t reserved = 0;
    for (uint16_t flags = 0; flags < 16; flags++) {
        const k::AcpiInterruptOverride& o = m.info->interrupt_overrides[flags];
        EXPECT_EQ(o.polarity, polarities[flags & 3]) << flags;
        EXPECT_EQ(o.trigger, triggers[(flags >> 2) & 3]) << flags;
        if ((flags & 3) == 2 || ((flags >> 2) & 3) == 2) reserved++;
    }
    // One warning per entry using a reserved encoding (7 of the 16).
    EXPECT_EQ(m.info->warning_count, reserved) << warnings_text(*m.info);
    EXPECT_EQ(reserved, 7u);
    EXPECT_WARNING(*m.info, "reserved encoding", 2);
}

// ---- HPET.

TEST(AcpiHpet, RegistersOutsideMemoryAreIgnored) {
    Machine m;
    m.memory.put(kHpet, make_hpet(1, 1, 0x400, 0, 0x80, 0));  // system I/O
    m.memory.put(kMadt, Madt().local_apic(0, 0, 1).build());
    m.with_xsdt({kHpet, kMadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(m.info->has_hpet);
    EXPECT_WARNING(*m.info, "not in system memory", 1);
}

TEST(AcpiHpet, ZeroAddressAndShortTableAreIgnored) {
    {
        Machine m;
        m.memory.put(kHpet, make_hpet(1, 0, 0, 0, 0x80, 0));
        m.with_xsdt({kHpet});
        auto result = m.parse();
        ASSERT_TRUE(result.ok());
        EXPECT_FALSE(m.info->has_hpet);
        EXPECT_WARNING(*m.info, "HPET base address is 0", 0);
    }
    {
        Machine m;
        m.memory.put(kHpet, make_table("HPET", 1, std::vector<uint8_t>(19, 0)));
        m.with_xsdt({kHpet});
        auto result = m.parse();
        ASSERT_TRUE(result.ok());
        EXPECT_FALSE(m.info->has_hpet);
        EXPECT_WARNING(*m.info, "HPET table too short", 55);
    }
}

// ---- FADT.

TEST(AcpiFadt, Revision1UsesThePmTimerPort) {
    Machine m;
    FadtFields f;
    f.revision = 1;
    f.length = kFadtV1Length;
    f.pm_tmr_blk = 0x408;
    f.iapc_boot_arch = 0xFFFF;  // reserved in ACPI 1.0: must be ignored
    m.memory.put(kFadt, make_fadt(f));
    m.with_xsdt({kFadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(m.info->has_fadt);
    EXPECT_EQ(m.info->fadt.revision, 1);
    EXPECT_EQ(m.info->fadt.iapc_boot_arch, 0);
    EXPECT_TRUE(m.info->fadt.has_8042);
    ASSERT_TRUE(m.info->fadt.has_pm_timer);
    EXPECT_EQ(m.info->fadt.pm_timer_space, k::AcpiAddressSpace::SystemIo);
    EXPECT_EQ(m.info->fadt.pm_timer_address, 0x408u);
    EXPECT_FALSE(m.info->fadt.pm_timer_is_32_bit);
}

TEST(AcpiFadt, LegacyPortWhenXPmTimerIsZero) {
    Machine m;
    FadtFields f;
    f.iapc_boot_arch = 0x1;  // legacy devices, no 8042
    m.memory.put(kFadt, make_fadt(f));
    m.with_xsdt({kFadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(m.info->fadt.has_8042);
    ASSERT_TRUE(m.info->fadt.has_pm_timer);
    EXPECT_EQ(m.info->fadt.pm_timer_address, 0x608u);
}

TEST(AcpiFadt, MemoryMappedPmTimer) {
    Machine m;
    FadtFields f;
    f.x_pm_tmr_space = 0;
    f.x_pm_tmr_address = 0xFED80000;
    m.memory.put(kFadt, make_fadt(f));
    m.with_xsdt({kFadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    ASSERT_TRUE(m.info->fadt.has_pm_timer);
    EXPECT_EQ(m.info->fadt.pm_timer_space, k::AcpiAddressSpace::SystemMemory);
    EXPECT_EQ(m.info->fadt.pm_timer_address, 0xFED80000u);
}

TEST(AcpiFadt, PmTimerInAnotherAddressSpaceIsIgnored) {
    Machine m;
    FadtFields f;
    f.x_pm_tmr_space = 2;  // PCI configuration space
    f.x_pm_tmr_address = 0x1234;
    m.memory.put(kFadt, make_fadt(f));
    m.with_xsdt({kFadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(m.info->has_fadt);
    EXPECT_FALSE(m.info->fadt.has_pm_timer);
    EXPECT_WARNING(*m.info, "unsupported address space", 2);
}

TEST(AcpiFadt, HardwareReducedHasNoPmTimer) {
    Machine m;
    FadtFields f;
    f.flags = 1u << 20;
    f.x_pm_tmr_address = 0x608;
    m.memory.put(kFadt, make_fadt(f));
    m.with_xsdt({kFadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(m.info->fadt.hardware_reduced);
    EXPECT_FALSE(m.info->fadt.has_pm_timer);
}

TEST(AcpiFadt, ShorterThanAcpi1IsIgnored) {
    Machine m;
    m.memory.put(kFadt, make_table("FACP", 1, std::vector<uint8_t>(100 - kHeaderSize, 0)));
    m.with_xsdt({kFadt});
    auto result = m.parse();
    ASSERT_TRUE(result.ok());
    EXPECT_FALSE(m.info->has_fadt);
    EXPECT_WARNING(*m.info, "FADT shorter", 100);
}

}  // namespace
