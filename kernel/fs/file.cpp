#include "kernel/fs/file.h"

#include "kernel/mm/user_access.h"

namespace fs {

k::Result<size_t> File::read(const IoVec*, size_t, uint64_t&) { return k::error(k::Errno::einval); }
k::Result<size_t> File::write(const IoVec*, size_t, uint64_t&) { return k::error(k::Errno::einval); }
k::Result<void> File::stat(Stat& out) {
    out = Stat{};
    out.nlink = 1;
    out.blksize = 4096;
    return {};
}
k::Result<size_t> File::read_directory(uint64_t, size_t, uint64_t&) { return k::error(k::Errno::enotdir); }
k::Result<int64_t> File::ioctl(uint64_t, uint64_t) { return k::error(k::Errno::enotty); }

void File::put() {
    if (__atomic_sub_fetch(&references_, 1, __ATOMIC_ACQ_REL) == 0) destroy();
}

k::Result<size_t> total_length(const IoVec* vectors, size_t count) {
    uint64_t total = 0;
    for (size_t i = 0; i < count; ++i) {
        if (vectors[i].length > (uint64_t{1} << 63) - 1 - total) return k::error(k::Errno::einval);
        total += vectors[i].length;
        if (vectors[i].length != 0 && !mm::user_range_ok(vectors[i].base, vectors[i].length)) {
            return k::error(k::Errno::efault);
        }
    }
    return static_cast<size_t>(total);
}

}  // namespace fs
