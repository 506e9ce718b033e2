#include "arch/x86_64/ioapic.h"

#include "kernel/mm/layout.h"

namespace arch {

namespace {

constexpr unsigned kMaxIoApics = 16;
constexpr uint32_t kRegisterVersion = 0x01;
constexpr uint32_t kRegisterRedirectionBase = 0x10;
constexpr uint64_t kEntryMasked = 1u << 16;
constexpr uint64_t kEntryLevel = 1u << 15;
constexpr uint64_t kEntryActiveLow = 1u << 13;

struct IoApic {
    volatile uint32_t* mmio;  // IOREGSEL at +0x00, IOWIN at +0x10
    uint32_t id;
    uint32_t gsi_base;
    uint32_t lines;

    uint32_t read(uint32_t reg) const {
        mmio[0] = reg;
        return mmio[4];
    }
    void write(uint32_t reg, uint32_t value) const {
        mmio[0] = reg;
        mmio[4] = value;
    }
    uint64_t read_entry(uint32_t line) const {
        return read(kRegisterRedirectionBase + 2 * line) |
               (uint64_t{read(kRegisterRedirectionBase + 2 * line + 1)} << 32);
    }
    // High half (destination) first, then the low half, which holds the mask
    // bit: the line never fires half-programmed.
    void write_entry(uint32_t line, uint64_t entry) const {
        write(kRegisterRedirectionBase + 2 * line + 1, static_cast<uint32_t>(entry >> 32));
        write(kRegisterRedirectionBase + 2 * line, static_cast<uint32_t>(entry));
    }
};

IoApic ioapics[kMaxIoApics];
unsigned count = 0;

const IoApic* find(uint32_t gsi, uint32_t& line) {
    for (unsigned i = 0; i < count; ++i) {
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].lines) {
            line = gsi - ioapics[i].gsi_base;
            return &ioapics[i];
        }
    }
    return nullptr;
}

}  // namespace

bool ioapic_add(uint32_t id, uint64_t mmio_phys, uint32_t gsi_base) {
    if (count == kMaxIoApics) return false;
    IoApic& apic = ioapics[count];
    apic.mmio = mm::phys_to_virt<volatile uint32_t>(mmio_phys);
    apic.id = id;
    apic.gsi_base = gsi_base;
    // Version register bits 16-23: the highest redirection entry's index.
    apic.lines = ((apic.read(kRegisterVersion) >> 16) & 0xff) + 1;
    for (uint32_t line = 0; line < apic.lines; ++line) apic.write_entry(line, kEntryMasked);
    ++count;
    return true;
}

unsigned ioapic_count() { return count; }

bool ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, Polarity polarity, Trigger trigger, bool masked) {
    uint32_t line;
    const IoApic* apic = find(gsi, line);
    if (apic == nullptr) return false;
    // Fixed delivery, physical destination mode: bits 8-11 zero.
    uint64_t entry = vector | (uint64_t{apic_id} << 56);
    if (polarity == Polarity::ActiveLow) entry |= kEntryActiveLow;
    if (trigger == Trigger::Level) entry |= kEntryLevel;
    if (masked) entry |= kEntryMasked;
    apic->write_entry(line, entry);
    return true;
}

bool ioapic_set_masked(uint32_t gsi, bool masked) {
    uint32_t line;
    const IoApic* apic = find(gsi, line);
    if (apic == nullptr) return false;
    uint64_t entry = apic->read_entry(line);
    entry = masked ? (entry | kEntryMasked) : (entry & ~kEntryMasked);
    apic->write_entry(line, entry);
    return true;
}

}  // namespace arch
