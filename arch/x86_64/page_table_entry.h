#pragma once
// The x86-64 page-table entry, as the CPU reads it with 4-level paging
// (Intel SDM Vol. 3A §4.5 "4-Level Paging and 5-Level Paging", Tables 4-14 to
// 4-20; AMD APM Vol. 2 §5.3 describes the same format).
//
// A linear address is split into four 9-bit table indices and a 12-bit page
// offset (SDM Vol. 3A §4.5.4, Figure 4-8):
//
//   63      48 47    39 38    30 29    21 20    12 11         0
//   [ sign   ][ PML4  ][ PDPT  ][  PD   ][  PT   ][  offset   ]
//
// Every paging structure is one 4 KiB page holding 512 of these 8-byte
// entries. An entry either points to the next table, or (PS = 1 in a PDPT or
// PD entry, always in a PT entry) maps a page: 1 GiB, 2 MiB or 4 KiB.
//
// Pure data: no inline assembly, so the host tests can use it too.
#include <stdint.h>

namespace arch {

// ---------------------------------------------------------------------------
// Address geometry (SDM Vol. 3A §4.5.4).

inline constexpr unsigned kPageShift = 12;   // bits 11..0: offset in a 4 KiB page
inline constexpr unsigned kIndexBits = 9;    // 512 entries per table
inline constexpr uint64_t kEntriesPerTable = uint64_t{1} << kIndexBits;
inline constexpr uint64_t kIndexMask = kEntriesPerTable - 1;
inline constexpr uint64_t kTableBytes = uint64_t{1} << kPageShift;

// Where each level's index sits in a linear address.
inline constexpr unsigned kPtShift = 12;     // PT index:   bits 20..12
inline constexpr unsigned kPdShift = 21;     // PD index:   bits 29..21
inline constexpr unsigned kPdptShift = 30;   // PDPT index: bits 38..30
inline constexpr unsigned kPml4Shift = 39;   // PML4 index: bits 47..39

// Levels numbered from the bottom: 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4.
// An entry at level L covers 2^(12 + 9*(L-1)) bytes of linear address space.
inline constexpr unsigned kPagingLevels = 4;
constexpr unsigned level_shift(unsigned level) { return kPageShift + kIndexBits * (level - 1); }
constexpr uint64_t level_span(unsigned level) { return uint64_t{1} << level_shift(level); }
constexpr unsigned table_index(uint64_t virt, unsigned level) {
    return static_cast<unsigned>((virt >> level_shift(level)) & kIndexMask);
}
constexpr unsigned pml4_index(uint64_t virt) { return table_index(virt, 4); }
constexpr unsigned pdpt_index(uint64_t virt) { return table_index(virt, 3); }
constexpr unsigned pd_index(uint64_t virt) { return table_index(virt, 2); }
constexpr unsigned pt_index(uint64_t virt) { return table_index(virt, 1); }

static_assert(level_shift(1) == kPtShift && level_shift(2) == kPdShift);
static_assert(level_shift(3) == kPdptShift && level_shift(4) == kPml4Shift);
static_assert(level_span(2) == 2 * 1024 * 1024 && level_span(3) == 1024 * 1024 * 1024);

// Canonical addresses (SDM Vol. 1 §3.3.7.1): with 48-bit linear addresses,
// bits 63..48 must copy bit 47, splitting the space into a lower half
// (user space here) and a higher half (the kernel), with a hole between them
// that faults with #GP on any access.
inline constexpr unsigned kLinearAddressBits = 48;
inline constexpr uint64_t kLowerHalfEnd = uint64_t{1} << (kLinearAddressBits - 1);  // first non-canonical
inline constexpr uint64_t kHigherHalfStart = ~(kLowerHalfEnd - 1);                 // 0xFFFF'8000'0000'0000

constexpr bool is_canonical(uint64_t virt) { return virt < kLowerHalfEnd || virt >= kHigherHalfStart; }

// Sign-extends bit 47: turns a 48-bit address built from table indices into
// the canonical address the CPU uses.
constexpr uint64_t canonicalize(uint64_t virt) {
    return (virt & kLowerHalfEnd) ? (virt | kHigherHalfStart) : (virt & (kLowerHalfEnd - 1));
}

static_assert(is_canonical(0x0000'7FFF'FFFF'FFFF) && !is_canonical(0x0000'8000'0000'0000));
static_assert(!is_canonical(0xFFFF'7FFF'FFFF'FFFF) && is_canonical(0xFFFF'8000'0000'0000));
static_assert(canonicalize(0x0000'8000'0000'0000) == 0xFFFF'8000'0000'0000);
static_assert(canonicalize(0xFFFF'0000'1234'5000) == 0x0000'0000'1234'5000);

// Physical addresses in an entry are at most 52 bits (SDM Vol. 3A §4.1.4,
// MAXPHYADDR <= 52). A given CPU may implement fewer; bits between its
// MAXPHYADDR and 51 are reserved and must be zero.
inline constexpr unsigned kMaxPhysicalAddressBits = 52;
inline constexpr uint64_t kPhysicalAddressLimit = uint64_t{1} << kMaxPhysicalAddressBits;

// ---------------------------------------------------------------------------
// One 8-byte entry of a PML4, PDPT, PD or PT (SDM Vol. 3A §4.5.5, Tables 4-15
// to 4-20). The same type serves every level: the meaning of bit 7 (PS or
// PAT) and the width of the address field depend on where the entry sits,
// which the entry itself cannot know, so those accessors say which case they
// are for.
//
// Bits 11..9 and 58..52 are ignored by the CPU (free for the OS); bits 62..59
// are a protection key in leaf entries when CR4.PKE is set. This type keeps
// them untouched.
class PageTableEntry {
public:
    // Bit positions, SDM Vol. 3A Table 4-15 .. 4-20.
    static constexpr unsigned kPresentBit = 0;       // P: entry is valid
    static constexpr unsigned kWritableBit = 1;      // R/W: writes allowed
    static constexpr unsigned kUserBit = 2;          // U/S: CPL 3 may access
    static constexpr unsigned kWriteThroughBit = 3;  // PWT: PAT index bit 0
    static constexpr unsigned kCacheDisableBit = 4;  // PCD: PAT index bit 1
    static constexpr unsigned kAccessedBit = 5;      // A: set by the CPU on use
    static constexpr unsigned kDirtyBit = 6;         // D: set by the CPU on write (leaves only)
    static constexpr unsigned kPageSizeBit = 7;      // PS: PDPT/PD entry maps a 1 GiB/2 MiB page
    static constexpr unsigned kPat4KBit = 7;         // PAT: PAT index bit 2, in a PT entry
    static constexpr unsigned kGlobalBit = 8;        // G: survives CR3 reloads (leaves, CR4.PGE)
    static constexpr unsigned kPatHugeBit = 12;      // PAT: PAT index bit 2, in a 1 GiB/2 MiB entry
    static constexpr unsigned kNoExecuteBit = 63;    // XD/NX: no instruction fetch (needs EFER.NXE)

    // Physical address field: bits 51..12 for a table pointer or a 4 KiB page.
    static constexpr uint64_t kAddressMask = 0x000F'FFFF'FFFF'F000;
    // A 2 MiB page's address is bits 51..21; bits 20..13 are reserved (must be
    // zero) and bit 12 is PAT (SDM Vol. 3A Table 4-18).
    static constexpr uint64_t kHuge2MAddressMask = 0x000F'FFFF'FFE0'0000;
    static constexpr uint64_t kHuge2MReservedMask = 0x0000'0000'001F'E000;
    // A 1 GiB page's address is bits 51..30; bits 29..13 are reserved and bit
    // 12 is PAT (SDM Vol. 3A Table 4-16).
    static constexpr uint64_t kHuge1GAddressMask = 0x000F'FFFF'C000'0000;
    static constexpr uint64_t kHuge1GReservedMask = 0x0000'0000'3FFF'E000;

    constexpr PageTableEntry() = default;
    constexpr explicit PageTableEntry(uint64_t raw) : raw_(raw) {}

    constexpr uint64_t raw() const { return raw_; }
    constexpr bool operator==(const PageTableEntry&) const = default;

    constexpr bool present() const { return bit(kPresentBit); }
    constexpr void set_present(bool on) { set_bit(kPresentBit, on); }
    constexpr bool writable() const { return bit(kWritableBit); }
    constexpr void set_writable(bool on) { set_bit(kWritableBit, on); }
    constexpr bool user() const { return bit(kUserBit); }
    constexpr void set_user(bool on) { set_bit(kUserBit, on); }
    constexpr bool write_through() const { return bit(kWriteThroughBit); }
    constexpr void set_write_through(bool on) { set_bit(kWriteThroughBit, on); }
    constexpr bool cache_disable() const { return bit(kCacheDisableBit); }
    constexpr void set_cache_disable(bool on) { set_bit(kCacheDisableBit, on); }
    constexpr bool accessed() const { return bit(kAccessedBit); }
    constexpr void set_accessed(bool on) { set_bit(kAccessedBit, on); }
    constexpr bool dirty() const { return bit(kDirtyBit); }
    constexpr void set_dirty(bool on) { set_bit(kDirtyBit, on); }
    // PS: only meaningful in a PDPT or PD entry (reserved in a PML4 entry; in
    // a PT entry the same bit is PAT).
    constexpr bool page_size() const { return bit(kPageSizeBit); }
    constexpr void set_page_size(bool on) { set_bit(kPageSizeBit, on); }
    constexpr bool global() const { return bit(kGlobalBit); }
    constexpr void set_global(bool on) { set_bit(kGlobalBit, on); }
    constexpr bool no_execute() const { return bit(kNoExecuteBit); }
    constexpr void set_no_execute(bool on) { set_bit(kNoExecuteBit, on); }

    // The PAT bit moves: bit 7 in a PT entry, bit 12 in a 2 MiB/1 GiB entry
    // (where bit 7 is PS). SDM Vol. 3A §11.12.3 "Selecting a Memory Type from
    // the PAT".
    constexpr bool pat_4k() const { return bit(kPat4KBit); }
    constexpr void set_pat_4k(bool on) { set_bit(kPat4KBit, on); }
    constexpr bool pat_huge() const { return bit(kPatHugeBit); }
    constexpr void set_pat_huge(bool on) { set_bit(kPatHugeBit, on); }

    // The address of the next table or of a 4 KiB page.
    constexpr uint64_t address() const { return raw_ & kAddressMask; }
    constexpr void set_address(uint64_t physical) {
        raw_ = (raw_ & ~kAddressMask) | (physical & kAddressMask);
    }

    // The address of a huge page; the low address bits are PAT and reserved
    // bits, not part of the address.
    constexpr uint64_t huge_2m_address() const { return raw_ & kHuge2MAddressMask; }
    constexpr uint64_t huge_1g_address() const { return raw_ & kHuge1GAddressMask; }
    constexpr bool huge_2m_reserved_bits_clear() const { return (raw_ & kHuge2MReservedMask) == 0; }
    constexpr bool huge_1g_reserved_bits_clear() const { return (raw_ & kHuge1GReservedMask) == 0; }

    // The frame address of a leaf at `level` (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB).
    constexpr uint64_t leaf_address(unsigned level) const {
        return level == 1 ? address() : level == 2 ? huge_2m_address() : huge_1g_address();
    }

private:
    constexpr bool bit(unsigned position) const { return (raw_ >> position) & 1; }
    constexpr void set_bit(unsigned position, bool on) {
        raw_ = on ? (raw_ | (uint64_t{1} << position)) : (raw_ & ~(uint64_t{1} << position));
    }

    uint64_t raw_ = 0;
};

// The layout is the hardware's: one 64-bit word, nothing else.
static_assert(sizeof(PageTableEntry) == 8);
static_assert(alignof(PageTableEntry) == 8);
static_assert(__is_trivially_copyable(PageTableEntry));

namespace page_table_entry_layout_checks {
// Each accessor must land on the bit the SDM names.
constexpr uint64_t raw_with(void (PageTableEntry::*setter)(bool)) {
    PageTableEntry entry;
    (entry.*setter)(true);
    return entry.raw();
}
static_assert(raw_with(&PageTableEntry::set_present) == uint64_t{1} << 0);
static_assert(raw_with(&PageTableEntry::set_writable) == uint64_t{1} << 1);
static_assert(raw_with(&PageTableEntry::set_user) == uint64_t{1} << 2);
static_assert(raw_with(&PageTableEntry::set_write_through) == uint64_t{1} << 3);
static_assert(raw_with(&PageTableEntry::set_cache_disable) == uint64_t{1} << 4);
static_assert(raw_with(&PageTableEntry::set_accessed) == uint64_t{1} << 5);
static_assert(raw_with(&PageTableEntry::set_dirty) == uint64_t{1} << 6);
static_assert(raw_with(&PageTableEntry::set_page_size) == uint64_t{1} << 7);
static_assert(raw_with(&PageTableEntry::set_pat_4k) == uint64_t{1} << 7);
static_assert(raw_with(&PageTableEntry::set_global) == uint64_t{1} << 8);
static_assert(raw_with(&PageTableEntry::set_pat_huge) == uint64_t{1} << 12);
static_assert(raw_with(&PageTableEntry::set_no_execute) == uint64_t{1} << 63);

// The address field is bits 51..12; huge pages give up their low bits to PAT
// (bit 12) and reserved bits, and PAT is not part of a huge page's address.
static_assert(PageTableEntry::kAddressMask == (((uint64_t{1} << 52) - 1) & ~uint64_t{0xFFF}));
static_assert(PageTableEntry::kHuge2MAddressMask == (PageTableEntry::kAddressMask & ~(level_span(2) - 1)));
static_assert(PageTableEntry::kHuge1GAddressMask == (PageTableEntry::kAddressMask & ~(level_span(3) - 1)));
static_assert((PageTableEntry::kHuge2MAddressMask | PageTableEntry::kHuge2MReservedMask |
               (uint64_t{1} << PageTableEntry::kPatHugeBit)) == PageTableEntry::kAddressMask);
static_assert((PageTableEntry::kHuge1GAddressMask | PageTableEntry::kHuge1GReservedMask |
               (uint64_t{1} << PageTableEntry::kPatHugeBit)) == PageTableEntry::kAddressMask);
static_assert(PageTableEntry(0x000F'FFFF'FFE0'1000).huge_2m_address() == 0x000F'FFFF'FFE0'0000);
static_assert(PageTableEntry(0x000F'FFFF'FFE0'1000).pat_huge());
}  // namespace page_table_entry_layout_checks

}  // namespace arch
