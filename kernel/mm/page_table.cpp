// PageTableMapper: walking and editing x86-64 4-level page tables.
//
// Levels are numbered from the bottom as in arch/x86_64/page_table_entry.h:
// 1 = PT (4 KiB leaves), 2 = PD (2 MiB leaves or PTs), 3 = PDPT (1 GiB leaves
// or PDs), 4 = PML4 (PDPTs only). Every walk is either a loop over at most
// four levels or a recursion that goes down one level per call, so nothing
// here runs unbounded.
//
// Permissions live in the leaves. x86 combines the entries along a walk:
// a write needs R/W = 1 at every level, a user access U/S = 1 at every level,
// and NX at any level forbids fetches (SDM Vol. 3A §4.6.1). A table entry can
// therefore only take rights away. Table entries made here are
// Present|Writable, never NX, and User once any user leaf is placed below
// them, so one table can hold leaves with different rights and the leaf alone
// decides what its page allows. (User stays set when the user leaves go away:
// harmless, the leaves still decide.)
#include "kernel/mm/page_table.h"

#include "arch/x86_64/page_table_entry.h"
#include "libk/string.h"
#include "libk/utility.h"
#include "libk/verify.h"

namespace mm {

namespace {

using arch::PageTableEntry;

constexpr unsigned kTopLevel = arch::kPagingLevels;
constexpr uint64_t kPresentMask = uint64_t{1} << PageTableEntry::kPresentBit;
constexpr uint64_t kAccessedDirtyBits =
    (uint64_t{1} << PageTableEntry::kAccessedBit) | (uint64_t{1} << PageTableEntry::kDirtyBit);

static_assert(kPageBytes4K == arch::level_span(1) && kPageBytes2M == arch::level_span(2) &&
              kPageBytes1G == arch::level_span(3));

constexpr unsigned leaf_level(PageSize size) {
    switch (size) {
        case PageSize::k4K: return 1;
        case PageSize::k2M: return 2;
        case PageSize::k1G: return 3;
    }
    return 1;
}

constexpr PageSize page_size_of_level(unsigned level) {
    return level == 1 ? PageSize::k4K : level == 2 ? PageSize::k2M : PageSize::k1G;
}

// Does this entry map a page (rather than point to a table)? PS is only
// defined in PDPT and PD entries; in a PT entry bit 7 is PAT and every
// present entry is a page (SDM Vol. 3A Tables 4-15 .. 4-20).
constexpr bool is_leaf(PageTableEntry entry, unsigned level) {
    return level == 1 || ((level == 2 || level == 3) && entry.page_size());
}

// --- Entries are read and written whole -----------------------------------
// The CPU reads entries during page walks and sets Accessed/Dirty in them
// with locked read-modify-writes (SDM Vol. 3A §4.8), so every access here is
// one 64-bit atomic. Stores are releases so that a new table's contents are
// visible before the entry that links it.

PageTableEntry load(const uint64_t* slot) { return PageTableEntry(__atomic_load_n(slot, __ATOMIC_RELAXED)); }
void store(uint64_t* slot, PageTableEntry entry) { __atomic_store_n(slot, entry.raw(), __ATOMIC_RELEASE); }
PageTableEntry exchange(uint64_t* slot, PageTableEntry entry) {
    return PageTableEntry(__atomic_exchange_n(slot, entry.raw(), __ATOMIC_ACQ_REL));
}
// Sets U/S in a table entry without losing an Accessed bit the CPU might set
// at the same moment.
void set_user_in_table_entry(uint64_t* slot) {
    __atomic_fetch_or(slot, uint64_t{1} << PageTableEntry::kUserBit, __ATOMIC_ACQ_REL);
}

bool has_present_entries(const uint64_t* entries) {
    for (uint64_t i = 0; i < arch::kEntriesPerTable; ++i)
        if (load(&entries[i]).present()) return true;
    return false;
}

PageTableEntry table_link(PhysAddr table_address, bool user) {
    PageTableEntry entry;
    entry.set_present(true);
    entry.set_writable(true);
    entry.set_user(user);
    entry.set_address(table_address);
    return entry;
}

// --- Leaf attributes --------------------------------------------------------
// A leaf's "attributes" are everything but its frame address, written as a
// 4 KiB PTE would hold them: PAT in bit 7, no PS. Converting to and from this
// one form is what lets a split move the PAT bit between bit 12 (huge pages)
// and bit 7 (4 KiB pages) without losing it (SDM Vol. 3A §11.12.3).

uint64_t leaf_attributes(PageTableEntry leaf, unsigned level) {
    PageTableEntry attributes(leaf.raw() & ~PageTableEntry::kAddressMask);
    if (level > 1) attributes.set_pat_4k(leaf.pat_huge());  // bit 7 was PS; bit 12 went with the address mask
    return attributes.raw();
}

PageTableEntry make_leaf(PhysAddr frame, unsigned level, uint64_t attributes) {
    PageTableEntry leaf(attributes);
    leaf.set_address(frame);
    if (level > 1) {
        const bool pat = leaf.pat_4k();
        leaf.set_page_size(true);
        leaf.set_pat_huge(pat);  // after set_address, which clears bit 12
    }
    return leaf;
}

// The bits PageProt controls. `uncached` is PCD|PWT: with the power-on PAT
// MSR that selects entry 3 (or 7 with PAT set), UC (SDM Vol. 3A Table 11-11).
constexpr uint64_t kProtectionBits =
    (uint64_t{1} << PageTableEntry::kWritableBit) | (uint64_t{1} << PageTableEntry::kUserBit) |
    (uint64_t{1} << PageTableEntry::kWriteThroughBit) | (uint64_t{1} << PageTableEntry::kCacheDisableBit) |
    (uint64_t{1} << PageTableEntry::kGlobalBit) | (uint64_t{1} << PageTableEntry::kNoExecuteBit);

uint64_t protection_bits(PageProt prot) {
    PageTableEntry bits;
    bits.set_writable(prot.writable);
    bits.set_user(prot.user);
    bits.set_global(prot.global);
    bits.set_cache_disable(prot.uncached);
    bits.set_write_through(prot.uncached);
    // NX is only valid once EFER.NXE is set (otherwise bit 63 is reserved);
    // the boot code sets it before the kernel's own tables go live.
    bits.set_no_execute(!prot.executable);
    return bits.raw();
}

// Replaces the protection of a leaf, keeping Accessed, Dirty, PAT, the
// OS-available bits and the protection key.
uint64_t with_protection(uint64_t attributes, PageProt prot) {
    return (attributes & ~kProtectionBits) | protection_bits(prot);
}

PageProt protection_of(uint64_t attributes) {
    const PageTableEntry entry(attributes);
    return PageProt{.writable = entry.writable(),
                    .user = entry.user(),
                    .executable = !entry.no_execute(),
                    .global = entry.global(),
                    .uncached = entry.cache_disable()};
}

// Changes a live leaf's protection; true if the entry changed. A plain
// load-modify-store could erase an Accessed or Dirty bit the CPU sets in
// between, so this is a compare-and-swap. The CPU only ever sets those two
// bits, so it can beat us at most twice.
bool reprotect_leaf(uint64_t* slot, unsigned level, PageProt prot) {
    uint64_t seen = __atomic_load_n(slot, __ATOMIC_RELAXED);
    for (unsigned attempt = 0; attempt < 3; ++attempt) {
        const PageTableEntry current(seen);
        const PageTableEntry wanted = make_leaf(current.leaf_address(level), level,
                                                with_protection(leaf_attributes(current, level), prot));
        if (wanted == current) return false;
        if (__atomic_compare_exchange_n(slot, &seen, wanted.raw(), false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return true;
    }
    VERIFY_NOT_REACHED();
}

// --- Argument checks -------------------------------------------------------

// [virt, virt + length) is 4 KiB aligned and lies inside one canonical half
// (a range may not run across the non-canonical hole or wrap around).
bool is_valid_virtual_range(uint64_t virt, uint64_t length) {
    if (!k::is_aligned(virt, kPageBytes4K) || !k::is_aligned(length, kPageBytes4K) || !arch::is_canonical(virt))
        return false;
    if (length == 0) return true;
    const uint64_t last = virt + (length - 1);
    return last >= virt && arch::is_canonical(last) && ((virt ^ last) & arch::kLowerHalfEnd) == 0;
}

bool is_valid_physical_range(PhysAddr phys, uint64_t length) {
    return phys < arch::kPhysicalAddressLimit && length <= arch::kPhysicalAddressLimit - phys;
}

PageSize largest_fitting_page(uint64_t virt, PhysAddr phys, uint64_t remaining, PageSize largest) {
    constexpr PageSize kHugeSizes[] = {PageSize::k1G, PageSize::k2M};
    for (PageSize size : kHugeSizes) {
        const uint64_t bytes = page_size_bytes(size);
        if (size <= largest && k::is_aligned(virt, bytes) && k::is_aligned(phys, bytes) && remaining >= bytes)
            return size;
    }
    return PageSize::k4K;
}

}  // namespace

PageTableMapper::PageTableMapper(PhysAddr root, PhysMemoryAccess& memory, TableFrameAllocator& allocator,
                                 TlbInvalidator& tlb)
    : root_(root), memory_(memory), allocator_(allocator), tlb_(tlb) {
    VERIFY(k::is_aligned(root, arch::kTableBytes));
}

uint64_t* PageTableMapper::table(PhysAddr table_address) const {
    return static_cast<uint64_t*>(memory_.table_pointer(table_address));
}

k::Result<PhysAddr> PageTableMapper::allocate_zeroed_table() {
    const PhysAddr table_address = TRY(allocator_.allocate_table());
    VERIFY(k::is_aligned(table_address, arch::kTableBytes));
    // A new table starts with every entry not present. Zeroing the whole page
    // (not only the P bits) keeps a frame's old contents from ever looking
    // like a mapping to a reader, or to a later change that sets P again.
    memset(table(table_address), 0, arch::kTableBytes);
    return table_address;
}

bool PageTableMapper::has_leaves(PhysAddr table_address, unsigned level) const {
    const uint64_t* entries = table(table_address);
    for (uint64_t i = 0; i < arch::kEntriesPerTable; ++i) {
        const PageTableEntry entry = load(&entries[i]);
        if (!entry.present()) continue;
        if (is_leaf(entry, level) || has_leaves(entry.address(), level - 1)) return true;
    }
    return false;
}

void PageTableMapper::free_tables_without_leaves(PhysAddr table_address, unsigned level) {
    const uint64_t* entries = table(table_address);
    for (uint64_t i = 0; i < arch::kEntriesPerTable; ++i) {
        const PageTableEntry entry = load(&entries[i]);
        if (!entry.present()) continue;
        VERIFY(!is_leaf(entry, level));
        free_tables_without_leaves(entry.address(), level - 1);
    }
    allocator_.free_table(table_address);
}

k::Result<void> PageTableMapper::map(uint64_t virt, PhysAddr phys, PageSize size, PageProt prot) {
    const uint64_t bytes = page_size_bytes(size);
    const unsigned target_level = leaf_level(size);
    if (!k::is_aligned(virt, bytes) || !k::is_aligned(phys, bytes) || !arch::is_canonical(virt) ||
        !is_valid_physical_range(phys, bytes))
        return k::error(k::Errno::einval);

    // Three phases, so that a failure leaves nothing behind: look (change
    // nothing), allocate every missing table, then link.

    // 1. Look: how far down does the path already exist, and is anything in
    //    the way?
    PhysAddr table_address = root_;
    unsigned level = kTopLevel;
    for (; level > target_level; --level) {
        const PageTableEntry entry = load(&table(table_address)[arch::table_index(virt, level)]);
        if (!entry.present()) break;
        if (is_leaf(entry, level)) return k::error(k::Errno::eexist);  // a huge page covers virt
        table_address = entry.address();
    }
    const unsigned missing_tables = level - target_level;
    bool replaces_empty_table = false;
    if (missing_tables == 0) {
        const PageTableEntry entry = load(&table(table_address)[arch::table_index(virt, target_level)]);
        if (entry.present()) {
            if (is_leaf(entry, target_level) || has_leaves(entry.address(), target_level - 1))
                return k::error(k::Errno::eexist);
            // An empty table where a huge page goes: the huge page takes its
            // place and the table is freed.
            replaces_empty_table = true;
        }
    }

    // 2. Allocate.
    PhysAddr new_tables[kTopLevel - 1];
    for (unsigned i = 0; i < missing_tables; ++i) {
        k::Result<PhysAddr> allocated = allocate_zeroed_table();
        if (!allocated.ok()) {
            for (unsigned j = 0; j < i; ++j) allocator_.free_table(new_tables[j]);
            return k::error(allocated.error());
        }
        new_tables[i] = allocated.value();
    }

    // 3. Link. New tables hang below each other, so once one is linked the
    //    rest of the path is new too.
    bool cached_table_entry_changed = false;
    unsigned used_tables = 0;
    table_address = root_;
    for (level = kTopLevel; level > target_level; --level) {
        uint64_t* slot = &table(table_address)[arch::table_index(virt, level)];
        PageTableEntry entry = load(slot);
        if (!entry.present()) {
            entry = table_link(new_tables[used_tables++], prot.user);
            store(slot, entry);
        } else if (prot.user && !entry.user()) {
            set_user_in_table_entry(slot);
            cached_table_entry_changed = true;
        }
        table_address = entry.address();
    }
    VERIFY(used_tables == missing_tables);

    uint64_t* slot = &table(table_address)[arch::table_index(virt, target_level)];
    const PageTableEntry leaf = make_leaf(phys, target_level, protection_bits(prot) | kPresentMask);
    if (replaces_empty_table) {
        const PageTableEntry old = exchange(slot, leaf);
        tlb_.invalidate(virt, size);  // drops paging-structure caches of the old table too
        free_tables_without_leaves(old.address(), target_level - 1);
    } else {
        store(slot, leaf);
        // Granting U/S in a table entry the CPU may have cached: without an
        // invalidation the first user access could take a spurious fault
        // (SDM Vol. 3A §4.10.4.3). INVLPG also drops the paging-structure
        // caches (§4.10.4.1), which is what holds the old table entry.
        if (cached_table_entry_changed) tlb_.invalidate(virt, size);
    }
    return {};
}

k::Result<void> PageTableMapper::map_range(uint64_t virt, PhysAddr phys, uint64_t length, PageProt prot,
                                           PageSize largest) {
    if (!is_valid_virtual_range(virt, length) || !k::is_aligned(phys, kPageBytes4K) ||
        !is_valid_physical_range(phys, length))
        return k::error(k::Errno::einval);

    // Each step maps at least 4 KiB, so this runs at most length / 4 KiB times.
    uint64_t done = 0;
    while (done < length) {
        const PageSize size = largest_fitting_page(virt + done, phys + done, length - done, largest);
        const k::Result<void> mapped = map(virt + done, phys + done, size, prot);
        if (!mapped.ok()) {
            // [virt, virt + done) is exactly the pages this call made, so no
            // huge page crosses its edges and unmapping it needs no split
            // (hence no allocation, hence cannot fail).
            if (done > 0) VERIFY(unmap(virt, done).ok());
            return k::error(mapped.error());
        }
        done += page_size_bytes(size);
    }
    return {};
}

// Replaces the huge page in `slot` (at level 2 or 3, mapping `page_virt`) by a
// table of 512 pages one level down that map the same memory the same way.
k::Result<void> PageTableMapper::split_huge_page(uint64_t* slot, unsigned level, uint64_t page_virt) {
    const PageTableEntry huge = load(slot);
    VERIFY(level >= 2 && huge.present() && is_leaf(huge, level));

    const PhysAddr child = TRY(allocate_zeroed_table());
    uint64_t* entries = table(child);
    const uint64_t attributes = leaf_attributes(huge, level);
    const PhysAddr frame = huge.leaf_address(level);
    const uint64_t child_span = arch::level_span(level - 1);
    for (uint64_t i = 0; i < arch::kEntriesPerTable; ++i)
        store(&entries[i], make_leaf(frame + i * child_span, level - 1, attributes));

    // The exchange returns the entry as it was when the table replaced it. If
    // the CPU set Accessed or Dirty since we read it, the pieces inherit that.
    const PageTableEntry final_huge = exchange(slot, table_link(child, huge.user()));
    const uint64_t late_bits = final_huge.raw() ^ huge.raw();
    VERIFY((late_bits & ~kAccessedDirtyBits) == 0);
    if (late_bits != 0) {
        for (uint64_t i = 0; i < arch::kEntriesPerTable; ++i)
            __atomic_fetch_or(&entries[i], late_bits, __ATOMIC_RELAXED);
    }

    // The huge translation is stale (the pieces map the same memory, but a
    // later change to one piece must not be hidden by a cached huge entry).
    // Until this runs the TLB may hold the huge entry and new small ones side
    // by side (SDM Vol. 3A §4.10.2.3); they agree, so that is harmless.
    tlb_.invalidate(page_virt, page_size_of_level(level));
    return {};
}

// Splits huge pages until the page that maps `virt` has `virt` as its first
// byte (kFirstByte) or its last byte (kLastByte). Afterwards no page crosses
// that edge, so a range operation can treat every page as wholly in or out.
k::Result<void> PageTableMapper::split_at_edge(uint64_t virt, Edge edge) {
    PhysAddr table_address = root_;
    for (unsigned level = kTopLevel; level >= 1; --level) {
        uint64_t* slot = &table(table_address)[arch::table_index(virt, level)];
        PageTableEntry entry = load(slot);
        if (!entry.present()) return {};
        if (is_leaf(entry, level)) {
            const uint64_t span = arch::level_span(level);
            const uint64_t offset = virt & (span - 1);
            const bool crosses = edge == Edge::kFirstByte ? offset != 0 : offset != span - 1;
            if (!crosses) return {};
            VERIFY(level >= 2);  // 4 KiB pages never cross 4 KiB aligned edges
            TRY(split_huge_page(slot, level, virt - offset));
            entry = load(slot);
        }
        table_address = entry.address();
    }
    return {};
}

// Range walks below visit the entries of one table that overlap [first, last]
// (inclusive, so a range may end at the top of the address space); `first`
// and `last` lie within the table's own range.

bool PageTableMapper::is_fully_mapped(PhysAddr table_address, unsigned level, uint64_t first,
                                      uint64_t last) const {
    const uint64_t* entries = table(table_address);
    const uint64_t span = arch::level_span(level);
    uint64_t entry_virt = k::align_down(first, span);
    for (unsigned i = arch::table_index(first, level); i <= arch::table_index(last, level); ++i, entry_virt += span) {
        const PageTableEntry entry = load(&entries[i]);
        if (!entry.present()) return false;
        if (is_leaf(entry, level)) continue;
        if (!is_fully_mapped(entry.address(), level - 1, k::max(first, entry_virt), k::min(last, entry_virt + (span - 1))))
            return false;
    }
    return true;
}

namespace {
// What for_each_mapping and unmap report for the leaf `entry` at `virt`.
PageTableMapper::Mapping leaf_mapping(PageTableEntry entry, unsigned level, uint64_t virt) {
    return PageTableMapper::Mapping{.virt = virt,
                                    .translation = Translation{.phys = entry.leaf_address(level),
                                                               .size = page_size_of_level(level),
                                                               .prot = protection_of(leaf_attributes(entry, level))}};
}
}  // namespace

void PageTableMapper::unmap_in_table(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last,
                                     MappingVisitor removed, void* context) {
    uint64_t* entries = table(table_address);
    const uint64_t span = arch::level_span(level);
    uint64_t entry_virt = k::align_down(first, span);
    for (unsigned i = arch::table_index(first, level); i <= arch::table_index(last, level); ++i, entry_virt += span) {
        const PageTableEntry entry = load(&entries[i]);
        if (!entry.present()) continue;  // a hole: fine
        const uint64_t piece_first = k::max(first, entry_virt);
        const uint64_t piece_last = k::min(last, entry_virt + (span - 1));
        if (is_leaf(entry, level)) {
            // split_at_edge has run: no page sticks out of the range.
            VERIFY(piece_first == entry_virt && piece_last == entry_virt + (span - 1));
            store(&entries[i], PageTableEntry());
            tlb_.invalidate(entry_virt, page_size_of_level(level));
            if (removed != nullptr) removed(context, leaf_mapping(entry, level, entry_virt));
            continue;
        }
        const PhysAddr child = entry.address();
        unmap_in_table(child, level - 1, piece_first, piece_last, removed, context);
        // The recursion has already freed the child's own empty tables, so a
        // look at the child's entries is enough.
        if (has_present_entries(table(child))) continue;
        if (level == kTopLevel && keep_root_links_) continue;

        // The child table maps nothing any more: unlink and free it. The CPU
        // may hold the link in its paging-structure caches (SDM Vol. 3A
        // §4.10.3), and must not walk the frame once it is reused, so the
        // link is invalidated before the frame goes back.
        store(&entries[i], PageTableEntry());
        if (level == kTopLevel)
            tlb_.invalidate_all();  // a PML4 entry spans 512 GiB: no page size that big
        else
            tlb_.invalidate(entry_virt, page_size_of_level(level));
        free_tables_without_leaves(child, level - 1);
    }
}

void PageTableMapper::protect_in_table(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last,
                                       PageProt prot) {
    uint64_t* entries = table(table_address);
    const uint64_t span = arch::level_span(level);
    uint64_t entry_virt = k::align_down(first, span);
    for (unsigned i = arch::table_index(first, level); i <= arch::table_index(last, level); ++i, entry_virt += span) {
        const PageTableEntry entry = load(&entries[i]);
        VERIFY(entry.present());  // checked by is_fully_mapped
        if (is_leaf(entry, level)) {
            if (reprotect_leaf(&entries[i], level, prot)) tlb_.invalidate(entry_virt, page_size_of_level(level));
            continue;
        }
        // Table entries must allow what the leaf allows (see the top of the
        // file). Widening them before the leaf changes means the leaf's
        // invalidation also drops any cached copy of this entry (INVLPG
        // flushes the paging-structure caches, SDM Vol. 3A §4.10.4.1).
        if (prot.user && !entry.user()) set_user_in_table_entry(&entries[i]);
        protect_in_table(entry.address(), level - 1, k::max(first, entry_virt), k::min(last, entry_virt + (span - 1)),
                         prot);
    }
}

k::Result<void> PageTableMapper::unmap(uint64_t virt, uint64_t length) { return unmap(virt, length, nullptr, nullptr); }

k::Result<void> PageTableMapper::unmap(uint64_t virt, uint64_t length, MappingVisitor removed, void* context) {
    if (!is_valid_virtual_range(virt, length)) return k::error(k::Errno::einval);
    if (length == 0) return {};
    const uint64_t last = virt + (length - 1);
    // Splitting first means a failed split has removed nothing; and after it
    // the removal itself cannot fail.
    TRY(split_at_edge(virt, Edge::kFirstByte));
    TRY(split_at_edge(last, Edge::kLastByte));
    unmap_in_table(root_, kTopLevel, virt, last, removed, context);
    return {};
}

k::Result<void> PageTableMapper::protect(uint64_t virt, uint64_t length, PageProt prot) {
    if (!is_valid_virtual_range(virt, length)) return k::error(k::Errno::einval);
    if (length == 0) return {};
    const uint64_t last = virt + (length - 1);
    if (!is_fully_mapped(root_, kTopLevel, virt, last)) return k::error(k::Errno::enomem);
    TRY(split_at_edge(virt, Edge::kFirstByte));
    TRY(split_at_edge(last, Edge::kLastByte));
    protect_in_table(root_, kTopLevel, virt, last, prot);
    return {};
}

k::Result<void> PageTableMapper::pin_root_links(uint64_t first, uint64_t last) {
    if (!arch::is_canonical(first) || !arch::is_canonical(last) || first > last) return k::error(k::Errno::einval);
    uint64_t* entries = table(root_);
    for (unsigned i = arch::table_index(first, kTopLevel); i <= arch::table_index(last, kTopLevel); ++i) {
        if (load(&entries[i]).present()) continue;
        const PhysAddr child = TRY(allocate_zeroed_table());
        store(&entries[i], table_link(child, false));
    }
    keep_root_links_ = true;
    return {};
}

k::Result<Translation> PageTableMapper::translate(uint64_t virt) const {
    if (!arch::is_canonical(virt)) return k::error(k::Errno::einval);
    PhysAddr table_address = root_;
    for (unsigned level = kTopLevel; level >= 1; --level) {
        const PageTableEntry entry = load(&table(table_address)[arch::table_index(virt, level)]);
        if (!entry.present()) return k::error(k::Errno::enoent);
        if (is_leaf(entry, level)) {
            const uint64_t offset = virt & (arch::level_span(level) - 1);
            return Translation{.phys = entry.leaf_address(level) + offset,
                               .size = page_size_of_level(level),
                               .prot = protection_of(leaf_attributes(entry, level))};
        }
        table_address = entry.address();
    }
    VERIFY_NOT_REACHED();  // every present PT entry is a leaf
}

void PageTableMapper::for_each_mapping(MappingVisitor visitor, void* context) const {
    // The lower half, then the higher half (PML4 entries 256-511).
    visit_range(root_, kTopLevel, 0, arch::kLowerHalfEnd - 1, visitor, context);
    visit_range(root_, kTopLevel, arch::kHigherHalfStart, ~uint64_t{0}, visitor, context);
}

void PageTableMapper::visit_range(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last,
                                  MappingVisitor visitor, void* context) const {
    const uint64_t* entries = table(table_address);
    const uint64_t span = arch::level_span(level);
    uint64_t entry_virt = k::align_down(first, span);
    for (unsigned i = arch::table_index(first, level); i <= arch::table_index(last, level); ++i, entry_virt += span) {
        const PageTableEntry entry = load(&entries[i]);
        if (!entry.present()) continue;
        if (is_leaf(entry, level)) {
            visitor(context, leaf_mapping(entry, level, entry_virt));
        } else {
            visit_range(entry.address(), level - 1, k::max(first, entry_virt), k::min(last, entry_virt + (span - 1)),
                        visitor, context);
        }
    }
}

void PageTableMapper::for_each_mapping_in(uint64_t first, uint64_t last, MappingVisitor visitor, void* context) const {
    if (!arch::is_canonical(first) || !arch::is_canonical(last) || first > last) return;
    visit_range(root_, kTopLevel, first, last, visitor, context);
}

}  // namespace mm
