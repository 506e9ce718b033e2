#include "kernel/mm/user_access.h"

#include "arch/x86_64/user_mode.h"
#include "kernel/mm/address_space.h"
#include "kernel/sched/scheduler.h"
#include "libk/string.h"

namespace mm {

bool user_range_ok(uint64_t address, uint64_t length) {
    return address <= arch::kUserTop && length <= arch::kUserTop - address;
}

k::Result<void> copy_from_user(void* destination, uint64_t user_source, size_t length) {
    if (!user_range_ok(user_source, length)) return k::error(k::Errno::efault);
    if (arch_copy_user(destination, reinterpret_cast<const void*>(user_source), length) != 0) {
        return k::error(k::Errno::efault);
    }
    return {};
}

k::Result<void> copy_to_user(uint64_t user_destination, const void* source, size_t length) {
    if (!user_range_ok(user_destination, length)) return k::error(k::Errno::efault);
    if (arch_copy_user(reinterpret_cast<void*>(user_destination), source, length) != 0) {
        return k::error(k::Errno::efault);
    }
    return {};
}

k::Result<void> clear_user(uint64_t user_destination, size_t length) {
    static const uint8_t zeros[256] = {};
    while (length > 0) {
        const size_t chunk = length < sizeof zeros ? length : sizeof zeros;
        TRY(copy_to_user(user_destination, zeros, chunk));
        user_destination += chunk;
        length -= chunk;
    }
    return {};
}

k::Result<void> copy_from_user_inatomic(void* destination, uint64_t user_source, size_t length) {
    pagefault_disable();
    auto result = copy_from_user(destination, user_source, length);
    pagefault_enable();
    return result;
}

k::Result<void> copy_to_user_inatomic(uint64_t user_destination, const void* source, size_t length) {
    pagefault_disable();
    auto result = copy_to_user(user_destination, source, length);
    pagefault_enable();
    return result;
}

k::Result<size_t> copy_string_from_user(char* destination, uint64_t user_source, size_t capacity, k::Errno too_long) {
    // Copy up to each page boundary at a time: a string may end just before
    // an unmapped page, and reading past its NUL must not fail the call.
    size_t copied = 0;
    while (copied < capacity) {
        const uint64_t address = user_source + copied;
        if (address < user_source || !user_range_ok(address, 1)) return k::error(k::Errno::efault);
        size_t chunk = kPageSize - (address & (kPageSize - 1));
        if (chunk > capacity - copied) chunk = capacity - copied;
        TRY(copy_from_user(destination + copied, address, chunk));
        const void* nul = memchr(destination + copied, 0, chunk);
        if (nul != nullptr) return static_cast<size_t>(static_cast<const char*>(nul) - destination);
        copied += chunk;
    }
    return k::error(too_long);
}

k::Result<uint32_t> user_cmpxchg32_inatomic(uint64_t user_address, uint32_t expected, uint32_t desired) {
    if ((user_address & 3) != 0) return k::error(k::Errno::einval);
    if (!user_range_ok(user_address, 4)) return k::error(k::Errno::efault);
    uint32_t old = 0;
    pagefault_disable();
    const int status = arch_user_cmpxchg32(reinterpret_cast<uint32_t*>(user_address), expected, desired, &old);
    pagefault_enable();
    if (status != 0) return k::error(k::Errno::efault);
    return old;
}

void pagefault_disable() { ++sched::current_thread()->pagefault_disabled; }
void pagefault_enable() { --sched::current_thread()->pagefault_disabled; }
bool pagefaults_disabled() { return sched::current_thread()->pagefault_disabled != 0; }

k::Result<void> fault_in_user_page(uint64_t address, bool write) {
    AddressSpace* space = current_address_space();
    if (space == nullptr || !user_range_ok(address, 1)) return k::error(k::Errno::efault);
    const FaultResult result = space->handle_fault(address, write ? FaultAccess::Write : FaultAccess::Read);
    if (result == FaultResult::Resolved) return {};
    return k::error(result == FaultResult::OutOfMemory ? k::Errno::enomem : k::Errno::efault);
}

}  // namespace mm
