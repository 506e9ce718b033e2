#pragma once
// The initrd as a read-only file tree (libk/initrd_tree.h over the cpio
// archive the boot loader left in memory), and its open files.
#include <stddef.h>

#include "kernel/fs/file.h"
#include "libk/initrd_tree.h"
#include "libk/result.h"
#include "libk/string_view.h"

namespace fs {

// Builds the tree from the first boot module. Without an initrd the tree
// holds only "/".
void initrd_fs_init();

// Resolves `path`: absolute, or relative to `start` (nullptr: the root).
k::Result<const k::InitrdNode*> lookup(k::StringView path, bool follow_final_symlink = true);
k::Result<const k::InitrdNode*> lookup_at(const k::InitrdNode* start, k::StringView path,
                                          bool follow_final_symlink = true);
const k::InitrdNode* root_node();

k::Result<File*> open_node(const k::InitrdNode* node, uint32_t flags);
void fill_stat(const k::InitrdNode& node, Stat& out);

}  // namespace fs
