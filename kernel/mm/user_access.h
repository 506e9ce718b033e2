#pragma once
// Copying between the kernel and user memory.
//
// User pointers arrive as plain integers (`uint64_t`), never as C++
// pointers, so kernel code cannot dereference one by accident: the only way
// in or out is through these functions, which check that the range lies in
// the user half and recover from faults (arch/x86_64/user_access.asm):
// a bad pointer becomes EFAULT, never a kernel crash.
//
// The normal forms may sleep: a fault on a not-yet-present page is resolved
// like a user fault (demand paging, copy-on-write), which takes the address
// space's rwsem for reading. Code that already holds that rwsem must not
// fault that way: a writer queued between its first and second down_read
// would deadlock both (the futex/mmap_sem trap, DESIGN.md). It uses the
// `_inatomic` forms, which fail with EFAULT instead of resolving, then drops
// the lock, calls fault_in_user_page() and retries.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

namespace mm {

// True if [address, address + length) lies entirely in the user half.
bool user_range_ok(uint64_t address, uint64_t length);

k::Result<void> copy_from_user(void* destination, uint64_t user_source, size_t length);
k::Result<void> copy_to_user(uint64_t user_destination, const void* source, size_t length);
k::Result<void> clear_user(uint64_t user_destination, size_t length);

k::Result<void> copy_from_user_inatomic(void* destination, uint64_t user_source, size_t length);
k::Result<void> copy_to_user_inatomic(uint64_t user_destination, const void* source, size_t length);

// Copies a NUL-terminated string of at most `capacity - 1` characters plus
// its NUL. Returns the length without the NUL; ENAMETOOLONG (or `too_long`)
// if no NUL comes within capacity bytes.
k::Result<size_t> copy_string_from_user(char* destination, uint64_t user_source, size_t capacity,
                                        k::Errno too_long = k::Errno::enametoolong);

template <typename T> k::Result<T> get_user(uint64_t user_source) {
    T value;
    TRY(copy_from_user(&value, user_source, sizeof(T)));
    return value;
}
template <typename T> k::Result<void> put_user(uint64_t user_destination, const T& value) {
    return copy_to_user(user_destination, &value, sizeof(T));
}

// Atomic compare-and-exchange on a 32-bit user word (futexes, robust lists).
// Never sleeps; EFAULT if the page is not present and writable.
k::Result<uint32_t> user_cmpxchg32_inatomic(uint64_t user_address, uint32_t expected, uint32_t desired);

// Page faults resolve only while this thread's count is zero.
void pagefault_disable();
void pagefault_enable();
bool pagefaults_disabled();

// Makes the page at `address` present (writable if `write`) in the current
// address space, as a user access would: EFAULT if that is not allowed.
k::Result<void> fault_in_user_page(uint64_t address, bool write);

}  // namespace mm
