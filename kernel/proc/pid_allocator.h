#pragma once
// Process IDs for one PID space (one PID namespace). Portable (host-tested);
// no lock here, the kernel wraps every call in its own.
//
// PIDs are 1..max_pid. PID 0 never exists as a process (it names the idle
// task, and kill(0, ...) / waitpid(0, ...) use it to mean "my process
// group"). Linux's /proc/sys/kernel/pid_max is one more than the largest
// PID; here max_pid is the largest PID itself. The ceiling, 4194304 (2^22),
// is Linux's PID_MAX_LIMIT on 64-bit systems; the default, 32768, is
// Linux's PID_MAX_DEFAULT.
//
// Allocation policy (Linux's alloc_pid(), an idr_alloc_cyclic()):
//
//   Hand out the lowest free PID above the last one allocate() returned; when
//   there is none up to max_pid, wrap around and take the lowest free one at
//   or above `wrap_floor`.
//
// Cycling instead of always taking the lowest free PID keeps a PID from being
// reused right after its process dies: a program that still holds the old
// number (a stale PID file, a kill(1) typed a moment too late) would hit an
// unrelated process. With cycling, reuse happens only after the whole range
// has been handed out once more.
//
// wrap_floor: Linux's init namespace wraps around to RESERVED_PIDS = 300,
// not to 1: the PIDs below 300 went to the kernel threads and daemons
// started at boot, which live long, and an administrator reading "ps" or a
// script naming a low PID should keep meaning that daemon. A new namespace
// (a container) has nothing like that and wraps to 1, the default here. As in
// Linux, the floor takes effect once the cursor has passed it: until then a
// wrap-around searches from 1. allocate_specific() may take any PID in
// 1..max_pid, below the floor too.
//
// Storage: one bit per PID (bit n set = PID n allocated) in words the caller
// provides, words_needed(max_pid) of them, so the allocator itself never
// allocates. Searching goes a 64-bit word at a time (a full word is skipped
// with one comparison, and the lowest free bit of a word is found with one
// count-trailing-zeros), so one allocation costs O(max_pid / 64) at worst and
// O(1) in the usual case where the PIDs after the cursor are free.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

namespace proc {

struct PidSpaceConfig {
    static constexpr uint32_t kNoLimit = UINT32_MAX;

    uint32_t max_pid = 32768;      // largest PID, 1..PidAllocator::kPidMaxLimit
    uint32_t wrap_floor = 1;       // where a wrap-around resumes, 1..max_pid (300 for the init namespace)
    uint32_t limit = kNoLimit;     // most PIDs alive at once (like the pids cgroup's pids.max)
};

class PidAllocator {
public:
    static constexpr uint32_t kPidMaxDefault = 32768;  // Linux's PID_MAX_DEFAULT
    static constexpr uint32_t kPidMaxLimit = 4194304;  // Linux's PID_MAX_LIMIT (64-bit), 2^22
    static constexpr uint32_t kReservedPids = 300;     // Linux's RESERVED_PIDS: wrap_floor of the init namespace

    // Words of bitmap for PIDs up to max_pid (bit 0, PID 0, is never used).
    static constexpr size_t words_needed(uint32_t max_pid) { return static_cast<size_t>(max_pid) / 64 + 1; }

    // `bitmap_words` must hold words_needed(config.max_pid) words and outlive
    // the allocator; it is cleared here. Every PID starts free.
    PidAllocator(uint64_t* bitmap_words, PidSpaceConfig config = {});
    PidAllocator(const PidAllocator&) = delete;
    PidAllocator& operator=(const PidAllocator&) = delete;

    // A new PID by the policy above. eagain (what fork(2) reports) when every
    // PID is taken or `limit` PIDs are alive.
    k::Result<uint32_t> allocate();

    // Takes exactly `pid` (clone3() with set_tid, restoring a checkpointed
    // process). Does not move the cursor allocate() continues from. einval
    // for 0 or a PID above max_pid, eexist when it is taken, eagain at the
    // limit.
    k::Result<void> allocate_specific(uint32_t pid);

    // Gives back an allocated PID; freeing one that is not allocated is a bug.
    void free(uint32_t pid);

    bool is_allocated(uint32_t pid) const;
    // PIDs allocated now.
    uint32_t count() const { return count_; }

    // The new limit applies to later allocations; lowering it below count()
    // kills nothing, it only stops new PIDs until enough are freed.
    void set_limit(uint32_t limit) { limit_ = limit; }
    uint32_t limit() const { return limit_; }
    uint32_t max_pid() const { return max_pid_; }
    uint32_t wrap_floor() const { return wrap_floor_; }
    // The PID allocate() returned last (0 before the first): the search
    // starts above it.
    uint32_t last_allocated() const { return last_; }

private:
    // The lowest free PID in [first, last], or 0 if none.
    uint32_t find_free(uint32_t first, uint32_t last) const;
    void mark(uint32_t pid);

    uint64_t* words_;
    uint32_t max_pid_;
    uint32_t wrap_floor_;
    uint32_t limit_;
    uint32_t count_ = 0;
    uint32_t last_ = 0;
};

}  // namespace proc
