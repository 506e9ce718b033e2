#include "kernel/fs/file_table.h"

#include "kernel/mm/kmalloc.h"
#include "kernel/sync/guards.h"
#include "libk/new.h"

namespace fs {

k::Result<FileTable*> FileTable::create() {
    void* memory = mm::kzalloc(sizeof(FileTable));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    return new (memory) FileTable();
}

k::Result<FileTable*> FileTable::duplicate() {
    FileTable* copy = TRY(create());
    kernel::SpinLockIrqSave guard(lock_);
    for (int fd = 0; fd < kMaxFiles; ++fd) {
        if (files_[fd] == nullptr) continue;
        files_[fd]->get();
        copy->files_[fd] = files_[fd];
        copy->close_on_exec_[fd] = close_on_exec_[fd];
    }
    return copy;
}

void FileTable::put() {
    if (__atomic_sub_fetch(&references_, 1, __ATOMIC_ACQ_REL) != 0) return;
    for (int fd = 0; fd < kMaxFiles; ++fd) {
        if (files_[fd] != nullptr) files_[fd]->put();
    }
    this->~FileTable();
    mm::kfree(this);
}

k::Result<File*> FileTable::get_file(int fd) {
    if (fd < 0 || fd >= kMaxFiles) return k::error(k::Errno::ebadf);
    kernel::SpinLockIrqSave guard(lock_);
    File* file = files_[fd];
    if (file == nullptr) return k::error(k::Errno::ebadf);
    file->get();
    return file;
}

k::Result<int> FileTable::install(File* file, bool close_on_exec, int minimum) {
    if (minimum < 0 || minimum >= kMaxFiles) return k::error(k::Errno::einval);
    kernel::SpinLockIrqSave guard(lock_);
    for (int fd = minimum; fd < kMaxFiles; ++fd) {
        if (files_[fd] != nullptr) continue;
        files_[fd] = file;
        close_on_exec_[fd] = close_on_exec;
        return fd;
    }
    return k::error(k::Errno::emfile);
}

k::Result<int> FileTable::install_at(int fd, File* file, bool close_on_exec) {
    if (fd < 0 || fd >= kMaxFiles) return k::error(k::Errno::ebadf);
    File* old;
    {
        kernel::SpinLockIrqSave guard(lock_);
        old = files_[fd];
        files_[fd] = file;
        close_on_exec_[fd] = close_on_exec;
    }
    // Outside the lock: the last put of a pipe end wakes and may sleep-free.
    if (old != nullptr) old->put();
    return fd;
}

k::Result<void> FileTable::close(int fd) {
    if (fd < 0 || fd >= kMaxFiles) return k::error(k::Errno::ebadf);
    File* file;
    {
        kernel::SpinLockIrqSave guard(lock_);
        file = files_[fd];
        if (file == nullptr) return k::error(k::Errno::ebadf);
        files_[fd] = nullptr;
        close_on_exec_[fd] = false;
    }
    file->put();
    return {};
}

k::Result<bool> FileTable::close_on_exec(int fd) {
    if (fd < 0 || fd >= kMaxFiles) return k::error(k::Errno::ebadf);
    kernel::SpinLockIrqSave guard(lock_);
    if (files_[fd] == nullptr) return k::error(k::Errno::ebadf);
    return close_on_exec_[fd];
}

k::Result<void> FileTable::set_close_on_exec(int fd, bool on) {
    if (fd < 0 || fd >= kMaxFiles) return k::error(k::Errno::ebadf);
    kernel::SpinLockIrqSave guard(lock_);
    if (files_[fd] == nullptr) return k::error(k::Errno::ebadf);
    close_on_exec_[fd] = on;
    return {};
}

void FileTable::close_all_on_exec() {
    for (int fd = 0; fd < kMaxFiles; ++fd) {
        File* file = nullptr;
        {
            kernel::SpinLockIrqSave guard(lock_);
            if (files_[fd] != nullptr && close_on_exec_[fd]) {
                file = files_[fd];
                files_[fd] = nullptr;
                close_on_exec_[fd] = false;
            }
        }
        if (file != nullptr) file->put();
    }
}

}  // namespace fs
