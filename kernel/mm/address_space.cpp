#include "kernel/mm/address_space.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/cpu.h"
#include "kernel/log.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp_call.h"
#include "kernel/sync/guards.h"
#include "libk/new.h"
#include "libk/string.h"
#include "libk/utility.h"

namespace mm {

namespace {

class KmallocRegions final : public RegionAllocator {
public:
    Region* allocate() override {
        void* memory = kmalloc(sizeof(Region));
        return memory != nullptr ? new (memory) Region() : nullptr;
    }
    void free(Region* region) override {
        region->~Region();
        kfree(region);
    }
};
KmallocRegions kmalloc_regions;

// User page-table pages come from the buddy allocator and go back to it.
class UserTableFrames final : public TableFrameAllocator {
public:
    k::Result<PhysAddr> allocate_table() override {
        Page* page = allocate_pages(0);
        if (page == nullptr) return k::error(k::Errno::enomem);
        return page_to_phys(page);
    }
    void free_table(PhysAddr table) override { free_pages(phys_to_page(table), 0); }
};
UserTableFrames user_table_frames;

unsigned order_of(uint64_t page_bytes) {
    return page_bytes == kPageBytes1G ? 18 : page_bytes == kPageBytes2M ? 9 : 0;
}
PageSize page_size_of(uint64_t page_bytes) {
    return page_bytes == kPageBytes1G ? PageSize::k1G : page_bytes == kPageBytes2M ? PageSize::k2M : PageSize::k4K;
}

// A private frame gained or lost a mapping. The last unmapping frees it.
void private_frame_mapped(PhysAddr frame) { __atomic_fetch_add(&phys_to_page(frame)->mapcount, 1, __ATOMIC_RELAXED); }
void private_frame_unmapped(PhysAddr frame, PageSize size) {
    Page* page = phys_to_page(frame);
    if (__atomic_sub_fetch(&page->mapcount, 1, __ATOMIC_ACQ_REL) == 0) {
        free_pages(page, order_of(page_size_bytes(size)));
    }
}

k::Result<PhysAddr> allocate_zeroed(unsigned order) {
    Page* page = allocate_pages(order);
    if (page == nullptr) return k::error(k::Errno::enomem);
    const PhysAddr frame = page_to_phys(page);
    memset(phys_to_virt(frame), 0, kPageSize << order);
    page->mapcount = 0;
    return frame;
}

// Could `length` bytes of `page_bytes` pages be allocated right now? A
// check, not a reservation: memory can still run out before the faults.
bool huge_pages_available(uint64_t length, uint64_t page_bytes) {
    return free_blocks_of_order(order_of(page_bytes)) >= length / page_bytes;
}

}  // namespace

// --- Memory objects -------------------------------------------------------

k::Result<MemoryObject*> create_shared_anonymous_object(uint64_t bytes, unsigned order) {
    const uint64_t frame_bytes = kPageSize << order;
    const uint64_t count = (bytes + frame_bytes - 1) / frame_bytes;
    void* memory = kzalloc(sizeof(MemoryObject));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto object = new (memory) MemoryObject();
    object->kind = MemoryObject::Kind::SharedAnonymous;
    object->order = order;
    object->frame_count = count;
    object->frames = static_cast<PhysAddr*>(kzalloc(count * sizeof(PhysAddr)));
    if (object->frames == nullptr) {
        kfree(object);
        return k::error(k::Errno::enomem);
    }
    return object;
}

k::Result<MemoryObject*> create_file_object(const uint8_t* data, uint64_t size) {
    void* memory = kzalloc(sizeof(MemoryObject));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto object = new (memory) MemoryObject();
    object->kind = MemoryObject::Kind::File;
    object->data = data;
    object->size = size;
    return object;
}

void object_get(MemoryObject* object) { __atomic_fetch_add(&object->references, 1, __ATOMIC_RELAXED); }

void object_put(MemoryObject* object) {
    if (__atomic_sub_fetch(&object->references, 1, __ATOMIC_ACQ_REL) != 0) return;
    for (uint64_t i = 0; i < object->frame_count; ++i) {
        if (object->frames[i] != 0) free_pages(phys_to_page(object->frames[i]), object->order);
    }
    kfree(object->frames);
    object->~MemoryObject();
    kfree(object);
}

// --- TLB ---------------------------------------------------------------------

// Changes are collected and flushed once per operation: one shootdown IPI
// round for a whole munmap instead of one per page. Frames are released
// only after the flush (see unmap_pages), so no CPU can still reach a freed
// frame through a stale translation.
void AddressSpace::Tlb::invalidate(uint64_t virt, PageSize size) {
    pending_first_ = k::min(pending_first_, virt);
    pending_end_ = k::max(pending_end_, virt + page_size_bytes(size));
}

void AddressSpace::Tlb::invalidate_all() {
    pending_first_ = 0;
    pending_end_ = ~uint64_t{0};
}

void AddressSpace::Tlb::flush() {
    if (pending_first_ >= pending_end_) return;
    const uint64_t first = pending_first_, end = pending_end_;
    pending_first_ = ~uint64_t{0};
    pending_end_ = 0;
    const uint64_t length = end - first;
    constexpr uint64_t kFullFlushAbove = 64 * kPageSize;
    // Locally: only if this CPU has the space loaded (else its next CR3
    // load starts clean).
    bool others = false;
    {
        kernel::IrqSaveGuard irq;
        const unsigned self = kernel::this_cpu()->arch.index;
        ksync::SpinLockGuard guard(space_.active_lock_);
        if (space_.active_cpus_.has(self)) {
            if (length > kFullFlushAbove) {
                arch::write_cr3(arch::read_cr3());
            } else {
                for (uint64_t page = first; page < end; page += kPageSize) arch::invlpg(page);
            }
        }
        for (unsigned cpu = space_.active_cpus_.next(0); cpu < k::CpuMask::kMaxCpus;
             cpu = space_.active_cpus_.next(cpu + 1)) {
            if (cpu != self) others = true;
        }
    }
    if (others) kernel::tlb_shootdown(first, length > kFullFlushAbove ? ~uint64_t{0} : length);
}

// --- Life cycle ----------------------------------------------------------------

RegionAllocator& AddressSpace::region_allocator() { return kmalloc_regions; }

k::Result<AddressSpace*> AddressSpace::create() {
    void* memory = kzalloc(sizeof(AddressSpace));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto space = new (memory) AddressSpace();
    auto root = allocate_zeroed(0);
    if (!root.ok()) {
        space->~AddressSpace();
        kfree(space);
        return k::error(k::Errno::enomem);
    }
    space->root_ = root.value();
    // The higher half is the kernel's, the same in every address space
    // (its root entries are pinned: kernel_page_tables.cpp).
    auto kernel_root = phys_to_virt<uint64_t>(kernel_root_table());
    auto user_root = phys_to_virt<uint64_t>(space->root_);
    memcpy(user_root + 256, kernel_root + 256, 256 * sizeof(uint64_t));
    space->mapper_ = new (space->mapper_storage_)
        PageTableMapper(space->root_, direct_map_table_access(), user_table_frames, space->tlb_);
    return space;
}

AddressSpace::~AddressSpace() {
    if (mapper_ != nullptr) {
        regions_.clear();  // on_remove unmaps and frees every page
        mapper_->~PageTableMapper();
    }
    if (root_ != 0) free_pages(phys_to_page(root_), 0);
}

void AddressSpace::put() {
    if (__atomic_sub_fetch(&references_, 1, __ATOMIC_ACQ_REL) != 0) return;
    VERIFY(active_cpus_.empty());
    this->~AddressSpace();
    kfree(this);
}

void AddressSpace::activate_on_this_cpu() {
    const unsigned self = kernel::this_cpu()->arch.index;
    {
        ksync::SpinLockGuard guard(active_lock_);
        active_cpus_.set(self);
    }
    // In the mask before the tables are in use: a change made from now on
    // is shot down here too (Tlb::flush reads the mask after the change).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    arch::write_cr3(root_);
}

void AddressSpace::deactivate_on_this_cpu() {
    ksync::SpinLockGuard guard(active_lock_);
    active_cpus_.clear(kernel::this_cpu()->arch.index);
}

// --- Regions ---------------------------------------------------------------------

PageProt AddressSpace::page_prot(const Region& region, bool allow_write) const {
    // PROT_NONE pages stay mapped (their contents must survive an
    // mprotect back) but supervisor-only, so every user access faults.
    return PageProt{.writable = allow_write && (region.prot & kProtWrite) != 0,
                    .user = region.prot != kProtNone,
                    .executable = (region.prot & kProtExec) != 0 || !arch::cpu_features().no_execute,
                    .global = false,
                    .uncached = false};
}

void AddressSpace::flush_tlb() { tlb_.flush(); }

void AddressSpace::unmap_pages(uint64_t start, uint64_t end, bool shared) {
    // Frames to release once the TLB no longer reaches them.
    constexpr unsigned kBatch = 64;
    struct Removed {
        PhysAddr frames[kBatch];
        PageSize sizes[kBatch];
        unsigned count = 0;
        bool shared;
        AddressSpace* space;
        void release() {
            space->flush_tlb();
            for (unsigned i = 0; i < count; ++i) {
                if (!shared) private_frame_unmapped(frames[i], sizes[i]);
                __atomic_fetch_sub(&space->resident_frames_, page_size_bytes(sizes[i]) / kPageSize,
                                   __ATOMIC_RELAXED);
            }
            count = 0;
        }
    } removed;
    removed.shared = shared;
    removed.space = this;
    {
        kernel::PreemptDisabled no_preempt;
        ksync::SpinLockGuard guard(table_lock_);
        auto status = mapper_->unmap(
            start, end - start,
            [](void* context, const PageTableMapper::Mapping& mapping) {
                auto removed = static_cast<Removed*>(context);
                if (removed->count == kBatch) removed->release();
                removed->frames[removed->count] = mapping.translation.phys;
                removed->sizes[removed->count] = mapping.translation.size;
                ++removed->count;
            },
            &removed);
        // User regions never split a huge page (hugetlb ranges are aligned),
        // so unmapping cannot need a table.
        VERIFY(status.ok());
        removed.release();
    }
}

void AddressSpace::on_split(Region&, Region& piece) {
    if (piece.object != nullptr) object_get(static_cast<MemoryObject*>(piece.object));
}

void AddressSpace::on_merge(Region&, Region& absorbed) {
    if (absorbed.object != nullptr) object_put(static_cast<MemoryObject*>(absorbed.object));
}

void AddressSpace::on_remove(Region& region) {
    const bool shared = region.has(kRegionShared);
    unmap_pages(region.start, region.end, shared);
    if (region.object != nullptr) object_put(static_cast<MemoryObject*>(region.object));
}

k::Result<void> AddressSpace::on_clone(Region&, Region& child) {
    if (child.object != nullptr) object_get(static_cast<MemoryObject*>(child.object));
    return {};
}

k::Result<uint64_t> AddressSpace::map(uint64_t address, uint64_t length, uint32_t prot, uint32_t flags,
                                      MemoryObject* object, uint64_t offset, bool fixed) {
    const uint64_t alignment = (flags & kRegionHugetlb) ? ((flags & kRegionHuge1G) ? kPageBytes1G : kPageBytes2M)
                                                        : kPageSize;
    length = k::align_up(length, alignment);
    if (length == 0 || length > kUserTop) return k::error(k::Errno::enomem);
    if (regions_.total_bytes() + length > address_space_limit) return k::error(k::Errno::enomem);
    uint64_t start;
    if (fixed) {
        if (!k::is_aligned(address, alignment)) return k::error(k::Errno::einval);
        if (address > kUserTop - length) return k::error(k::Errno::enomem);  // beyond the user half
        if (address < kMmapMinAddr) return k::error(k::Errno::eperm);         // vm.mmap_min_addr
        TRY(unmap(address, length));
        start = address;
    } else {
        const uint64_t hint = k::is_aligned(address, alignment) && address >= kMmapMinAddr ? address : 0;
        start = TRY(regions_.find_free(length, hint, alignment, kMmapMinAddr, mmap_top));
    }
    if ((flags & kRegionHugetlb) && !(flags & kRegionNoReserve) && !huge_pages_available(length, alignment)) {
        // Linux reserves huge pages at mmap time and fails with ENOMEM when
        // the pool cannot cover the mapping; without a pool, we ask whether
        // the buddy allocator could supply them now.
        return k::error(k::Errno::enomem);
    }
    TRY(regions_.insert(start, start + length, prot, flags, object, offset));
    if (object != nullptr) object_get(object);
    return start;
}

k::Result<void> AddressSpace::unmap(uint64_t address, uint64_t length) {
    if (!k::is_aligned(address, kPageSize) || length == 0) return k::error(k::Errno::einval);
    length = k::align_up(length, kPageSize);
    if (address > kUserTop || length > kUserTop - address) return k::error(k::Errno::einval);
    return regions_.remove_range(address, address + length);
}

k::Result<void> AddressSpace::protect(uint64_t address, uint64_t length, uint32_t prot) {
    if (!k::is_aligned(address, kPageSize)) return k::error(k::Errno::einval);
    length = k::align_up(length, kPageSize);
    if (length == 0) return {};
    if (address > kUserTop || length > kUserTop - address) return k::error(k::Errno::enomem);
    TRY(regions_.protect_range(address, address + length, prot));
    // Rewrite the present pages. Private pages stay read-only where they
    // may be shared (mapcount > 1): the next write fault copies them.
    kernel::PreemptDisabled no_preempt;
    ksync::SpinLockGuard guard(table_lock_);
    for (uint64_t cursor = address; cursor < address + length;) {
        Region* region = regions_.find(cursor);
        if (region == nullptr) break;
        const uint64_t end = k::min(region->end, address + length);
        mapper_->for_each_mapping_in(cursor, end - 1, [&](const PageTableMapper::Mapping& mapping) {
            bool writable = (prot & kProtWrite) != 0;
            if (writable && !region->has(kRegionShared)) {
                writable = __atomic_load_n(&phys_to_page(mapping.translation.phys)->mapcount, __ATOMIC_ACQUIRE) == 1;
            }
            VERIFY(mapper_->protect(mapping.virt, page_size_bytes(mapping.translation.size), page_prot(*region, writable))
                       .ok());
        });
        cursor = end;
    }
    tlb_.flush();
    return {};
}

k::Result<void> AddressSpace::dont_need(uint64_t address, uint64_t length) {
    length = k::align_up(length, kPageSize);
    for (uint64_t cursor = address; cursor < address + length;) {
        Region* region = regions_.first_at_or_after(cursor);
        if (region == nullptr || region->start >= address + length) break;
        const uint64_t start = k::max(region->start, cursor);
        const uint64_t end = k::min(region->end, address + length);
        if (region->has(kRegionHugetlb) &&
            (!k::is_aligned(start, region->page_size()) || !k::is_aligned(end, region->page_size()))) {
            return k::error(k::Errno::einval);
        }
        // Private pages are dropped and read as zero (or file data) again;
        // shared ones stay in their object, so dropping only the mapping
        // changes nothing a program can see.
        unmap_pages(start, end, region->has(kRegionShared));
        cursor = end;
    }
    return {};
}

k::Result<void> AddressSpace::set_dont_fork(uint64_t address, uint64_t length, bool on) {
    length = k::align_up(length, kPageSize);
    return regions_.set_flag_range(address, address + length, kRegionDontFork, on);
}

// --- Faults ------------------------------------------------------------------------

k::Result<PhysAddr> AddressSpace::fill_new_page(Region& region, uint64_t page) {
    const uint64_t page_bytes = region.page_size();
    const unsigned order = order_of(page_bytes);
    auto object = static_cast<MemoryObject*>(region.object);
    if (object != nullptr && object->kind == MemoryObject::Kind::SharedAnonymous) {
        const uint64_t index = region.offset_of(page) / page_bytes;
        if (index >= object->frame_count) return k::error(k::Errno::efault);
        kernel::SpinLockIrqSave guard(object->lock);
        if (object->frames[index] == 0) object->frames[index] = TRY(allocate_zeroed(order));
        return object->frames[index];
    }
    const PhysAddr frame = TRY(allocate_zeroed(order));
    if (object != nullptr && object->kind == MemoryObject::Kind::File) {
        const uint64_t offset = region.offset_of(page);
        if (offset < object->size) {
            const uint64_t bytes = k::min(page_bytes, object->size - offset);
            memcpy(phys_to_virt(frame), object->data + offset, bytes);
        }
    }
    return frame;
}

FaultResult AddressSpace::copy_on_write(Region& region, uint64_t page, const Translation& old) {
    const PhysAddr old_frame = old.phys - (old.phys & (page_size_bytes(old.size) - 1));
    Page* old_page = phys_to_page(old_frame);
    if (__atomic_load_n(&old_page->mapcount, __ATOMIC_ACQUIRE) == 1) {
        // The last owner: nobody else can see this frame, write in place.
        VERIFY(mapper_->protect(page, page_size_bytes(old.size), page_prot(region, true)).ok());
        tlb_.flush();
        return FaultResult::Resolved;
    }
    Page* copy = allocate_pages(order_of(page_size_bytes(old.size)));
    if (copy == nullptr) return FaultResult::OutOfMemory;
    const PhysAddr new_frame = page_to_phys(copy);
    memcpy(phys_to_virt(new_frame), phys_to_virt(old_frame), page_size_bytes(old.size));
    copy->mapcount = 1;
    VERIFY(mapper_->unmap(page, page_size_bytes(old.size)).ok());
    tlb_.flush();
    // Mapping into the slot just emptied needs no new table.
    VERIFY(mapper_->map(page, new_frame, old.size, page_prot(region, true)).ok());
    private_frame_unmapped(old_frame, old.size);
    return FaultResult::Resolved;
}

FaultResult AddressSpace::fault_locked(Region& region, uint64_t address, FaultAccess access) {
    const uint32_t needed = access == FaultAccess::Write     ? kProtWrite
                            : access == FaultAccess::Execute ? kProtExec
                                                             : kProtRead;
    if ((region.prot & needed) == 0) return FaultResult::Protection;
    const uint64_t page_bytes = region.page_size();
    const uint64_t page = k::align_down(address, page_bytes);
    const bool shared = region.has(kRegionShared);

    kernel::PreemptDisabled no_preempt;
    ksync::SpinLockGuard guard(table_lock_);
    auto present = mapper_->translate(page);
    if (present.ok()) {
        if (access != FaultAccess::Write || present.value().prot.writable) {
            return FaultResult::Resolved;  // another thread got here first
        }
        if (shared) {
            VERIFY(mapper_->protect(page, page_bytes, page_prot(region, true)).ok());
            tlb_.flush();
            return FaultResult::Resolved;
        }
        return copy_on_write(region, page, present.value());
    }
    auto frame = fill_new_page(region, page);
    if (!frame.ok()) return frame.error() == k::Errno::enomem ? FaultResult::OutOfMemory : FaultResult::NoRegion;
    // Reads of private file pages are mapped writable too: the frame is
    // already a private copy.
    auto mapped = mapper_->map(page, frame.value(), page_size_of(page_bytes), page_prot(region, true));
    if (!mapped.ok()) {
        if (!shared) free_pages(phys_to_page(frame.value()), order_of(page_bytes));
        return FaultResult::OutOfMemory;
    }
    if (!shared) private_frame_mapped(frame.value());
    __atomic_fetch_add(&resident_frames_, page_bytes / kPageSize, __ATOMIC_RELAXED);
    return FaultResult::Resolved;
}

FaultResult AddressSpace::handle_fault(uint64_t address, FaultAccess access) {
    lock_.down_read();
    Region* region = regions_.find(address);
    const FaultResult result = region != nullptr ? fault_locked(*region, address, access) : FaultResult::NoRegion;
    lock_.up_read();
    return result;
}

k::Result<void> AddressSpace::write_remote(uint64_t address, const void* data, size_t length) {
    auto bytes = static_cast<const uint8_t*>(data);
    while (length > 0) {
        if (handle_fault(address, FaultAccess::Write) != FaultResult::Resolved) return k::error(k::Errno::efault);
        const size_t chunk = k::min<uint64_t>(length, kPageSize - (address & (kPageSize - 1)));
        {
            kernel::PreemptDisabled no_preempt;
            ksync::SpinLockGuard guard(table_lock_);
            auto translation = mapper_->translate(address);
            if (!translation.ok()) return k::error(k::Errno::efault);
            memcpy(phys_to_virt(translation.value().phys), bytes, chunk);
        }
        address += chunk;
        bytes += chunk;
        length -= chunk;
    }
    return {};
}

// --- fork ----------------------------------------------------------------------------

k::Result<AddressSpace*> AddressSpace::fork_copy() {
    AddressSpace* child = TRY(create());
    child->brk_start = brk_start;
    child->brk_end = brk_end;
    child->mmap_top = mmap_top;
    child->address_space_limit = address_space_limit;
    auto cloned = regions_.clone_into(child->regions_, RegionMap::inherited_by_fork);
    if (!cloned.ok()) {
        child->put();
        return k::error(cloned.error());
    }
    // Share every present page: shared regions as they are, private ones
    // read-only on both sides with one more mapping counted.
    bool out_of_memory = false;
    {
        kernel::PreemptDisabled no_preempt;
        ksync::SpinLockGuard guard(table_lock_);
        regions_.for_each([&](const Region& region) {
            if (out_of_memory || !RegionMap::inherited_by_fork(region)) return;
            const bool shared = region.has(kRegionShared);
            mapper_->for_each_mapping_in(region.start, region.end - 1, [&](const PageTableMapper::Mapping& mapping) {
                if (out_of_memory) return;
                const uint64_t bytes = page_size_bytes(mapping.translation.size);
                const bool writable = shared && (region.prot & kProtWrite) != 0;
                if (!shared && mapping.translation.prot.writable) {
                    VERIFY(mapper_->protect(mapping.virt, bytes, page_prot(region, false)).ok());
                }
                if (!child->mapper_->map(mapping.virt, mapping.translation.phys, mapping.translation.size,
                                         page_prot(region, writable))
                         .ok()) {
                    out_of_memory = true;
                    return;
                }
                if (!shared) private_frame_mapped(mapping.translation.phys);
                __atomic_fetch_add(&child->resident_frames_, bytes / kPageSize, __ATOMIC_RELAXED);
            });
        });
        tlb_.flush();
    }
    if (out_of_memory) {
        child->put();
        return k::error(k::Errno::enomem);
    }
    return child;
}

}  // namespace mm

namespace mm {
AddressSpace* current_address_space() { return sched::current_thread()->address_space; }
}  // namespace mm
