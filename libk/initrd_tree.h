#pragma once
// A read-only directory tree over the initrd (a newc cpio archive, read with
// libk/cpio.h), for the file system to serve open(), stat() and getdents64()
// from. The archive stays where the boot loader put it: node names, file
// contents and symlink targets are pointers into it, nothing is copied.
//
// The tree does not allocate. The kernel asks count_nodes() how many nodes
// the archive needs, allocates that many (kmalloc), and build() fills them:
//
//   size_t count = TRY(InitrdTree::count_nodes(archive, size));
//   auto* nodes = static_cast<InitrdNode*>(kmalloc(count * sizeof(InitrdNode)));
//   TRY(tree.build(archive, size, nodes, count));
//
// What the archive means (mostly as Linux's initramfs unpacking has it,
// init/initramfs.c; differences are noted):
//   * Entry names are paths relative to the root ("bin/sh"; the reader
//     already dropped a leading "./" or "/"). Empty components and "." are
//     ignored ("a//b/./c" is "a/b/c"); "." or "" alone is the root itself,
//     whose mode a directory entry sets.
//   * A directory that a path needs but the archive does not list is made up
//     ("synthesized") with mode 040555.
//   * The same path twice: the later entry wins (its mode, type, data).
//   * Skipped, and counted in skipped_entries(): an entry with ".." in its
//     name, a component longer than 255 bytes, an unknown file type, a
//     non-directory for the root, and every entry below a path whose final
//     entry is not a directory (a file "a" and a file "a/b": Linux's unpacker
//     fails to create "a/b" too). Which entry is final does not depend on
//     order: "a/b" then a file "a" drops "a/b" (Linux would keep the
//     directory "a" when it is not empty).
//   * Hard links (newc's shared inode numbers) are not merged: each name is
//     its own node, with the data its entry carries. Device numbers are not
//     kept.
#include <stddef.h>
#include <stdint.h>

#include "libk/cpio.h"
#include "libk/result.h"
#include "libk/string_view.h"

namespace k {

struct InitrdNode {
    StringView name;                  // the last path component, in the archive; empty for the root
    uint32_t mode = 0;                // st_mode: type and permission bits
    size_t size = 0;                  // file length, symlink target length; 0 for a directory
    const uint8_t* data = nullptr;    // `size` bytes in the archive
    uint64_t ino = 0;                 // unique in the tree, the same every build of the same archive; root 1
    InitrdNode* parent = nullptr;     // the root is its own parent ("/.." is "/")
    InitrdNode* first_child = nullptr;   // children are sorted by name (bytewise)
    InitrdNode* next_sibling = nullptr;
    bool synthesized = false;         // a directory with no entry of its own in the archive

    bool is_directory() const { return (mode & CpioEntry::kTypeMask) == CpioEntry::kTypeDirectory; }
    bool is_regular() const { return (mode & CpioEntry::kTypeMask) == CpioEntry::kTypeRegular; }
    bool is_symlink() const { return (mode & CpioEntry::kTypeMask) == CpioEntry::kTypeSymlink; }
    // A symlink's target (newc stores it as the file data, without a NUL).
    StringView link_target() const {
        return is_symlink() ? StringView(reinterpret_cast<const char*>(data), size) : StringView();
    }
};

class InitrdTree {
public:
    // Linux's limits (include/uapi/linux/limits.h): NAME_MAX bytes per
    // component, PATH_MAX bytes per path including its NUL, and at most
    // MAXSYMLINKS symlinks followed in one lookup (include/linux/namei.h).
    static constexpr size_t kNameMax = 255;
    static constexpr size_t kPathMax = 4096;
    static constexpr size_t kMaxSymlinkFollows = 40;
    // Mode of a directory the archive implies but does not list.
    static constexpr uint32_t kSynthesizedDirectoryMode = CpioEntry::kTypeDirectory | 0555;

    // The number of nodes build() needs for this archive: the root, one per
    // distinct path in it and one per synthesized directory (plus, only for
    // archives that put entries below a file, the nodes of those dropped
    // entries). EINVAL for a malformed archive. Quadratic in the number of
    // entries: it has no memory to remember paths in, so it re-reads the
    // archive to see whether a path came before.
    static Result<size_t> count_nodes(const void* archive, size_t size);

    // Builds the tree in nodes[0, capacity). The archive must outlive the
    // tree. EINVAL for a malformed archive, ENOMEM if capacity is below
    // count_nodes(). On failure the tree is empty (root() is nullptr).
    Result<void> build(const void* archive, size_t size, InitrdNode* nodes, size_t capacity);

    const InitrdNode* root() const { return nodes_; }
    size_t node_count() const { return used_; }
    // Archive entries that are not in the tree (see the top of this file).
    size_t skipped_entries() const { return skipped_; }

    // Resolves `path` as the kernel's path walk does: '/'-separated
    // components, repeated slashes ignored, '.' and '..' (the root's '..' is
    // the root), absolute paths from the root, relative ones from
    // `start_dir` (nullptr: the root). Symlinks are followed wherever they
    // occur, relative ones from the directory holding the link, at most 40
    // per lookup (then ELOOP). A trailing slash requires a directory.
    // Errors: ENOENT (a missing component, an empty path or symlink target),
    // ENOTDIR (a non-directory where a directory is needed), ENAMETOOLONG
    // (a component over 255 bytes, a path or link target of 4096 or more).
    Result<const InitrdNode*> lookup(const InitrdNode* start_dir, StringView path) const;
    // The same, except that a symlink as the final component is returned
    // itself (lstat(), O_NOFOLLOW). A trailing slash still follows it, as in
    // Linux ("link/" means the directory the link points to).
    Result<const InitrdNode*> lookup_no_follow(const InitrdNode* start_dir, StringView path) const;

    // The index-th child of `dir` in name order, nullptr past the last (for
    // getdents64, whose position can be this index). O(index).
    static const InitrdNode* child_at(const InitrdNode* dir, size_t index);

private:
    Result<const InitrdNode*> resolve(const InitrdNode* start_dir, StringView path, bool follow_final) const;
    void prune_below_non_directories();

    InitrdNode* nodes_ = nullptr;
    size_t used_ = 0;
    size_t skipped_ = 0;
};

}  // namespace k
