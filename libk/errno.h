#pragma once
// Error numbers, with Linux's x86-64 values: the system-call layer returns
// -errno to user space unchanged, so kernel code uses these everywhere.
//
// The names are Linux's, in lower case: `Errno::enomem` is ENOMEM. Upper
// case is impossible here because the host tests also include the C
// library's <errno.h>, whose ENOMEM macro would turn `Errno::ENOMEM` into
// `Errno::12`. errno_name() gives the usual upper-case spelling.

namespace k {

enum class Errno : int {
    eperm = 1,
    enoent = 2,
    esrch = 3,
    eintr = 4,
    eio = 5,
    enxio = 6,
    e2big = 7,
    enoexec = 8,
    ebadf = 9,
    echild = 10,
    eagain = 11,
    enomem = 12,
    eacces = 13,
    efault = 14,
    ebusy = 16,
    eexist = 17,
    enodev = 19,
    enotdir = 20,
    eisdir = 21,
    einval = 22,
    enfile = 23,
    emfile = 24,
    enotty = 25,
    efbig = 27,
    enospc = 28,
    espipe = 29,
    erofs = 30,
    epipe = 32,
    edom = 33,
    erange = 34,
    edeadlk = 35,
    enametoolong = 36,
    enosys = 38,
    enotempty = 39,
    eloop = 40,
    eoverflow = 75,
    eopnotsupp = 95,
    etimedout = 110,
    eownerdead = 130,
    enotrecoverable = 131,
};

const char* errno_name(Errno e);

}  // namespace k
