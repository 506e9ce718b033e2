#include "kernel/fs/initrd_fs.h"

#include "kernel/boot_info.h"
#include "kernel/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/user_access.h"
#include "libk/new.h"
#include "libk/string.h"

namespace fs {

namespace {

k::InitrdTree tree;
k::InitrdNode empty_root;
bool have_tree = false;

class InitrdFile final : public File {
public:
    explicit InitrdFile(const k::InitrdNode* node) : node_(node) {}

    k::Result<size_t> read(const IoVec* vectors, size_t count, uint64_t& offset) override {
        if (node_->is_directory()) return k::error(k::Errno::eisdir);
        size_t done = 0;
        for (size_t i = 0; i < count && offset < node_->size; ++i) {
            const size_t chunk = k::min<uint64_t>(vectors[i].length, node_->size - offset);
            if (chunk == 0) continue;
            auto copied = mm::copy_to_user(vectors[i].base, node_->data + offset, chunk);
            if (!copied.ok()) {
                if (done == 0) return k::error(copied.error());
                break;
            }
            offset += chunk;
            done += chunk;
        }
        return done;
    }
    k::Result<size_t> write(const IoVec*, size_t, uint64_t&) override { return k::error(k::Errno::ebadf); }
    k::Result<void> stat(Stat& out) override {
        fill_stat(*node_, out);
        return {};
    }
    k::Result<size_t> read_directory(uint64_t user_buffer, size_t length, uint64_t& position) override;
    bool seekable() const override { return true; }
    uint64_t size() const override { return node_->size; }
    const uint8_t* memory_contents() const override { return node_->is_regular() ? node_->data : nullptr; }
    bool is_directory() const override { return node_->is_directory(); }
    const k::InitrdNode* initrd_node() const override { return node_; }

private:
    void destroy() override {
        this->~InitrdFile();
        mm::kfree(this);
    }
    const k::InitrdNode* node_;
};

// struct linux_dirent64: ino, off, reclen, type, name (NUL-terminated),
// padded to 8 bytes.
k::Result<size_t> InitrdFile::read_directory(uint64_t user_buffer, size_t length, uint64_t& position) {
    if (!node_->is_directory()) return k::error(k::Errno::enotdir);
    size_t used = 0;
    uint8_t record[8 + 8 + 2 + 1 + 256 + 8];
    for (;;) {
        // Positions 0 and 1 are "." and ".."; then the children.
        const k::InitrdNode* entry = nullptr;
        k::StringView name;
        if (position == 0) {
            entry = node_;
            name = ".";
        } else if (position == 1) {
            entry = node_->parent != nullptr ? node_->parent : node_;
            name = "..";
        } else {
            entry = k::InitrdTree::child_at(node_, position - 2);
            if (entry == nullptr) break;
            name = entry->name;
        }
        const size_t record_length = (8 + 8 + 2 + 1 + name.size() + 1 + 7) & ~size_t{7};
        if (used + record_length > length) {
            if (used == 0) return k::error(k::Errno::einval);  // buffer too small for one entry
            break;
        }
        memset(record, 0, record_length);
        const uint64_t ino = entry->ino;
        const uint64_t next = position + 1;
        const uint16_t reclen = static_cast<uint16_t>(record_length);
        const uint8_t type = entry->is_directory() ? 4 : entry->is_symlink() ? 10 : 8;  // DT_DIR, DT_LNK, DT_REG
        memcpy(record, &ino, 8);
        memcpy(record + 8, &next, 8);
        memcpy(record + 16, &reclen, 2);
        record[18] = type;
        memcpy(record + 19, name.data(), name.size());
        TRY(mm::copy_to_user(user_buffer + used, record, record_length));
        used += record_length;
        ++position;
    }
    return used;
}

}  // namespace

void initrd_fs_init() {
    empty_root.mode = k::InitrdTree::kSynthesizedDirectoryMode;
    empty_root.ino = 1;
    empty_root.parent = &empty_root;
    const k::BootInfo& info = kernel::boot_info();
    if (info.module_count == 0) {
        log_info("fs: no initrd");
        return;
    }
    const k::BootModule& module = info.modules[0];
    const void* archive = mm::phys_to_virt(module.phys_start);
    const size_t size = module.phys_end - module.phys_start;
    auto count = k::InitrdTree::count_nodes(archive, size);
    if (!count.ok()) {
        log_error("fs: the initrd is not a valid newc cpio archive");
        return;
    }
    auto nodes = static_cast<k::InitrdNode*>(mm::kzalloc(count.value() * sizeof(k::InitrdNode)));
    if (nodes == nullptr || !tree.build(archive, size, nodes, count.value()).ok()) {
        log_error("fs: cannot build the initrd tree");
        return;
    }
    have_tree = true;
    log_info("fs: initrd with %lu entries", tree.node_count());
}

k::Result<const k::InitrdNode*> lookup(k::StringView path, bool follow_final_symlink) {
    return lookup_at(nullptr, path, follow_final_symlink);
}

k::Result<const k::InitrdNode*> lookup_at(const k::InitrdNode* start, k::StringView path, bool follow_final_symlink) {
    if (path.empty()) return k::error(k::Errno::enoent);
    if (!have_tree) {
        if (path == "/" || path == ".") return &empty_root;
        return k::error(k::Errno::enoent);
    }
    if (start == nullptr) start = tree.root();
    return follow_final_symlink ? tree.lookup(start, path) : tree.lookup_no_follow(start, path);
}

const k::InitrdNode* root_node() { return have_tree ? tree.root() : &empty_root; }

k::Result<File*> open_node(const k::InitrdNode* node, uint32_t flags) {
    // The node exists: O_CREAT|O_EXCL fails first (open(2)).
    if ((flags & kOpenCreate) && (flags & kOpenExclusive)) return k::error(k::Errno::eexist);
    if ((flags & kOpenAccessMask) != kOpenReadOnly || (flags & (kOpenCreate | kOpenTruncate))) {
        // A read-only file system: Linux says EISDIR for a directory opened
        // for writing, EROFS for everything else.
        if (node->is_directory() && (flags & kOpenAccessMask) != kOpenReadOnly) return k::error(k::Errno::eisdir);
        return k::error(k::Errno::erofs);
    }
    if ((flags & kOpenDirectory) && !node->is_directory()) return k::error(k::Errno::enotdir);
    void* memory = mm::kzalloc(sizeof(InitrdFile));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    File* file = new (memory) InitrdFile(node);
    file->status_flags = flags & (kOpenAccessMask | kOpenNonBlock | kOpenAppend);
    return file;
}

void fill_stat(const k::InitrdNode& node, Stat& out) {
    out = Stat{};
    out.dev = 1;
    out.ino = node.ino;
    out.nlink = node.is_directory() ? 2 : 1;
    out.mode = node.mode;
    out.size = static_cast<int64_t>(node.size);
    out.blksize = 4096;
    out.blocks = static_cast<int64_t>((node.size + 511) / 512);
}

}  // namespace fs
