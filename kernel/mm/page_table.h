#pragma once
// PageTableMapper: builds, changes and reads x86-64 4-level page tables.
//
// The mapper never touches physical memory directly. It reaches table pages
// through a PhysMemoryAccess (in the kernel: the direct map; in the host
// tests: a simulated RAM), gets new table pages from a TableFrameAllocator,
// and tells a TlbInvalidator which translations went stale (in the kernel:
// INVLPG and, on SMP, a shootdown IPI). So the same code runs in the kernel
// and, unchanged, in the host tests.
//
// The mapper is not a lock: callers serialise all changes to one address
// space (the address space's mmap_sem). The only concurrent writer it allows
// for is the CPU itself, which sets Accessed/Dirty bits in live entries.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

#if __has_include("kernel/mm/page.h")
#include "kernel/mm/page.h"
#endif

namespace mm {

// A physical address. (kernel/mm/page.h declares the same alias; repeating an
// alias for the same type is a legal redeclaration, so either header may come
// first.)
using PhysAddr = uint64_t;

enum class PageSize : uint8_t { k4K, k2M, k1G };

inline constexpr uint64_t kPageBytes4K = uint64_t{1} << 12;
inline constexpr uint64_t kPageBytes2M = uint64_t{1} << 21;
inline constexpr uint64_t kPageBytes1G = uint64_t{1} << 30;

constexpr uint64_t page_size_bytes(PageSize size) {
    switch (size) {
        case PageSize::k4K: return kPageBytes4K;
        case PageSize::k2M: return kPageBytes2M;
        case PageSize::k1G: return kPageBytes1G;
    }
    return 0;
}

// What a mapping allows. Readable is implied: x86 has no write-only or
// execute-only pages (without protection keys).
struct PageProt {
    bool writable = false;
    bool user = false;
    bool executable = false;
    bool global = false;    // stays in the TLB across address-space switches
    bool uncached = false;  // strong uncacheable (PCD|PWT, power-on PAT entry 3)

    constexpr bool operator==(const PageProt&) const = default;
};

// Gives the mapper access to a page-table page by its physical address.
class PhysMemoryAccess {
public:
    // A pointer through which the 4 KiB page at `table` (4 KiB aligned) can be
    // read and written.
    virtual void* table_pointer(PhysAddr table) = 0;

protected:
    // Never deleted through this interface, so no virtual destructor (which
    // would drag operator delete into the freestanding kernel).
    ~PhysMemoryAccess() = default;
};

// Supplies and takes back page-table pages. The mapper zeroes new tables
// itself, so the allocator may hand out dirty frames.
class TableFrameAllocator {
public:
    virtual k::Result<PhysAddr> allocate_table() = 0;
    virtual void free_table(PhysAddr table) = 0;

protected:
    ~TableFrameAllocator() = default;
};

// Told after an entry the CPU may have cached (a present entry) is changed or
// removed. Making a not-present entry present needs no call: the CPU does not
// cache not-present entries (SDM Vol. 3A §4.10.2.3, §4.10.3.1).
class TlbInvalidator {
public:
    // The translation of the page of `size` at `virt` is stale, or a table
    // link covering that range was changed or removed. On one CPU a single
    // INVLPG(virt) is enough for every call the mapper makes: INVLPG drops
    // all TLB entries made from the translation of virt's page, even a huge
    // page the CPU cached as several smaller entries, and it empties the
    // paging-structure caches (SDM Vol. 3A §4.10.2.3, §4.10.4.1). The mapper
    // removes leaves one by one, each with its own call, before it frees the
    // table that held them. `size` tells a shootdown how much the change
    // spans.
    virtual void invalidate(uint64_t virt, PageSize size) = 0;
    // Used when a PML4 entry (512 GiB, bigger than any page) is removed.
    virtual void invalidate_all() = 0;

protected:
    ~TlbInvalidator() = default;
};

struct Translation {
    PhysAddr phys;  // the physical address of the translated byte itself
    PageSize size;  // the size of the page that maps it
    PageProt prot;

    constexpr bool operator==(const Translation&) const = default;
};

class PageTableMapper {
public:
    // `root` is the PML4's physical address, owned by the caller: the mapper
    // never frees it.
    PageTableMapper(PhysAddr root, PhysMemoryAccess& memory, TableFrameAllocator& allocator,
                    TlbInvalidator& tlb);
    PageTableMapper(const PageTableMapper&) = delete;
    PageTableMapper& operator=(const PageTableMapper&) = delete;

    PhysAddr root() const { return root_; }

    // Maps one page. EINVAL: virt or phys not aligned to the page size, virt
    // not canonical, or the page reaching beyond 52-bit physical addresses.
    // EEXIST: something is already mapped there (a page of any size, or a
    // table holding mappings where a huge page is asked for). ENOMEM: a table
    // could not be allocated; then nothing has changed.
    k::Result<void> map(uint64_t virt, PhysAddr phys, PageSize size, PageProt prot);

    // Maps [virt, virt + length) to [phys, phys + length) (all 4 KiB aligned)
    // with the largest pages that `largest` and the alignment of both virt and
    // phys allow at each step. On failure, everything mapped by this call is
    // unmapped again. A zero length maps nothing and succeeds.
    k::Result<void> map_range(uint64_t virt, PhysAddr phys, uint64_t length, PageProt prot,
                              PageSize largest);

    // Unmaps [virt, virt + length) (4 KiB aligned; holes are fine). A huge
    // page partly inside the range is split first, and table pages left empty
    // are freed (the root never is). ENOMEM if a split needs a table that
    // cannot be allocated; then no translation has changed (some huge pages
    // may have been split, which maps the same addresses the same way).
    k::Result<void> unmap(uint64_t virt, uint64_t length);
    // The same, telling `removed` about every leaf it takes out (after its
    // TLB invalidation), so the caller can release the frames.
    struct Mapping;
    using MappingVisitor = void (*)(void* context, const Mapping& mapping);
    k::Result<void> unmap(uint64_t virt, uint64_t length, MappingVisitor removed, void* context);

    // Changes the protection of [virt, virt + length), splitting huge pages at
    // the edges. Like mprotect, ENOMEM if any part of the range is not mapped,
    // checked before anything changes; ENOMEM also if a split fails, again
    // with no translation changed.
    k::Result<void> protect(uint64_t virt, uint64_t length, PageProt prot);

    // Gives every root entry for [first, last] (higher half) a table now and
    // keeps root links from then on, even when their tables empty: the
    // kernel's half of the root is copied into every user address space,
    // so it must never change after that copy.
    k::Result<void> pin_root_links(uint64_t first, uint64_t last);

    // ENOENT if virt is not mapped, EINVAL if it is not canonical.
    k::Result<Translation> translate(uint64_t virt) const;

    // Calls visitor for every leaf, in address order (lower half first).
    // Translation::phys is then the start of the page.
    struct Mapping {
        uint64_t virt;
        Translation translation;

        constexpr bool operator==(const Mapping&) const = default;
    };
    void for_each_mapping(MappingVisitor visitor, void* context) const;
    // Only the leaves that overlap [first, last] (inclusive; lower half or
    // higher half, not both).
    void for_each_mapping_in(uint64_t first, uint64_t last, MappingVisitor visitor, void* context) const;
    template <typename Function> void for_each_mapping_in(uint64_t first, uint64_t last, Function function) const {
        for_each_mapping_in(
            first, last,
            [](void* context, const Mapping& mapping) { (*static_cast<Function*>(context))(mapping); }, &function);
    }
    template <typename Function> void for_each_mapping(Function function) const {
        for_each_mapping([](void* context, const Mapping& mapping) { (*static_cast<Function*>(context))(mapping); },
                         &function);
    }

private:
    enum class Edge { kFirstByte, kLastByte };

    uint64_t* table(PhysAddr table_address) const;
    k::Result<PhysAddr> allocate_zeroed_table();
    void free_tables_without_leaves(PhysAddr table_address, unsigned level);
    bool has_leaves(PhysAddr table_address, unsigned level) const;
    bool is_fully_mapped(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last) const;
    k::Result<void> split_huge_page(uint64_t* slot, unsigned level, uint64_t page_virt);
    k::Result<void> split_at_edge(uint64_t virt, Edge edge);
    void unmap_in_table(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last,
                        MappingVisitor removed, void* context);
    void protect_in_table(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last, PageProt prot);
    void visit_range(PhysAddr table_address, unsigned level, uint64_t first, uint64_t last, MappingVisitor visitor,
                     void* context) const;

    PhysAddr root_;
    PhysMemoryAccess& memory_;
    TableFrameAllocator& allocator_;
    TlbInvalidator& tlb_;
    bool keep_root_links_ = false;
};

}  // namespace mm
