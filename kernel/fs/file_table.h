#pragma once
// A process's file descriptors: small integers naming open files, with the
// close-on-exec flag kept per descriptor (not per file), as POSIX says.
#include <stddef.h>
#include <stdint.h>

#include "kernel/fs/file.h"
#include "kernel/sync/spinlock.h"
#include "libk/result.h"

namespace fs {

class FileTable {
public:
    static constexpr int kMaxFiles = 256;  // RLIMIT_NOFILE, fixed

    static k::Result<FileTable*> create();
    k::Result<FileTable*> duplicate();  // for fork: same files, one more reference each
    void get() { __atomic_fetch_add(&references_, 1, __ATOMIC_RELAXED); }
    void put();

    // The file at `fd` with a reference for the caller (who must put() it),
    // EBADF if none.
    k::Result<File*> get_file(int fd);
    // Installs `file` (taking over the caller's reference) at the lowest
    // free descriptor >= minimum; EMFILE if there is none.
    k::Result<int> install(File* file, bool close_on_exec, int minimum = 0);
    // dup2/dup3: `file` (a new reference) at exactly `fd`, closing what was there.
    k::Result<int> install_at(int fd, File* file, bool close_on_exec);
    k::Result<void> close(int fd);
    k::Result<bool> close_on_exec(int fd);
    k::Result<void> set_close_on_exec(int fd, bool on);
    void close_all_on_exec();

private:
    FileTable() = default;
    ~FileTable() = default;

    uint32_t references_ = 1;
    ksync::SpinLock lock_;  // interrupts off while held
    File* files_[kMaxFiles] = {};
    bool close_on_exec_[kMaxFiles] = {};
};

}  // namespace fs
