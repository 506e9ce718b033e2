// Host tests for libk/initrd_tree: archives written in newc format by a
// small writer below, trees built into exactly count_nodes() nodes (a heap
// array, so AddressSanitizer sees a write past it), and lookups checked
// against what Linux's path walk would answer. A randomized test compares
// the tree with a straightforward model of the rules in initrd_tree.h.
#include "libk/initrd_tree.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using k::Errno;
using k::InitrdNode;
using k::InitrdTree;
using k::StringView;

constexpr uint32_t kDir = 0040000;
constexpr uint32_t kFile = 0100000;
constexpr uint32_t kLink = 0120000;

// ---- Writing newc archives (format: libk/cpio.h).

struct Entry {
    std::string name;
    uint32_t mode;
    std::string data;
};

void pad_to_4(std::string& archive) {
    while (archive.size() % 4 != 0) archive += '\0';
}

void append_entry(std::string& archive, const Entry& e) {
    char header[111];
    std::snprintf(header, sizeof(header), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 0u, e.mode,
                  0u, 0u, 1u, 0u, static_cast<unsigned>(e.data.size()), 0u, 0u, 0u, 0u,
                  static_cast<unsigned>(e.name.size() + 1), 0u);
    archive.append(header, 110);
    archive += e.name;
    archive += '\0';
    pad_to_4(archive);
    archive += e.data;
    pad_to_4(archive);
}

std::string write_archive(const std::vector<Entry>& entries) {
    std::string archive;
    for (const Entry& e : entries) append_entry(archive, e);
    append_entry(archive, Entry{"TRAILER!!!", 0, ""});
    return archive;
}

Entry dir(std::string name, uint32_t perm = 0755) { return {std::move(name), kDir | perm, ""}; }
Entry file(std::string name, std::string data, uint32_t perm = 0644) {
    return {std::move(name), kFile | perm, std::move(data)};
}
Entry link(std::string name, std::string target) { return {std::move(name), kLink | 0777, std::move(target)}; }

std::string str(StringView v) { return std::string(v.data() ? v.data() : "", v.size()); }

// ---- A built tree with its storage. The archive is copied into a heap
// block of its exact size and the nodes get exactly count_nodes() slots.
struct Tree {
    std::unique_ptr<uint8_t[]> archive;
    size_t archive_size = 0;
    std::unique_ptr<InitrdNode[]> nodes;
    size_t count = 0;
    InitrdTree tree;

    const InitrdNode* root() const { return tree.root(); }

    // The node at `path` (not following a final symlink), or a failed test.
    const InitrdNode* at(const std::string& path) const {
        auto result = tree.lookup_no_follow(nullptr, StringView(path.data(), path.size()));
        EXPECT_TRUE(result.ok()) << path << ": " << (result.ok() ? "" : k::errno_name(result.error()));
        return result.ok() ? result.value() : nullptr;
    }
    // Errno of a lookup, or 0 for success.
    int lookup_error(const std::string& path, bool follow = true, const InitrdNode* start = nullptr) const {
        StringView view(path.data(), path.size());
        auto result = follow ? tree.lookup(start, view) : tree.lookup_no_follow(start, view);
        return result.ok() ? 0 : static_cast<int>(result.error());
    }
    const InitrdNode* follow(const std::string& path, const InitrdNode* start = nullptr) const {
        auto result = tree.lookup(start, StringView(path.data(), path.size()));
        EXPECT_TRUE(result.ok()) << path << ": " << (result.ok() ? "" : k::errno_name(result.error()));
        return result.ok() ? result.value() : nullptr;
    }
};

std::unique_ptr<Tree> build_tree(const std::string& archive) {
    auto t = std::make_unique<Tree>();
    t->archive_size = archive.size();
    t->archive = std::make_unique<uint8_t[]>(archive.size());
    std::memcpy(t->archive.get(), archive.data(), archive.size());
    auto count = InitrdTree::count_nodes(t->archive.get(), t->archive_size);
    EXPECT_TRUE(count.ok());
    if (!count.ok()) return t;
    t->count = count.value();
    t->nodes = std::make_unique<InitrdNode[]>(t->count);
    auto built = t->tree.build(t->archive.get(), t->archive_size, t->nodes.get(), t->count);
    EXPECT_TRUE(built.ok());
    EXPECT_EQ(t->tree.node_count(), t->count) << "count_nodes() must be exact";
    return t;
}

std::unique_ptr<Tree> build_tree(const std::vector<Entry>& entries) { return build_tree(write_archive(entries)); }

// Full path of a node, for messages and model comparison.
std::string path_of(const InitrdNode* node) {
    std::string path;
    while (node->parent != node) {
        path = "/" + str(node->name) + path;
        node = node->parent;
    }
    return path.empty() ? "/" : path;
}

std::vector<std::string> child_names(const InitrdNode* dir) {
    std::vector<std::string> names;
    for (size_t i = 0; const InitrdNode* child = InitrdTree::child_at(dir, i); ++i) names.push_back(str(child->name));
    return names;
}

// Structural promises of any tree: sorted children, parent links, unique
// inode numbers, only directories with children. Returns the reachable nodes.
std::vector<const InitrdNode*> check_structure(const Tree& t) {
    std::vector<const InitrdNode*> all;
    std::set<uint64_t> inodes;
    std::vector<const InitrdNode*> stack = {t.root()};
    EXPECT_EQ(t.root()->parent, t.root());
    EXPECT_EQ(t.root()->ino, 1u);
    EXPECT_TRUE(t.root()->is_directory());
    while (!stack.empty()) {
        const InitrdNode* node = stack.back();
        stack.pop_back();
        all.push_back(node);
        EXPECT_TRUE(inodes.insert(node->ino).second) << "duplicate inode " << node->ino;
        EXPECT_GE(node->ino, 1u);
        EXPECT_LE(node->ino, t.count);
        if (node->first_child) {
            EXPECT_TRUE(node->is_directory()) << path_of(node);
        }
        std::string previous;
        bool first = true;
        for (const InitrdNode* child = node->first_child; child; child = child->next_sibling) {
            EXPECT_EQ(child->parent, node);
            EXPECT_FALSE(child->name.empty());
            std::string name = str(child->name);
            if (!first) {
                EXPECT_LT(previous, name) << "children of " << path_of(node) << " not sorted";
            }
            previous = name;
            first = false;
            stack.push_back(child);
        }
    }
    return all;
}

// ---- Building.

TEST(InitrdTree, LikeMkinitrd) {
    // The shape tools/mkinitrd.py writes: parent directories first, sorted.
    auto t = build_tree({dir("bin"), file("bin/sh", "\x7f" "ELF shell", 0755), dir("etc"), file("etc/motd", "hi\n"),
                         dir("tests"), dir("tests/data"), file("tests/data/x.txt", "x")});
    EXPECT_EQ(t->count, 8u);
    EXPECT_EQ(t->tree.skipped_entries(), 0u);
    check_structure(*t);
    EXPECT_EQ(child_names(t->root()), (std::vector<std::string>{"bin", "etc", "tests"}));

    const InitrdNode* sh = t->at("bin/sh");
    ASSERT_NE(sh, nullptr);
    EXPECT_EQ(str(sh->name), "sh");
    EXPECT_EQ(sh->mode, kFile | 0755);
    EXPECT_TRUE(sh->is_regular());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(sh->data), sh->size), "\x7f" "ELF shell");
    // Data points into the archive, not a copy.
    EXPECT_GE(sh->data, t->archive.get());
    EXPECT_LE(sh->data + sh->size, t->archive.get() + t->archive_size);
    EXPECT_FALSE(sh->synthesized);
    EXPECT_EQ(sh->parent, t->at("bin"));

    const InitrdNode* bin = t->at("bin");
    EXPECT_EQ(bin->mode, kDir | 0755);
    EXPECT_EQ(bin->size, 0u);
    EXPECT_FALSE(bin->synthesized);
    EXPECT_EQ(t->at("tests/data/x.txt")->size, 1u);
}

TEST(InitrdTree, EmptyArchives) {
    for (const std::string& archive : {std::string(), write_archive({})}) {
        auto t = build_tree(archive);
        EXPECT_EQ(t->count, 1u);
        ASSERT_NE(t->root(), nullptr);
        EXPECT_EQ(t->root()->first_child, nullptr);
        EXPECT_EQ(t->root()->mode, InitrdTree::kSynthesizedDirectoryMode);
        EXPECT_EQ(t->follow("/"), t->root());
    }
}

TEST(InitrdTree, SynthesizesMissingParents) {
    auto t = build_tree({file("a/b/c.txt", "c"), file("a/d", "d")});
    EXPECT_EQ(t->count, 5u);  // root, a, a/b, a/b/c.txt, a/d
    check_structure(*t);
    for (const char* path : {"a", "a/b"}) {
        const InitrdNode* node = t->at(path);
        ASSERT_NE(node, nullptr);
        EXPECT_EQ(node->mode, kDir | 0555) << path;
        EXPECT_TRUE(node->synthesized) << path;
        EXPECT_EQ(node->size, 0u);
    }
    EXPECT_EQ(child_names(t->at("a")), (std::vector<std::string>{"b", "d"}));
}

TEST(InitrdTree, ALaterDirectoryEntryGivesASynthesizedDirectoryItsMode) {
    auto t = build_tree({file("a/f", "f"), dir("a", 0700)});
    EXPECT_EQ(t->count, 3u);
    EXPECT_EQ(t->at("a")->mode, kDir | 0700);
    EXPECT_FALSE(t->at("a")->synthesized);
    EXPECT_EQ(t->at("a/f")->size, 1u);
}

TEST(InitrdTree, RootEntry) {
    // cpio writes "." for the root; "./" and "" mean it too. A directory sets
    // the root's mode; anything else is skipped.
    auto t = build_tree({dir(".", 0711), file("x", "")});
    EXPECT_EQ(t->count, 2u);
    EXPECT_EQ(t->root()->mode, kDir | 0711);
    EXPECT_FALSE(t->root()->synthesized);
    EXPECT_EQ(t->tree.skipped_entries(), 0u);

    t = build_tree({dir("./", 0700), file(".", "not a directory"), {"", kLink | 0777, "x"}});
    EXPECT_EQ(t->root()->mode, kDir | 0700);
    EXPECT_EQ(t->tree.skipped_entries(), 2u);
    EXPECT_EQ(t->count, 1u);
}

TEST(InitrdTree, ChildrenSortedBytewise) {
    auto t = build_tree({file("zeta", ""), file("alpha", ""), file("Beta", ""), file("mid", ""), file("al", ""),
                         file("_", ""), file("\xc3\xa9t\xc3\xa9", "")});
    EXPECT_EQ(child_names(t->root()),
              (std::vector<std::string>{"Beta", "_", "al", "alpha", "mid", "zeta", "\xc3\xa9t\xc3\xa9"}));
    EXPECT_EQ(InitrdTree::child_at(t->root(), 7), nullptr);
    EXPECT_EQ(InitrdTree::child_at(t->root(), 1000), nullptr);
    EXPECT_EQ(InitrdTree::child_at(t->at("mid"), 0), nullptr);
    check_structure(*t);
}

TEST(InitrdTree, LaterDuplicateWins) {
    auto t = build_tree({file("f", "one"), file("g", "g"), file("f", "second", 0600)});
    EXPECT_EQ(t->count, 3u);
    const InitrdNode* f = t->at("f");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data), f->size), "second");
    EXPECT_EQ(f->mode, kFile | 0600);
    EXPECT_EQ(t->tree.skipped_entries(), 0u);

    // A type change: file to symlink to directory.
    t = build_tree({file("x", "data"), link("x", "f"), dir("x", 0750), file("x/in", "")});
    const InitrdNode* x = t->at("x");
    EXPECT_TRUE(x->is_directory());
    EXPECT_EQ(x->mode, kDir | 0750);
    EXPECT_EQ(x->size, 0u);
    EXPECT_EQ(x->data, nullptr);
    EXPECT_NE(t->at("x/in"), nullptr);
}

TEST(InitrdTree, EntriesBelowAFileAreSkipped) {
    auto t = build_tree({file("f", "plain"), file("f/x", "under a file"), file("f/y/z", ""), file("ok", "")});
    EXPECT_EQ(t->tree.skipped_entries(), 2u);
    EXPECT_EQ(child_names(t->root()), (std::vector<std::string>{"f", "ok"}));
    EXPECT_EQ(t->at("f")->first_child, nullptr);
    EXPECT_EQ(t->lookup_error("f/x"), static_cast<int>(Errno::enotdir));
    check_structure(*t);

    // The same when the file comes last: the final entry for "d" is a file.
    t = build_tree({dir("d"), file("d/a", ""), file("d/b/c", ""), file("d", "now a file")});
    EXPECT_EQ(t->tree.skipped_entries(), 2u);  // d/a and d/b/c (d/b was synthesized)
    EXPECT_TRUE(t->at("d")->is_regular());
    EXPECT_EQ(t->at("d")->first_child, nullptr);
    check_structure(*t);

    // Below a symlink: the archive does not say where it leads, so skipped too.
    t = build_tree({dir("real"), link("l", "real"), file("l/f", "")});
    EXPECT_EQ(t->tree.skipped_entries(), 1u);
    EXPECT_EQ(t->lookup_error("real/f"), static_cast<int>(Errno::enoent));
}

TEST(InitrdTree, UnusableEntriesAreSkipped) {
    std::string long_name(256, 'n');
    std::string max_name(255, 'm');
    auto t = build_tree({
        file("a/../etc/passwd", "root::0:0"),  // ".." component
        file("..", ""),
        file("x/" + long_name, ""),            // component too long
        file(max_name, "longest allowed"),
        {"weird", 0070000 | 0644, ""},         // not a file type
        {"notype", 0644, ""},
        {"fifo", 0010644, ""},                 // FIFOs, devices, sockets are kept
        {"tty", 0020620, ""},
    });
    EXPECT_EQ(t->tree.skipped_entries(), 5u);
    EXPECT_EQ(child_names(t->root()), (std::vector<std::string>{"fifo", max_name, "tty"}));
    EXPECT_EQ(t->at("fifo")->mode, 0010644u);
    EXPECT_EQ(t->count, 4u);
}

TEST(InitrdTree, NamesAreNormalized) {
    // Empty and "." components in archive names do not make new nodes.
    auto t = build_tree({file("a//b", "1"), file("a/./c", "2"), dir("a/"), file("./a/d", "3"), file("/e", "4"),
                         dir("a/b/")});
    EXPECT_EQ(child_names(t->root()), (std::vector<std::string>{"a", "e"}));
    EXPECT_EQ(child_names(t->at("a")), (std::vector<std::string>{"b", "c", "d"}));
    EXPECT_TRUE(t->at("a/b")->is_directory());  // the later entry "a/b/" wins
    EXPECT_EQ(t->count, 6u);
}

TEST(InitrdTree, InodeNumbersAreUniqueAndStable) {
    std::vector<Entry> entries = {file("z/y/x", ""), dir("b"), file("b/c", ""), link("l", "b"), file("a", "")};
    auto t1 = build_tree(entries);
    auto t2 = build_tree(entries);
    check_structure(*t1);
    for (const char* path : {"z", "z/y", "z/y/x", "b", "b/c", "l", "a"}) {
        EXPECT_EQ(t1->at(path)->ino, t2->at(path)->ino) << path;
    }
    EXPECT_EQ(t1->root()->ino, 1u);
}

TEST(InitrdTree, BuildErrors) {
    std::string archive = write_archive({file("a/b", ""), file("c", "")});
    size_t count = InitrdTree::count_nodes(archive.data(), archive.size()).value();
    ASSERT_EQ(count, 4u);
    auto nodes = std::make_unique<InitrdNode[]>(count);
    InitrdTree tree;
    for (size_t capacity = 0; capacity < count; ++capacity) {
        auto result = tree.build(archive.data(), archive.size(), nodes.get(), capacity);
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error(), Errno::enomem);
        EXPECT_EQ(tree.root(), nullptr);
    }
    EXPECT_EQ(tree.build(archive.data(), archive.size(), nullptr, 10).error(), Errno::enomem);
    EXPECT_TRUE(tree.build(archive.data(), archive.size(), nodes.get(), count).ok());

    // A malformed archive: EINVAL from both, and no tree.
    std::string bad = archive;
    bad[0] = 'X';
    EXPECT_EQ(InitrdTree::count_nodes(bad.data(), bad.size()).error(), Errno::einval);
    EXPECT_EQ(tree.build(bad.data(), bad.size(), nodes.get(), count).error(), Errno::einval);
    EXPECT_EQ(tree.root(), nullptr);
    // Cut short inside the second entry.
    EXPECT_EQ(InitrdTree::count_nodes(archive.data(), 130).error(), Errno::einval);
}

// ---- Lookup.

std::unique_ptr<Tree> sample_tree() {
    return build_tree({
        dir("bin"),
        file("bin/sh", "shell", 0755),
        file("bin/ls", "ls", 0755),
        dir("etc"),
        file("etc/motd", "hello\n"),
        dir("lib"),
        link("lib/sh-rel", "../bin/sh"),
        link("lib/sh-abs", "/bin/sh"),
        link("lib/bindir", "../bin"),
        link("lib/chain", "sh-rel"),
        link("lib/dangling", "nothing"),
        link("lib/empty", ""),
        link("lib/self", "self"),
        link("lib/ping", "pong"),
        link("lib/pong", "ping"),
        link("lib/dot", "."),
        link("lib/dotdot", ".."),
        link("lib/file-slash", "/etc/motd/"),
        link("lib/motd-dir", "/etc/motd"),
        file("tests/data/x.txt", "x"),
    });
}

TEST(InitrdTree, LookupPlainPaths) {
    auto t = sample_tree();
    check_structure(*t);
    const InitrdNode* sh = t->at("bin/sh");
    ASSERT_NE(sh, nullptr);
    for (const char* path : {"bin/sh", "/bin/sh", "//bin///sh", "./bin/sh", "bin/./sh", "bin/../bin/sh",
                             "/../bin/sh", "/../../bin/./../bin/sh", "etc/../bin/sh", "tests/data/../../bin/sh"}) {
        EXPECT_EQ(t->follow(path), sh) << path;
    }
    for (const char* path : {"/", "//", ".", "./", "..", "/..", "bin/..", "bin/../.", "/./../"}) {
        EXPECT_EQ(t->follow(path), t->root()) << path;
    }
    EXPECT_EQ(t->follow("bin/"), t->at("bin"));
    EXPECT_EQ(t->follow("tests/data/x.txt"), t->at("tests/data/x.txt"));
}

TEST(InitrdTree, LookupRelativeToAStartDirectory) {
    auto t = sample_tree();
    const InitrdNode* bin = t->at("bin");
    const InitrdNode* tests_data = t->at("tests/data");
    EXPECT_EQ(t->follow("sh", bin), t->at("bin/sh"));
    EXPECT_EQ(t->follow(".", bin), bin);
    EXPECT_EQ(t->follow("..", bin), t->root());
    EXPECT_EQ(t->follow("../etc/motd", bin), t->at("etc/motd"));
    EXPECT_EQ(t->follow("../../bin", tests_data), bin);
    EXPECT_EQ(t->follow("/etc", tests_data), t->at("etc"));  // absolute ignores the start
    EXPECT_EQ(t->follow("x.txt", tests_data), t->at("tests/data/x.txt"));
    // A start that is not a directory.
    const InitrdNode* motd = t->at("etc/motd");
    EXPECT_EQ(t->lookup_error("x", true, motd), static_cast<int>(Errno::enotdir));
    EXPECT_EQ(t->lookup_error(".", true, motd), static_cast<int>(Errno::enotdir));
    EXPECT_EQ(t->lookup_error("/etc", true, motd), 0);
}

TEST(InitrdTree, LookupErrors) {
    auto t = sample_tree();
    const int enoent = static_cast<int>(Errno::enoent);
    const int enotdir = static_cast<int>(Errno::enotdir);
    const int enametoolong = static_cast<int>(Errno::enametoolong);
    EXPECT_EQ(t->lookup_error(""), enoent);
    EXPECT_EQ(t->lookup_error("nope"), enoent);
    EXPECT_EQ(t->lookup_error("bin/nope"), enoent);
    EXPECT_EQ(t->lookup_error("nope/sh"), enoent);
    EXPECT_EQ(t->lookup_error("bin/s"), enoent);
    EXPECT_EQ(t->lookup_error("bin/shh"), enoent);
    EXPECT_EQ(t->lookup_error("BIN/sh"), enoent);
    // A file used as a directory, also with "." and "..", also with a trailing slash.
    EXPECT_EQ(t->lookup_error("etc/motd/x"), enotdir);
    EXPECT_EQ(t->lookup_error("etc/motd/."), enotdir);
    EXPECT_EQ(t->lookup_error("etc/motd/.."), enotdir);
    EXPECT_EQ(t->lookup_error("etc/motd/"), enotdir);
    EXPECT_EQ(t->lookup_error("etc/motd//"), enotdir);
    EXPECT_EQ(t->lookup_error("etc/motd/nope"), enotdir);
    EXPECT_EQ(t->lookup_error("etc/motd/", false), enotdir);
    // Name and path lengths (NAME_MAX 255; PATH_MAX 4096 counts the NUL).
    EXPECT_EQ(t->lookup_error("bin/" + std::string(255, 'a')), enoent);
    EXPECT_EQ(t->lookup_error("bin/" + std::string(256, 'a')), enametoolong);
    EXPECT_EQ(t->lookup_error(std::string(256, 'a') + "/x"), enametoolong);
    std::string path = std::string(4095 - 6, '/') + "bin/sh";
    ASSERT_EQ(path.size(), 4095u);
    EXPECT_EQ(t->lookup_error(path), 0);
    EXPECT_EQ(t->lookup_error("/" + path), enametoolong);
    // A long component inside a directory that does not exist: ENOENT
    // first (Linux checks the length when it gets to the component).
    EXPECT_EQ(t->lookup_error("nope/" + std::string(300, 'a')), enoent);
}

TEST(InitrdTree, Symlinks) {
    auto t = sample_tree();
    const InitrdNode* sh = t->at("bin/sh");
    const InitrdNode* lib = t->at("lib");
    EXPECT_EQ(t->follow("lib/sh-rel"), sh);
    EXPECT_EQ(t->follow("lib/sh-abs"), sh);
    EXPECT_EQ(t->follow("lib/chain"), sh);
    EXPECT_EQ(t->follow("lib/bindir/sh"), sh);
    EXPECT_EQ(t->follow("lib/bindir/../etc/motd"), t->at("etc/motd"));  // ".." after a link: the target's parent
    EXPECT_EQ(t->follow("lib/bindir"), t->at("bin"));
    EXPECT_EQ(t->follow("lib/bindir/"), t->at("bin"));
    EXPECT_EQ(t->follow("lib/dot"), lib);
    EXPECT_EQ(t->follow("lib/dot/dot/dot/sh-rel"), sh);
    EXPECT_EQ(t->follow("lib/dotdot"), t->root());
    EXPECT_EQ(t->follow("sh-rel", lib), sh);
    EXPECT_EQ(t->follow("lib/motd-dir"), t->at("etc/motd"));

    const InitrdNode* link_node = t->at("lib/sh-rel");
    ASSERT_NE(link_node, nullptr);
    EXPECT_TRUE(link_node->is_symlink());
    EXPECT_EQ(str(link_node->link_target()), "../bin/sh");
    EXPECT_EQ(str(sh->link_target()), "");

    const int enoent = static_cast<int>(Errno::enoent);
    const int enotdir = static_cast<int>(Errno::enotdir);
    const int eloop = static_cast<int>(Errno::eloop);
    EXPECT_EQ(t->lookup_error("lib/dangling"), enoent);
    EXPECT_EQ(t->lookup_error("lib/empty"), enoent);
    EXPECT_EQ(t->lookup_error("lib/self"), eloop);
    EXPECT_EQ(t->lookup_error("lib/ping"), eloop);
    EXPECT_EQ(t->lookup_error("lib/ping/x"), eloop);
    EXPECT_EQ(t->lookup_error("lib/sh-rel/x"), enotdir);
    EXPECT_EQ(t->lookup_error("lib/sh-rel/"), enotdir);
    EXPECT_EQ(t->lookup_error("lib/file-slash"), enotdir);   // the target's own trailing slash
    EXPECT_EQ(t->lookup_error("lib/motd-dir/"), enotdir);
}

TEST(InitrdTree, LookupNoFollow) {
    // (Tree::at() is lookup_no_follow from the root.)
    auto t = sample_tree();
    const InitrdNode* link_node = t->at("lib/sh-rel");
    ASSERT_NE(link_node, nullptr);
    // Final component: the link itself, even dangling or looping.
    EXPECT_TRUE(link_node->is_symlink());
    EXPECT_EQ(link_node->parent, t->at("lib"));
    EXPECT_EQ(t->lookup_error("lib/dangling", false), 0);
    EXPECT_EQ(t->lookup_error("lib/self", false), 0);
    EXPECT_EQ(t->lookup_error("lib/empty", false), 0);
    EXPECT_EQ(t->lookup_error("sh-rel", false, t->at("lib")), 0);
    // Intermediate links are still followed.
    EXPECT_EQ(t->at("lib/bindir/sh"), t->follow("bin/sh"));
    EXPECT_EQ(t->at("lib/bindir/../lib/chain"), t->at("lib/chain"));
    EXPECT_TRUE(t->at("lib/bindir/../lib/chain")->is_symlink());
    // A trailing slash follows the final link too.
    EXPECT_EQ(t->at("lib/bindir/"), t->follow("bin"));
    EXPECT_EQ(t->lookup_error("lib/sh-rel/", false), static_cast<int>(Errno::enotdir));
    EXPECT_EQ(t->lookup_error("lib/self/", false), static_cast<int>(Errno::eloop));
    // "." and ".." at the end are not links.
    EXPECT_EQ(t->at("lib/."), t->follow("lib"));
    EXPECT_EQ(t->at("lib/dot/.."), t->root());
}

// A chain l0 -> l1 -> ... -> l{n-1} -> target: n links followed.
std::unique_ptr<Tree> chain_tree(size_t n) {
    std::vector<Entry> entries = {file("target", "end")};
    for (size_t i = 0; i < n; ++i) {
        std::string next = i + 1 < n ? "l" + std::to_string(i + 1) : "target";
        entries.push_back(link("l" + std::to_string(i), next));
    }
    return build_tree(entries);
}

TEST(InitrdTree, FortySymlinksButNotFortyOne) {
    auto t = chain_tree(40);
    EXPECT_EQ(t->follow("l0"), t->at("target"));
    t = chain_tree(41);
    EXPECT_EQ(t->lookup_error("l0"), static_cast<int>(Errno::eloop));
    EXPECT_EQ(t->follow("l1"), t->at("target"));
    // The limit is per lookup, counting every link on the way: 40 links,
    // each a directory link used in the middle of a path.
    std::vector<Entry> entries = {dir("d"), file("d/f", "")};
    for (int i = 0; i < 41; ++i) entries.push_back(link("d" + std::to_string(i), "d"));
    t = build_tree(entries);
    std::string forty;
    for (int i = 0; i < 40; ++i) forty += "d" + std::to_string(i) + "/../";
    EXPECT_EQ(t->follow(forty + "d/f"), t->at("d/f"));
    EXPECT_EQ(t->lookup_error(forty + "d40/f"), static_cast<int>(Errno::eloop));
}

TEST(InitrdTree, NestedLinkTargetsResumeTheOuterPath) {
    // a -> b/c, b/c -> ../d, d/e is a file: "a/e" walks a, then b/c's
    // target, then back to the rest of the outer path.
    auto t = build_tree({dir("b"), link("a", "b/c"), link("b/c", "../d"), dir("d"), file("d/e", "E"),
                         link("d/up", "../b/"), link("x", "a/")});
    EXPECT_EQ(t->follow("a/e"), t->at("d/e"));
    EXPECT_EQ(t->follow("a/up/c/e"), t->at("d/e"));
    EXPECT_EQ(t->follow("x"), t->at("d"));
    EXPECT_EQ(t->follow("a/./up/../d/e"), t->at("d/e"));
}

// ---- Randomized: the tree against a model of initrd_tree.h's rules.

struct ModelNode {
    bool has_entry = false;
    Entry entry;
};

TEST(InitrdTree, RandomArchivesMatchTheModel) {
    std::mt19937 rng(2024);
    const char* names[] = {"a", "b", "c", "ab", ".", ".."};
    for (int round = 0; round < 300; ++round) {
        std::vector<Entry> entries;
        int count = 1 + static_cast<int>(rng() % 25);
        for (int i = 0; i < count; ++i) {
            std::string name;
            int depth = 1 + static_cast<int>(rng() % 4);
            for (int d = 0; d < depth; ++d) {
                if (d) name += rng() % 8 ? "/" : "//";
                name += names[rng() % (rng() % 10 == 0 ? 6 : 4)];
            }
            switch (rng() % 5) {
            case 0:
            case 1: entries.push_back(dir(name, 0700 + rng() % 8)); break;
            case 2:
            case 3: entries.push_back(file(name, std::string(rng() % 5, 'd'))); break;
            default: entries.push_back(link(name, "a")); break;
            }
        }

        // The model: components, usable entries, last entry per path.
        std::map<std::vector<std::string>, ModelNode> paths;  // every prefix of a usable entry
        size_t skipped = 0;
        for (const Entry& e : entries) {
            std::vector<std::string> parts;
            bool usable = true;
            size_t start = 0;
            while (start <= e.name.size()) {
                size_t slash = e.name.find('/', start);
                if (slash == std::string::npos) slash = e.name.size();
                std::string part = e.name.substr(start, slash - start);
                if (part == "..") usable = false;
                if (!part.empty() && part != ".") parts.push_back(part);
                start = slash + 1;
            }
            if (parts.empty() && (e.mode & 0170000) != kDir) usable = false;
            if (!usable) {
                ++skipped;
                continue;
            }
            for (size_t k = 1; k <= parts.size(); ++k) {
                paths[std::vector<std::string>(parts.begin(), parts.begin() + k)];
            }
            if (!parts.empty()) paths[parts] = ModelNode{true, e};
        }
        auto is_dir = [&](const std::vector<std::string>& p) {
            const ModelNode& node = paths.at(p);
            return !node.has_entry || (node.entry.mode & 0170000) == kDir;
        };
        // Live: every proper ancestor is a directory.
        std::set<std::vector<std::string>> live;
        for (const auto& [p, node] : paths) {
            bool ok = true;
            for (size_t k = 1; k < p.size(); ++k) ok = ok && is_dir(std::vector<std::string>(p.begin(), p.begin() + k));
            if (ok) {
                live.insert(p);
            } else if (node.has_entry) {
                ++skipped;
            }
        }

        std::string archive = write_archive(entries);
        auto t = build_tree(archive);
        SCOPED_TRACE("round " + std::to_string(round));
        ASSERT_EQ(t->count, 1 + paths.size());
        EXPECT_EQ(t->tree.skipped_entries(), skipped);
        auto reachable = check_structure(*t);
        EXPECT_EQ(reachable.size(), 1 + live.size());
        for (const auto& p : live) {
            std::string path;
            for (const std::string& part : p) path += "/" + part;
            const InitrdNode* node = t->at(path);
            ASSERT_NE(node, nullptr) << path;
            const ModelNode& model = paths.at(p);
            if (model.has_entry) {
                EXPECT_EQ(node->mode, model.entry.mode) << path;
                EXPECT_FALSE(node->synthesized) << path;
                if ((model.entry.mode & 0170000) != kDir) {
                    EXPECT_EQ(std::string(reinterpret_cast<const char*>(node->data), node->size), model.entry.data);
                }
            } else {
                EXPECT_EQ(node->mode, InitrdTree::kSynthesizedDirectoryMode) << path;
                EXPECT_TRUE(node->synthesized) << path;
            }
        }
        if (::testing::Test::HasFailure()) {
            for (const Entry& e : entries) std::fprintf(stderr, "  %06o %s\n", e.mode, e.name.c_str());
            return;
        }
    }
}

TEST(InitrdTree, RandomCorruptionIsHandled) {
    // Count and build agree or both fail, and nothing is read out of bounds.
    std::string base = write_archive({dir("bin"), file("bin/sh", "shell"), link("lib/l", "../bin/sh"),
                                      file("etc/motd", "hello"), file("a/b/c/d", "deep")});
    std::mt19937 rng(7);
    for (int round = 0; round < 3000; ++round) {
        std::string archive = base;
        static const char kReplacements[] = "0123456789abcdef/.\0";  // hex digits, path bytes, NUL
        for (int c = 0; c < 3; ++c) archive[rng() % archive.size()] = kReplacements[rng() % 19];
        if (rng() % 3 == 0) archive.resize(rng() % archive.size());
        auto exact = std::make_unique<uint8_t[]>(archive.size());
        std::memcpy(exact.get(), archive.data(), archive.size());
        auto count = InitrdTree::count_nodes(exact.get(), archive.size());
        if (!count.ok()) {
            EXPECT_EQ(count.error(), Errno::einval);
            continue;
        }
        auto nodes = std::make_unique<InitrdNode[]>(count.value());
        InitrdTree tree;
        auto built = tree.build(exact.get(), archive.size(), nodes.get(), count.value());
        ASSERT_TRUE(built.ok()) << round;
        EXPECT_EQ(tree.node_count(), count.value());
        // Some lookups on whatever came out.
        for (const char* path : {"bin/sh", "lib/l", "a/b/c/d", "/", "etc/../bin/./sh"}) {
            (void)tree.lookup(nullptr, path);
            (void)tree.lookup_no_follow(nullptr, path);
        }
    }
}

}  // namespace
