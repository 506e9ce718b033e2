#pragma once
// Futexes: sleeping on a user word until another thread wakes it.
//
// This is the part musl's threads need from day one (pthread_join waits
// on the thread id word, mutexes and condition variables on theirs):
// FUTEX_WAIT/WAKE with bitsets and time-outs, private keys (address space,
// address). Shared keys, requeue, PI and robust lists build on it.
#include <stdint.h>

#include "libk/result.h"

namespace proc {
struct UserThread;
}

namespace futex {

constexpr uint32_t kBitsetAll = 0xffffffff;

void futex_init();

// Sleeps if the word at `address` still holds `expected` (EAGAIN if not),
// until woken (0), the deadline (ETIMEDOUT) or a signal (EINTR).
k::Result<void> wait(uint64_t address, uint32_t expected, uint64_t deadline_ns, uint32_t bitset, bool is_private);
// Wakes up to `count` waiters whose bitset intersects `bitset`.
k::Result<int> wake(uint64_t address, int count, uint32_t bitset, bool is_private);

// At thread exit: the robust futex list (issue 6; nothing yet).
void exit_robust_list(proc::UserThread& thread);

// The futex(2) system call.
int64_t sys_futex(uint64_t address, int op, uint32_t value, uint64_t timeout, uint64_t address2, uint32_t value3);

}  // namespace futex
