// uname, getrandom.
#include "kernel/mm/user_access.h"
#include "kernel/random.h"
#include "kernel/syscall/syscall.h"
#include "libk/string.h"

namespace syscall {

int64_t sys_uname(const Args& a, arch::InterruptFrame&) {
    // struct utsname: six fields of 65 bytes.
    char fields[6][65] = {};
    const char* values[6] = {"TeachOS", "teachos", "0.5.0", "#1 SMP PREEMPT", "x86_64", "(none)"};
    for (int i = 0; i < 6; ++i) memcpy(fields[i], values[i], strlen(values[i]));
    return result_of(mm::copy_to_user(a.a0, fields, sizeof fields));
}

int64_t sys_getrandom(const Args& a, arch::InterruptFrame&) {
    constexpr uint32_t kNonBlock = 1, kRandom = 2, kInsecure = 4;
    if (a.a2 & ~(kNonBlock | kRandom | kInsecure)) return fail(k::Errno::einval);
    if ((a.a2 & kRandom) && (a.a2 & kInsecure)) return fail(k::Errno::einval);
    // At most 32 MiB per call, like Linux; chunks through a kernel buffer.
    const size_t length = a.a1 < (size_t{32} << 20) ? a.a1 : (size_t{32} << 20);
    uint8_t buffer[256];
    size_t done = 0;
    while (done < length) {
        const size_t chunk = length - done < sizeof buffer ? length - done : sizeof buffer;
        kernel::random_bytes(buffer, chunk);
        if (auto put = mm::copy_to_user(a.a0 + done, buffer, chunk); !put.ok()) {
            return done > 0 ? static_cast<int64_t>(done) : fail(put.error());
        }
        done += chunk;
    }
    return static_cast<int64_t>(done);
}

}  // namespace syscall
