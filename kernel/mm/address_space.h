#pragma once
// A user address space: its page tables, its regions (kernel/mm/region_map.h)
// and the rwsem that orders changes to both (Linux's mmap_sem).
//
// Locking:
//   lock()       rwsem. Writers change the region map (mmap, munmap,
//                mprotect, brk, madvise, fork's copy); page faults hold it
//                for reading, so faults run in parallel.
//   table_lock_  spinlock (preemption off) around every page-table change,
//                because parallel faults change the tables too.
// Frames of private regions are counted in Page::mapcount (one per page
// table entry that maps them, across all address spaces): copy-on-write
// copies a frame only while someone else still maps it. Frames of shared
// regions belong to their MemoryObject.
#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/page_table.h"
#include "kernel/mm/region_map.h"
#include "kernel/sync/rwsem.h"
#include "kernel/sync/spinlock.h"
#include "libk/cpu_mask.h"
#include "libk/result.h"

namespace mm {

enum class FaultAccess : uint8_t { Read, Write, Execute };
enum class FaultResult : uint8_t { Resolved, NoRegion, Protection, OutOfMemory };

// What backs a shared or file-backed region.
struct MemoryObject {
    enum class Kind : uint8_t { SharedAnonymous, File };
    uint32_t references = 1;
    Kind kind = Kind::SharedAnonymous;
    unsigned order = 0;  // buddy order of each frame (0: 4 KiB, 9: 2 MiB, 18: 1 GiB)
    // File: the file's bytes (initrd files live as long as the kernel).
    const uint8_t* data = nullptr;
    uint64_t size = 0;
    // SharedAnonymous: one frame per page, allocated on first touch.
    PhysAddr* frames = nullptr;
    uint64_t frame_count = 0;
    ksync::SpinLock lock;
};
k::Result<MemoryObject*> create_shared_anonymous_object(uint64_t bytes, unsigned order);
k::Result<MemoryObject*> create_file_object(const uint8_t* data, uint64_t size);
void object_get(MemoryObject* object);
void object_put(MemoryObject* object);

class AddressSpace;
AddressSpace* current_address_space();

class AddressSpace final : private RegionObserver {
public:
    static k::Result<AddressSpace*> create();
    // A copy-on-write copy for fork(). Call with lock() held for writing.
    k::Result<AddressSpace*> fork_copy();

    void get() { __atomic_fetch_add(&references_, 1, __ATOMIC_RELAXED); }
    void put();  // the last put frees everything

    // Loads this address space on the calling CPU (interrupts off).
    void activate_on_this_cpu();
    void deactivate_on_this_cpu();
    PhysAddr root() const { return root_; }

    ksync::Rwsem& lock() { return lock_; }
    RegionMap& regions() { return regions_; }

    // The following need lock() held for writing.
    // Maps a new region at exactly `address` (replacing what was there,
    // like MAP_FIXED) or, with fixed = false, at `address` if free or
    // wherever there is room. `flags` are region flags (kRegion*).
    k::Result<uint64_t> map(uint64_t address, uint64_t length, uint32_t prot, uint32_t flags, MemoryObject* object,
                            uint64_t offset, bool fixed);
    k::Result<void> unmap(uint64_t address, uint64_t length);
    k::Result<void> protect(uint64_t address, uint64_t length, uint32_t prot);
    k::Result<void> dont_need(uint64_t address, uint64_t length);
    k::Result<void> set_dont_fork(uint64_t address, uint64_t length, bool on);

    // Copies into this address space while it is not the current one (the
    // new program's stack at exec), faulting pages in as a write would.
    k::Result<void> write_remote(uint64_t address, const void* data, size_t length);

    // Resolves a fault at `address`: demand-zero, file fill, copy-on-write.
    // Takes lock() for reading itself.
    FaultResult handle_fault(uint64_t address, FaultAccess access);

    // Program break (brk): [brk_start, brk_end) is a private anonymous region.
    uint64_t brk_start = 0;
    uint64_t brk_end = 0;
    uint64_t mmap_top = kUserTop;  // the top-down mmap search starts below this
    uint64_t address_space_limit = ~uint64_t{0};  // RLIMIT_AS

    uint64_t resident_frames() const { return __atomic_load_n(&resident_frames_, __ATOMIC_RELAXED); }

private:
    AddressSpace() : regions_(region_allocator(), this) {}
    ~AddressSpace();
    static RegionAllocator& region_allocator();

    // RegionObserver: keeps objects' references and page tables in step.
    void on_split(Region& original, Region& piece) override;
    void on_merge(Region& survivor, Region& absorbed) override;
    void on_remove(Region& region) override;
    k::Result<void> on_clone(Region& parent, Region& child) override;

    FaultResult fault_locked(Region& region, uint64_t address, FaultAccess access);
    k::Result<PhysAddr> fill_new_page(Region& region, uint64_t page);
    FaultResult copy_on_write(Region& region, uint64_t page, const Translation& old);
    void unmap_pages(uint64_t start, uint64_t end, bool shared);
    PageProt page_prot(const Region& region, bool allow_write) const;
    void flush_tlb();

    class Tlb final : public TlbInvalidator {
    public:
        explicit Tlb(AddressSpace& space) : space_(space) {}
        void invalidate(uint64_t virt, PageSize size) override;
        void invalidate_all() override;
        void flush();

    private:
        AddressSpace& space_;
        uint64_t pending_first_ = ~uint64_t{0};
        uint64_t pending_end_ = 0;
    };

    uint32_t references_ = 1;
    PhysAddr root_ = 0;
    ksync::Rwsem lock_;
    ksync::SpinLock table_lock_;
    Tlb tlb_{*this};
    PageTableMapper* mapper_ = nullptr;
    alignas(PageTableMapper) unsigned char mapper_storage_[sizeof(PageTableMapper)];
    RegionMap regions_;
    k::CpuMask active_cpus_{};
    ksync::SpinLock active_lock_;
    uint64_t resident_frames_ = 0;
};

}  // namespace mm
