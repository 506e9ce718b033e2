// Memory system calls: mmap, munmap, mprotect, brk, madvise.
#include "arch/x86_64/cpu_features.h"
#include "kernel/fs/file_table.h"
#include "kernel/mm/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/syscall/syscall.h"

namespace syscall {

namespace {

constexpr uint64_t kMapPrivate = 0x02, kMapSharedValidate = 0x03, kMapFixed = 0x10,
                   kMapAnonymous = 0x20, kMapGrowsDown = 0x100, kMapDenyWrite = 0x800, kMapExecutable = 0x1000,
                   kMapLocked = 0x2000, kMapNoReserve = 0x4000, kMapPopulate = 0x8000, kMapNonBlock = 0x10000,
                   kMapStack = 0x20000, kMapHugetlb = 0x40000, kMapFixedNoReplace = 0x100000;
constexpr uint64_t kHugeShift = 26, kHugeMask = 0x3f;
constexpr uint64_t kKnownFlags = kMapSharedValidate | kMapFixed | kMapAnonymous | kMapGrowsDown | kMapDenyWrite |
                                 kMapExecutable | kMapLocked | kMapNoReserve | kMapPopulate | kMapNonBlock |
                                 kMapStack | kMapHugetlb | kMapFixedNoReplace | (kHugeMask << kHugeShift);

mm::AddressSpace& space() { return *sched::current_thread()->address_space; }

class WriteLocked {
public:
    explicit WriteLocked(mm::AddressSpace& space) : space_(space) { space_.lock().down_write(); }
    ~WriteLocked() { space_.lock().up_write(); }
    WriteLocked(const WriteLocked&) = delete;
    WriteLocked& operator=(const WriteLocked&) = delete;

private:
    mm::AddressSpace& space_;
};

}  // namespace

int64_t sys_mmap(const Args& a, arch::InterruptFrame&) {
    const uint64_t address = a.a0, length = a.a1, flags = a.a3, offset = a.a5;
    const uint32_t prot = static_cast<uint32_t>(a.a2);
    const int fd = static_cast<int>(a.a4);
    const uint64_t type = flags & kMapSharedValidate;
    if (length == 0) return fail(k::Errno::einval);
    if (type == 0) return fail(k::Errno::einval);
    if (type == kMapSharedValidate && (flags & ~kKnownFlags)) return fail(k::Errno::eopnotsupp);
    if (prot & ~mm::kProtMask) return fail(k::Errno::einval);
    if (offset & (mm::kPageSize - 1)) return fail(k::Errno::einval);
    if ((flags & (kMapFixed | kMapFixedNoReplace)) && (address & (mm::kPageSize - 1))) return fail(k::Errno::einval);
    if (length > mm::kUserTop) return fail(k::Errno::enomem);

    uint32_t region_flags = 0;
    if (type != kMapPrivate) region_flags |= mm::kRegionShared;
    if (flags & kMapNoReserve) region_flags |= mm::kRegionNoReserve;
    if (flags & kMapGrowsDown) region_flags |= mm::kRegionGrowsDown;
    unsigned order = 0;
    if (flags & kMapHugetlb) {
        if (!(flags & kMapAnonymous)) return fail(k::Errno::einval);  // hugetlbfs files: none here
        const uint64_t shift = (flags >> kHugeShift) & kHugeMask;
        if (shift == 0 || shift == 21) {
            order = 9;
        } else if (shift == 30 && arch::cpu_features().huge_1g_pages) {
            order = 18;
            region_flags |= mm::kRegionHuge1G;
        } else {
            return fail(k::Errno::einval);
        }
        region_flags |= mm::kRegionHugetlb;
        const uint64_t huge = mm::kPageSize << order;
        if ((flags & kMapFixed) && (address & (huge - 1))) return fail(k::Errno::einval);
    }

    mm::MemoryObject* object = nullptr;
    if (flags & kMapAnonymous) {
        region_flags |= mm::kRegionAnonymous;
        if (region_flags & mm::kRegionShared) {
            auto created = mm::create_shared_anonymous_object(length, order);
            if (!created.ok()) return fail(created.error());
            object = created.value();
        }
    } else {
        auto got = proc::current_process()->files->get_file(fd);
        if (!got.ok()) return fail(got.error());
        fs::File* file = got.value();
        const uint8_t* contents = file->memory_contents();
        const uint64_t size = file->size();
        const bool readable = file->readable();
        file->put();
        if (contents == nullptr) return fail(k::Errno::enodev);
        if (!readable) return fail(k::Errno::eacces);
        // The initrd is read-only: a shared writable mapping cannot be had.
        if ((region_flags & mm::kRegionShared) && (prot & mm::kProtWrite)) return fail(k::Errno::eacces);
        region_flags &= ~mm::kRegionShared;  // read-only shared == private, for a file nobody writes
        auto created = mm::create_file_object(contents, size);
        if (!created.ok()) return fail(created.error());
        object = created.value();
    }

    mm::AddressSpace& s = space();
    int64_t result;
    {
        WriteLocked locked(s);
        const bool fixed = (flags & (kMapFixed | kMapFixedNoReplace)) != 0;
        if ((flags & kMapFixedNoReplace) && s.regions().first_at_or_after(address) != nullptr &&
            s.regions().first_at_or_after(address)->start < address + length) {
            result = fail(k::Errno::eexist);
        } else {
            result = result_of(s.map(address, length, prot, region_flags, object,
                                     (flags & kMapAnonymous) ? 0 : offset, fixed));
        }
    }
    if (object != nullptr) mm::object_put(object);
    return result;
}

int64_t sys_munmap(const Args& a, arch::InterruptFrame&) {
    mm::AddressSpace& s = space();
    WriteLocked locked(s);
    return result_of(s.unmap(a.a0, a.a1));
}

int64_t sys_mprotect(const Args& a, arch::InterruptFrame&) {
    if (a.a2 & ~(mm::kProtMask | 0x01000000 | 0x02000000)) return fail(k::Errno::einval);  // PROT_GROWSDOWN/UP
    if (a.a0 & (mm::kPageSize - 1)) return fail(k::Errno::einval);
    mm::AddressSpace& s = space();
    WriteLocked locked(s);
    return result_of(s.protect(a.a0, a.a1, static_cast<uint32_t>(a.a2) & mm::kProtMask));
}

int64_t sys_brk(const Args& a, arch::InterruptFrame&) {
    mm::AddressSpace& s = space();
    WriteLocked locked(s);
    const uint64_t requested = a.a0;
    // brk(2) never fails as such: it returns the (unchanged) break instead.
    if (requested < s.brk_start || requested > mm::kUserTop) return static_cast<int64_t>(s.brk_end);
    const uint64_t old_top = k::align_up(s.brk_end, mm::kPageSize);
    const uint64_t new_top = k::align_up(requested, mm::kPageSize);
    if (new_top > old_top) {
        mm::Region* next = s.regions().first_at_or_after(old_top);
        if (next != nullptr && next->start < new_top) return static_cast<int64_t>(s.brk_end);
        auto mapped = s.map(old_top, new_top - old_top, mm::kProtRead | mm::kProtWrite, mm::kRegionAnonymous,
                            nullptr, 0, true);
        if (!mapped.ok()) return static_cast<int64_t>(s.brk_end);
    } else if (new_top < old_top) {
        if (!s.unmap(new_top, old_top - new_top).ok()) return static_cast<int64_t>(s.brk_end);
    }
    s.brk_end = requested;
    return static_cast<int64_t>(requested);
}

int64_t sys_madvise(const Args& a, arch::InterruptFrame&) {
    constexpr int kNormal = 0, kRandom = 1, kSequential = 2, kWillNeed = 3, kDontNeed = 4, kFree = 8,
                  kDontFork = 10, kDoFork = 11;
    const uint64_t address = a.a0;
    const uint64_t length = k::align_up(a.a1, mm::kPageSize);
    if (address & (mm::kPageSize - 1)) return fail(k::Errno::einval);
    if (a.a1 != 0 && length == 0) return fail(k::Errno::einval);
    if (address > mm::kUserTop || length > mm::kUserTop - address) return fail(k::Errno::einval);
    const int advice = static_cast<int>(a.a2);
    switch (advice) {
        case kNormal:
        case kRandom:
        case kSequential:
        case kWillNeed:
        case kDontNeed:
        case kFree:
        case kDontFork:
        case kDoFork: break;
        default: return fail(k::Errno::einval);
    }
    if (length == 0) return 0;
    mm::AddressSpace& s = space();
    WriteLocked locked(s);
    // Every page of the range must be mapped (ENOMEM otherwise, madvise(2)).
    for (uint64_t cursor = address; cursor < address + length;) {
        mm::Region* region = s.regions().find(cursor);
        if (region == nullptr) return fail(k::Errno::enomem);
        cursor = region->end;
    }
    switch (advice) {
        case kDontNeed:
        case kFree: return result_of(s.dont_need(address, length));
        case kDontFork: return result_of(s.set_dont_fork(address, length, true));
        case kDoFork: return result_of(s.set_dont_fork(address, length, false));
        default: return 0;
    }
}

}  // namespace syscall
