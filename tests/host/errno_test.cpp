#include "libk/errno.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

namespace {

// Every enumerator of k::Errno with the host's macro of the same name. The
// host is Linux, so its <errno.h> values are the ones the kernel promises.
// (Stringizing with # does not expand the macro: #EPERM is "EPERM".)
#define FOR_EACH_ERRNO(X) \
    X(eperm, EPERM) \
    X(enoent, ENOENT) \
    X(esrch, ESRCH) \
    X(eintr, EINTR) \
    X(eio, EIO) \
    X(enxio, ENXIO) \
    X(e2big, E2BIG) \
    X(enoexec, ENOEXEC) \
    X(ebadf, EBADF) \
    X(echild, ECHILD) \
    X(eagain, EAGAIN) \
    X(enomem, ENOMEM) \
    X(eacces, EACCES) \
    X(efault, EFAULT) \
    X(ebusy, EBUSY) \
    X(eexist, EEXIST) \
    X(enodev, ENODEV) \
    X(enotdir, ENOTDIR) \
    X(eisdir, EISDIR) \
    X(einval, EINVAL) \
    X(enfile, ENFILE) \
    X(emfile, EMFILE) \
    X(enotty, ENOTTY) \
    X(efbig, EFBIG) \
    X(enospc, ENOSPC) \
    X(espipe, ESPIPE) \
    X(erofs, EROFS) \
    X(epipe, EPIPE) \
    X(edom, EDOM) \
    X(erange, ERANGE) \
    X(edeadlk, EDEADLK) \
    X(enametoolong, ENAMETOOLONG) \
    X(enosys, ENOSYS) \
    X(enotempty, ENOTEMPTY) \
    X(eloop, ELOOP) \
    X(eoverflow, EOVERFLOW) \
    X(eopnotsupp, EOPNOTSUPP) \
    X(etimedout, ETIMEDOUT) \
    X(eownerdead, EOWNERDEAD) \
    X(enotrecoverable, ENOTRECOVERABLE)

TEST(Errno, EveryValueHasItsUpperCaseName) {
#define EXPECT_NAMED(value, NAME) EXPECT_STREQ(k::errno_name(k::Errno::value), #NAME);
    FOR_EACH_ERRNO(EXPECT_NAMED)
#undef EXPECT_NAMED
}

TEST(Errno, ValuesAreLinuxValues) {
#define EXPECT_LINUX_VALUE(value, NAME) EXPECT_EQ(static_cast<int>(k::Errno::value), NAME) << #NAME;
    FOR_EACH_ERRNO(EXPECT_LINUX_VALUE)
#undef EXPECT_LINUX_VALUE
}

TEST(Errno, UnknownValuesAreQuestionMarks) {
    EXPECT_STREQ(k::errno_name(static_cast<k::Errno>(0)), "E?");
    EXPECT_STREQ(k::errno_name(static_cast<k::Errno>(-22)), "E?");
    EXPECT_STREQ(k::errno_name(static_cast<k::Errno>(ENOTBLK)), "E?");  // not used by the kernel
    EXPECT_STREQ(k::errno_name(static_cast<k::Errno>(4095)), "E?");
}

TEST(Errno, NamesAgreeWithTheHostAcrossTheWholeRange) {
    // Scanning by number: each number the kernel knows gets the name the
    // host C library gives it, every other number "E?", no name twice.
    std::set<int> known = {
#define LIST_VALUE(value, NAME) NAME,
        FOR_EACH_ERRNO(LIST_VALUE)
#undef LIST_VALUE
    };
    ASSERT_EQ(known.size(), 40u);
    std::set<std::string> seen;
    for (int value = -5; value < 300; ++value) {
        std::string name = k::errno_name(static_cast<k::Errno>(value));
        if (known.count(value) == 0) {
            EXPECT_EQ(name, "E?") << value;
            continue;
        }
        EXPECT_TRUE(seen.insert(name).second) << name << " named twice";
        EXPECT_STREQ(strerrorname_np(value), name.c_str()) << value;
    }
    EXPECT_EQ(seen.size(), known.size());
}

}  // namespace
