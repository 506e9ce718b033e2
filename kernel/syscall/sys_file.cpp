// File system calls: descriptors, vectored I/O, the initrd tree.
#include "kernel/fs/console_file.h"
#include "kernel/fs/file_table.h"
#include "kernel/fs/initrd_fs.h"
#include "kernel/fs/pipe.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/syscall/syscall.h"
#include "libk/string.h"

namespace syscall {

namespace {

constexpr int kAtFdCwd = -100;
constexpr int kAtSymlinkNoFollow = 0x100;
constexpr int kAtEmptyPath = 0x1000;
constexpr size_t kPathMax = 4096;

fs::FileTable& files() { return *proc::current_process()->files; }

// A File reference for the length of a call.
class FileRef {
public:
    explicit FileRef(fs::File* file) : file_(file) {}
    ~FileRef() {
        if (file_ != nullptr) file_->put();
    }
    FileRef(const FileRef&) = delete;
    FileRef& operator=(const FileRef&) = delete;
    fs::File* operator->() const { return file_; }
    fs::File& operator*() const { return *file_; }

private:
    fs::File* file_;
};

// The user's path, copied in (ENOENT for "", ENAMETOOLONG past PATH_MAX).
class PathBuffer {
public:
    PathBuffer() : text_(static_cast<char*>(mm::kmalloc(kPathMax))) {}
    ~PathBuffer() { mm::kfree(text_); }
    PathBuffer(const PathBuffer&) = delete;
    PathBuffer& operator=(const PathBuffer&) = delete;
    k::Result<void> copy_from(uint64_t user_path, bool allow_empty = false) {
        if (text_ == nullptr) return k::error(k::Errno::enomem);
        const size_t length = TRY(mm::copy_string_from_user(text_, user_path, kPathMax));
        if (length == 0 && !allow_empty) return k::error(k::Errno::enoent);
        return {};
    }
    const char* c_str() const { return text_; }

private:
    char* text_;
};

k::Result<const k::InitrdNode*> resolve_at(int dirfd, const char* path, bool follow) {
    const k::InitrdNode* start = proc::current_process()->cwd;
    if (path[0] != '/' && dirfd != kAtFdCwd) {
        fs::File* dir = TRY(files().get_file(dirfd));
        start = dir->initrd_node();
        const bool is_directory = dir->is_directory();
        dir->put();
        if (!is_directory || start == nullptr) return k::error(k::Errno::enotdir);
    }
    return fs::lookup_at(start, path, follow);
}

// Copies the user's iovec array in (EINVAL beyond IOV_MAX).
class VectorBuffer {
public:
    ~VectorBuffer() {
        if (vectors_ != inline_) mm::kfree(vectors_);
    }
    k::Result<void> copy_from(uint64_t user_vectors, uint64_t count) {
        if (count > fs::kMaxIoVecs) return k::error(k::Errno::einval);
        if (count > kInline) {
            vectors_ = static_cast<fs::IoVec*>(mm::kmalloc(count * sizeof(fs::IoVec)));
            if (vectors_ == nullptr) return k::error(k::Errno::enomem);
        }
        count_ = count;
        return mm::copy_from_user(vectors_, user_vectors, count * sizeof(fs::IoVec));
    }
    void single(uint64_t base, uint64_t length) {
        inline_[0] = {base, length};
        count_ = 1;
    }
    const fs::IoVec* data() const { return vectors_; }
    size_t count() const { return count_; }

private:
    static constexpr size_t kInline = 8;
    fs::IoVec inline_[kInline];
    fs::IoVec* vectors_ = inline_;
    size_t count_ = 0;
};

// The one path every read-like and write-like call takes.
enum class Direction { kRead, kWrite };
int64_t transfer(Direction direction, int fd, const VectorBuffer& vectors, int64_t explicit_offset) {
    auto got = files().get_file(fd);
    if (!got.ok()) return fail(got.error());
    FileRef file(got.value());
    // The whole buffer must be user memory before anything moves (Linux's
    // access_ok): EFAULT, or EINVAL if the lengths overflow.
    if (auto total = fs::total_length(vectors.data(), vectors.count()); !total.ok()) return fail(total.error());
    const bool reading = direction == Direction::kRead;
    if (reading ? !file->readable() : !file->writable()) return fail(k::Errno::ebadf);
    if (explicit_offset >= 0 && !file->seekable()) return fail(k::Errno::espipe);
    uint64_t explicit_position = static_cast<uint64_t>(explicit_offset);
    uint64_t& offset = explicit_offset >= 0 ? explicit_position : file->position;
    return result_of(reading ? file->read(vectors.data(), vectors.count(), offset)
                             : file->write(vectors.data(), vectors.count(), offset));
}
int64_t do_read(int fd, const VectorBuffer& vectors, int64_t offset) {
    return transfer(Direction::kRead, fd, vectors, offset);
}
int64_t do_write(int fd, const VectorBuffer& vectors, int64_t offset) {
    return transfer(Direction::kWrite, fd, vectors, offset);
}

int64_t open_at(int dirfd, uint64_t user_path, uint32_t flags) {
    PathBuffer path;
    if (auto copied = path.copy_from(user_path); !copied.ok()) return fail(copied.error());
    // /dev/console and /dev/tty name the console (there is no /dev yet).
    const k::StringView name(path.c_str());
    if (name == "/dev/console" || name == "/dev/tty") {
        auto console = fs::open_console();
        if (!console.ok()) return fail(console.error());
        return result_of(files().install(console.value(), flags & fs::kOpenCloseOnExec));
    }
    auto node = resolve_at(dirfd, path.c_str(), !(flags & fs::kOpenNoFollow));
    if (!node.ok()) {
        if (node.error() == k::Errno::enoent && (flags & fs::kOpenCreate)) return fail(k::Errno::erofs);
        return fail(node.error());
    }
    if (node.value()->is_symlink()) return fail(k::Errno::eloop);  // O_NOFOLLOW on a link
    auto file = fs::open_node(node.value(), flags);
    if (!file.ok()) return fail(file.error());
    auto fd = files().install(file.value(), flags & fs::kOpenCloseOnExec);
    if (!fd.ok()) file.value()->put();
    return result_of(fd);
}

int64_t stat_node_at(int dirfd, uint64_t user_path, uint64_t user_stat, int flags) {
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPath | 0x800 /* AT_NO_AUTOMOUNT */)) return fail(k::Errno::einval);
    PathBuffer path;
    if (auto copied = path.copy_from(user_path, flags & kAtEmptyPath); !copied.ok()) return fail(copied.error());
    fs::Stat stat;
    if (path.c_str()[0] == '\0') {
        auto got = files().get_file(dirfd);
        if (!got.ok()) return fail(got.error());
        FileRef file(got.value());
        if (auto s = file->stat(stat); !s.ok()) return fail(s.error());
    } else {
        auto node = resolve_at(dirfd, path.c_str(), !(flags & kAtSymlinkNoFollow));
        if (!node.ok()) return fail(node.error());
        fs::fill_stat(*node.value(), stat);
    }
    return result_of(mm::copy_to_user(user_stat, &stat, sizeof stat));
}

int64_t access_at(int dirfd, uint64_t user_path, int mode, int flags) {
    if (mode & ~7) return fail(k::Errno::einval);
    if (flags & ~(kAtSymlinkNoFollow | kAtEmptyPath | 0x200 /* AT_EACCESS */)) return fail(k::Errno::einval);
    PathBuffer path;
    if (auto copied = path.copy_from(user_path); !copied.ok()) return fail(copied.error());
    auto node = resolve_at(dirfd, path.c_str(), !(flags & kAtSymlinkNoFollow));
    if (!node.ok()) return fail(node.error());
    // We run as root: reads and writes are allowed by permission bits, but
    // the file system is read-only; executing needs some x bit.
    if ((mode & 2) != 0) return fail(k::Errno::erofs);
    if ((mode & 1) != 0 && (node.value()->mode & 0111) == 0) return fail(k::Errno::eacces);
    return 0;
}

int64_t make_pipe(uint64_t user_fds, uint32_t flags) {
    if (flags & ~(fs::kOpenCloseOnExec | fs::kOpenNonBlock | 040000 /* O_DIRECT */)) return fail(k::Errno::einval);
    auto ends = fs::create_pipe(flags);
    if (!ends.ok()) return fail(ends.error());
    const bool cloexec = flags & fs::kOpenCloseOnExec;
    auto read_fd = files().install(ends.value().read_end, cloexec);
    if (!read_fd.ok()) {
        ends.value().read_end->put();
        ends.value().write_end->put();
        return fail(read_fd.error());
    }
    auto write_fd = files().install(ends.value().write_end, cloexec);
    if (!write_fd.ok()) {
        (void)files().close(read_fd.value());
        ends.value().write_end->put();
        return fail(write_fd.error());
    }
    const int32_t fds[2] = {read_fd.value(), write_fd.value()};
    if (auto copied = mm::copy_to_user(user_fds, fds, sizeof fds); !copied.ok()) {
        (void)files().close(fds[0]);
        (void)files().close(fds[1]);
        return fail(copied.error());
    }
    return 0;
}

}  // namespace

int64_t sys_read(const Args& a, arch::InterruptFrame&) {
    VectorBuffer vectors;
    vectors.single(a.a1, a.a2);
    return do_read(static_cast<int>(a.a0), vectors, -1);
}
int64_t sys_write(const Args& a, arch::InterruptFrame&) {
    VectorBuffer vectors;
    vectors.single(a.a1, a.a2);
    return do_write(static_cast<int>(a.a0), vectors, -1);
}
int64_t sys_pread64(const Args& a, arch::InterruptFrame&) {
    if (static_cast<int64_t>(a.a3) < 0) return fail(k::Errno::einval);
    VectorBuffer vectors;
    vectors.single(a.a1, a.a2);
    return do_read(static_cast<int>(a.a0), vectors, static_cast<int64_t>(a.a3));
}
int64_t sys_pwrite64(const Args& a, arch::InterruptFrame&) {
    if (static_cast<int64_t>(a.a3) < 0) return fail(k::Errno::einval);
    VectorBuffer vectors;
    vectors.single(a.a1, a.a2);
    return do_write(static_cast<int>(a.a0), vectors, static_cast<int64_t>(a.a3));
}
int64_t sys_readv(const Args& a, arch::InterruptFrame&) {
    VectorBuffer vectors;
    if (auto copied = vectors.copy_from(a.a1, a.a2); !copied.ok()) return fail(copied.error());
    return do_read(static_cast<int>(a.a0), vectors, -1);
}
int64_t sys_writev(const Args& a, arch::InterruptFrame&) {
    VectorBuffer vectors;
    if (auto copied = vectors.copy_from(a.a1, a.a2); !copied.ok()) return fail(copied.error());
    return do_write(static_cast<int>(a.a0), vectors, -1);
}

int64_t sys_open(const Args& a, arch::InterruptFrame&) { return open_at(kAtFdCwd, a.a0, static_cast<uint32_t>(a.a1)); }
int64_t sys_openat(const Args& a, arch::InterruptFrame&) {
    return open_at(static_cast<int>(a.a0), a.a1, static_cast<uint32_t>(a.a2));
}
int64_t sys_close(const Args& a, arch::InterruptFrame&) { return result_of(files().close(static_cast<int>(a.a0))); }

int64_t sys_stat(const Args& a, arch::InterruptFrame&) { return stat_node_at(kAtFdCwd, a.a0, a.a1, 0); }
int64_t sys_lstat(const Args& a, arch::InterruptFrame&) {
    return stat_node_at(kAtFdCwd, a.a0, a.a1, kAtSymlinkNoFollow);
}
int64_t sys_newfstatat(const Args& a, arch::InterruptFrame&) {
    return stat_node_at(static_cast<int>(a.a0), a.a1, a.a2, static_cast<int>(a.a3));
}
int64_t sys_fstat(const Args& a, arch::InterruptFrame&) {
    auto got = files().get_file(static_cast<int>(a.a0));
    if (!got.ok()) return fail(got.error());
    FileRef file(got.value());
    fs::Stat stat;
    if (auto s = file->stat(stat); !s.ok()) return fail(s.error());
    return result_of(mm::copy_to_user(a.a1, &stat, sizeof stat));
}

int64_t sys_lseek(const Args& a, arch::InterruptFrame&) {
    auto got = files().get_file(static_cast<int>(a.a0));
    if (!got.ok()) return fail(got.error());
    FileRef file(got.value());
    if (!file->seekable()) return fail(k::Errno::espipe);
    const int64_t offset = static_cast<int64_t>(a.a1);
    int64_t base;
    switch (a.a2) {
        case 0: base = 0; break;                                        // SEEK_SET
        case 1: base = static_cast<int64_t>(file->position); break;     // SEEK_CUR
        case 2: base = static_cast<int64_t>(file->size()); break;       // SEEK_END
        default: return fail(k::Errno::einval);
    }
    int64_t target;
    if (__builtin_add_overflow(base, offset, &target)) return fail(k::Errno::eoverflow);
    if (target < 0) return fail(k::Errno::einval);
    file->position = static_cast<uint64_t>(target);
    return target;
}

int64_t sys_ioctl(const Args& a, arch::InterruptFrame&) {
    auto got = files().get_file(static_cast<int>(a.a0));
    if (!got.ok()) return fail(got.error());
    FileRef file(got.value());
    return result_of(file->ioctl(a.a1, a.a2));
}

int64_t sys_access(const Args& a, arch::InterruptFrame&) {
    return access_at(kAtFdCwd, a.a0, static_cast<int>(a.a1), 0);
}
int64_t sys_faccessat(const Args& a, arch::InterruptFrame&) {
    return access_at(static_cast<int>(a.a0), a.a1, static_cast<int>(a.a2), 0);
}
int64_t sys_faccessat2(const Args& a, arch::InterruptFrame&) {
    return access_at(static_cast<int>(a.a0), a.a1, static_cast<int>(a.a2), static_cast<int>(a.a3));
}

int64_t sys_pipe(const Args& a, arch::InterruptFrame&) { return make_pipe(a.a0, 0); }
int64_t sys_pipe2(const Args& a, arch::InterruptFrame&) { return make_pipe(a.a0, static_cast<uint32_t>(a.a1)); }

int64_t sys_dup(const Args& a, arch::InterruptFrame&) {
    auto got = files().get_file(static_cast<int>(a.a0));
    if (!got.ok()) return fail(got.error());
    auto fd = files().install(got.value(), false);
    if (!fd.ok()) got.value()->put();
    return result_of(fd);
}

namespace {
int64_t dup_to(int old_fd, int new_fd, uint32_t flags, bool dup2_semantics) {
    if (flags & ~fs::kOpenCloseOnExec) return fail(k::Errno::einval);
    auto got = files().get_file(old_fd);
    if (!got.ok()) return fail(got.error());
    if (old_fd == new_fd) {
        got.value()->put();
        // dup2 of an open fd onto itself does nothing; dup3 refuses.
        return dup2_semantics ? new_fd : fail(k::Errno::einval);
    }
    if (new_fd < 0 || new_fd >= fs::FileTable::kMaxFiles) {
        got.value()->put();
        return fail(k::Errno::ebadf);
    }
    return result_of(files().install_at(new_fd, got.value(), flags & fs::kOpenCloseOnExec));
}
}  // namespace

int64_t sys_dup2(const Args& a, arch::InterruptFrame&) {
    return dup_to(static_cast<int>(a.a0), static_cast<int>(a.a1), 0, true);
}
int64_t sys_dup3(const Args& a, arch::InterruptFrame&) {
    return dup_to(static_cast<int>(a.a0), static_cast<int>(a.a1), static_cast<uint32_t>(a.a2), false);
}

int64_t sys_fcntl(const Args& a, arch::InterruptFrame&) {
    constexpr int kDupFd = 0, kGetFd = 1, kSetFd = 2, kGetFl = 3, kSetFl = 4, kDupFdCloexec = 1030;
    const int fd = static_cast<int>(a.a0);
    auto got = files().get_file(fd);
    if (!got.ok()) return fail(got.error());
    FileRef file(got.value());
    switch (static_cast<int>(a.a1)) {
        case kDupFd:
        case kDupFdCloexec: {
            const int64_t minimum = static_cast<int64_t>(a.a2);
            if (minimum < 0 || minimum >= fs::FileTable::kMaxFiles) return fail(k::Errno::einval);
            file->get();
            auto new_fd = files().install(&*file, static_cast<int>(a.a1) == kDupFdCloexec, static_cast<int>(minimum));
            if (!new_fd.ok()) file->put();
            return result_of(new_fd);
        }
        case kGetFd: {
            auto on = files().close_on_exec(fd);
            if (!on.ok()) return fail(on.error());
            return on.value() ? 1 : 0;
        }
        case kSetFd: return result_of(files().set_close_on_exec(fd, (a.a2 & 1) != 0));
        case kGetFl: return file->status_flags;
        case kSetFl: {
            // Only O_APPEND and O_NONBLOCK can change (fcntl(2)).
            constexpr uint32_t kChangeable = fs::kOpenAppend | fs::kOpenNonBlock;
            file->status_flags = (file->status_flags & ~kChangeable) | (static_cast<uint32_t>(a.a2) & kChangeable);
            return 0;
        }
        default: return fail(k::Errno::einval);
    }
}

int64_t sys_getdents64(const Args& a, arch::InterruptFrame&) {
    auto got = files().get_file(static_cast<int>(a.a0));
    if (!got.ok()) return fail(got.error());
    FileRef file(got.value());
    if (!mm::user_range_ok(a.a1, a.a2)) return fail(k::Errno::efault);
    return result_of(file->read_directory(a.a1, a.a2, file->position));
}

int64_t sys_getcwd(const Args& a, arch::InterruptFrame&) {
    // Walk up from the working directory, building the path from its end.
    char path[kPathMax];
    size_t start = sizeof path - 1;
    path[start] = '\0';
    const k::InitrdNode* node = proc::current_process()->cwd;
    for (unsigned depth = 0; node != nullptr && node->parent != node && depth < 256; ++depth) {
        if (start < node->name.size() + 1) return fail(k::Errno::enametoolong);
        start -= node->name.size();
        memcpy(path + start, node->name.data(), node->name.size());
        path[--start] = '/';
        node = node->parent;
    }
    if (start == sizeof path - 1) path[--start] = '/';
    const size_t length = sizeof path - start;  // with the NUL
    if (a.a1 < length) return fail(k::Errno::erange);
    if (auto copied = mm::copy_to_user(a.a0, path + start, length); !copied.ok()) return fail(copied.error());
    return static_cast<int64_t>(length);
}

int64_t sys_chdir(const Args& a, arch::InterruptFrame&) {
    PathBuffer path;
    if (auto copied = path.copy_from(a.a0); !copied.ok()) return fail(copied.error());
    auto node = resolve_at(kAtFdCwd, path.c_str(), true);
    if (!node.ok()) return fail(node.error());
    if (!node.value()->is_directory()) return fail(k::Errno::enotdir);
    proc::current_process()->cwd = node.value();
    return 0;
}

}  // namespace syscall
