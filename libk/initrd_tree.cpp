// The initrd as a tree (see initrd_tree.h for what the archive means).
//
// build() works in two passes over the node array it is given:
//   1. Every usable entry, in archive order, finds or creates the node of
//      each component of its path, synthesizing directories on the way, and
//      then writes its own metadata into the last one (so a later entry for
//      the same path overwrites an earlier one). In this pass any node may
//      have children, whatever its type.
//   2. Children of nodes that ended up as non-directories are cut off.
// Because pass 1 creates exactly one node per distinct path prefix,
// count_nodes() can say in advance how many nodes it needs by counting the
// distinct prefixes, with the same rules for which entries are usable.
#include "libk/initrd_tree.h"

#include "libk/string.h"
#include "libk/verify.h"

namespace k {
namespace {

// ---- Archive entry names.

// Yields the components of an archive entry name, skipping empty ones and
// "." (so "a//b/./c" gives a, b, c).
class NameComponents {
public:
    explicit NameComponents(StringView name) : rest_(name) {}

    bool next(StringView& component) {
        while (!rest_.empty()) {
            size_t slash = rest_.find('/');
            StringView candidate = rest_.substr(0, slash);
            rest_ = slash == StringView::npos ? StringView() : rest_.drop_front(slash + 1);
            if (!candidate.empty() && candidate != ".") {
                component = candidate;
                return true;
            }
        }
        return false;
    }

private:
    StringView rest_;
};

bool known_file_type(uint32_t mode) {
    switch (mode & CpioEntry::kTypeMask) {
    case CpioEntry::kTypeRegular:
    case CpioEntry::kTypeDirectory:
    case CpioEntry::kTypeSymlink:
    case 0020000:  // character device
    case 0060000:  // block device
    case 0010000:  // FIFO
    case 0140000:  // socket
        return true;
    default:
        return false;
    }
}

// Whether an entry goes into the tree at all; `depth` is its number of
// components (0: the root itself). count_nodes() and build() must agree on
// this exactly, so it is the one place that decides.
bool usable_entry(const CpioEntry& entry, size_t& depth) {
    if (!known_file_type(entry.mode)) return false;
    depth = 0;
    NameComponents components(entry.name);
    StringView component;
    while (components.next(component)) {
        // ".." could climb out of where the entry claims to be; the
        // initramfs tools never write it, so it is refused, not resolved.
        if (component == "..") return false;
        if (component.size() > InitrdTree::kNameMax) return false;
        ++depth;
    }
    // The root must stay a directory.
    return depth > 0 || entry.is_directory();
}

// How many leading components two entry names have in common.
size_t shared_components(StringView a, StringView b) {
    NameComponents components_a(a);
    NameComponents components_b(b);
    StringView ca;
    StringView cb;
    size_t shared = 0;
    while (components_a.next(ca) && components_b.next(cb) && ca == cb) ++shared;
    return shared;
}

// Bytewise order for children (what `ls` calls LC_ALL=C order).
int compare_names(StringView a, StringView b) {
    size_t common = a.size() < b.size() ? a.size() : b.size();
    int result = common == 0 ? 0 : memcmp(a.data(), b.data(), common);
    if (result != 0) return result;
    if (a.size() == b.size()) return 0;
    return a.size() < b.size() ? -1 : 1;
}

// The child of `dir` called `name`, or nullptr. Children are sorted, so
// the search stops at the first larger name.
InitrdNode* find_child(const InitrdNode* dir, StringView name) {
    for (InitrdNode* child = dir->first_child; child != nullptr; child = child->next_sibling) {
        int order = compare_names(child->name, name);
        if (order == 0) return child;
        if (order > 0) return nullptr;
    }
    return nullptr;
}

void insert_sorted(InitrdNode* dir, InitrdNode* child) {
    InitrdNode** link = &dir->first_child;
    while (*link != nullptr && compare_names((*link)->name, child->name) < 0) link = &(*link)->next_sibling;
    child->next_sibling = *link;
    *link = child;
}

// The node after `node` in a pre-order walk of the subtree under `top`, or
// nullptr at its end. Needs no stack: parent links lead back up.
InitrdNode* next_in_subtree(InitrdNode* node, const InitrdNode* top) {
    if (node->first_child != nullptr) return node->first_child;
    while (node != top) {
        if (node->next_sibling != nullptr) return node->next_sibling;
        node = node->parent;
    }
    return nullptr;
}

// ---- Lookup paths.

// Takes the next component off the front of `rest` (skipping slashes),
// leaving `rest` at what follows it. False when only slashes remain.
bool take_component(StringView& rest, StringView& component) {
    size_t start = 0;
    while (start < rest.size() && rest[start] == '/') ++start;
    if (start == rest.size()) {
        return false;
    }
    size_t end = rest.find('/', start);
    if (end == StringView::npos) end = rest.size();
    component = rest.substr(start, end - start);
    rest = rest.drop_front(end);
    return true;
}

bool has_component(StringView rest) {
    for (char c : rest) {
        if (c != '/') return true;
    }
    return false;
}

}  // namespace

Result<size_t> InitrdTree::count_nodes(const void* archive, size_t size) {
    // One node per distinct path prefix of a usable entry, plus the root.
    // If an earlier usable entry shares the first m components with this
    // one, its first m prefixes exist already (and no earlier entry shares
    // more), so this entry adds depth - m nodes. A second reader walks the
    // earlier entries to find m.
    size_t count = 1;
    CpioReader reader(archive, size);
    CpioEntry entry;
    for (size_t index = 0; TRY(reader.next(entry)); ++index) {
        size_t depth = 0;
        if (!usable_entry(entry, depth)) continue;
        size_t shared = 0;
        CpioReader earlier_reader(archive, size);
        CpioEntry earlier;
        for (size_t j = 0; j < index && shared < depth; ++j) {
            // The first reader has read entries 0..index, so these cannot fail.
            bool have_entry = TRY(earlier_reader.next(earlier));
            VERIFY(have_entry);
            size_t earlier_depth = 0;
            if (!usable_entry(earlier, earlier_depth)) continue;
            size_t common = shared_components(entry.name, earlier.name);
            if (common > shared) shared = common;
        }
        count += depth - shared;
    }
    return count;
}

Result<void> InitrdTree::build(const void* archive, size_t size, InitrdNode* nodes, size_t capacity) {
    nodes_ = nullptr;
    used_ = 0;
    skipped_ = 0;
    if (nodes == nullptr || capacity == 0) return error(Errno::enomem);

    InitrdNode* root = &nodes[0];
    *root = InitrdNode{};
    root->mode = kSynthesizedDirectoryMode;
    root->ino = 1;
    root->parent = root;
    root->synthesized = true;
    size_t used = 1;
    size_t skipped = 0;

    // Pass 1: find or create every path, later entries overwriting earlier ones.
    CpioReader reader(archive, size);
    CpioEntry entry;
    while (TRY(reader.next(entry))) {
        size_t depth = 0;
        if (!usable_entry(entry, depth)) {
            ++skipped;
            continue;
        }
        InitrdNode* node = root;
        NameComponents components(entry.name);
        StringView component;
        while (components.next(component)) {
            InitrdNode* child = find_child(node, component);
            if (child == nullptr) {
                if (used == capacity) return error(Errno::enomem);
                child = &nodes[used];
                *child = InitrdNode{};
                child->name = component;
                child->mode = kSynthesizedDirectoryMode;
                // Inode numbers follow creation order, which depends only
                // on the archive: stable across boots.
                child->ino = used + 1;
                child->parent = node;
                child->synthesized = true;
                insert_sorted(node, child);
                ++used;
            }
            node = child;
        }
        node->mode = entry.mode;
        node->synthesized = false;
        if (entry.is_directory()) {
            node->size = 0;
            node->data = nullptr;
        } else {
            node->size = entry.size;
            node->data = entry.data;
        }
    }

    nodes_ = nodes;
    used_ = used;
    skipped_ = skipped;
    prune_below_non_directories();
    return {};
}

void InitrdTree::prune_below_non_directories() {
    InitrdNode* root = nodes_;
    for (InitrdNode* node = root; node != nullptr; node = next_in_subtree(node, root)) {
        if (node->is_directory() || node->first_child == nullptr) continue;
        // Everything below a file is dropped; count the entries that were there.
        for (InitrdNode* below = node->first_child; below != nullptr; below = next_in_subtree(below, node)) {
            if (!below->synthesized) ++skipped_;
        }
        node->first_child = nullptr;
    }
}

Result<const InitrdNode*> InitrdTree::lookup(const InitrdNode* start_dir, StringView path) const {
    return resolve(start_dir, path, true);
}

Result<const InitrdNode*> InitrdTree::lookup_no_follow(const InitrdNode* start_dir, StringView path) const {
    return resolve(start_dir, path, false);
}

// The walk keeps a stack of path remainders: the path itself at the bottom
// and, above it, the unfinished part of each symlink target being followed.
// A component is the final one when no remainder on the stack has another;
// then the slashes left over on the stack are the path's trailing slash.
Result<const InitrdNode*> InitrdTree::resolve(const InitrdNode* start_dir, StringView path,
                                              bool follow_final) const {
    VERIFY(nodes_ != nullptr);
    if (path.size() >= kPathMax) return error(Errno::enametoolong);
    if (path.empty()) return error(Errno::enoent);

    const InitrdNode* root = nodes_;
    const InitrdNode* current = path.starts_with('/') || start_dir == nullptr ? root : start_dir;
    // Each followed link pushes one remainder: at most 40 on top of the path.
    StringView stack[kMaxSymlinkFollows + 1];
    size_t depth = 0;
    stack[depth++] = path;
    size_t follows = 0;

    for (;;) {
        StringView component;
        while (depth > 0 && !take_component(stack[depth - 1], component)) --depth;
        if (depth == 0) return current;

        bool final = true;
        bool trailing_slash = false;
        for (size_t i = 0; i < depth; ++i) {
            if (has_component(stack[i])) final = false;
            if (!stack[i].empty()) trailing_slash = true;
        }
        trailing_slash = trailing_slash && final;

        if (component.size() > kNameMax) return error(Errno::enametoolong);
        // Looking a name up needs a directory to look in: "file/x" and
        // "file/." are ENOTDIR.
        if (!current->is_directory()) return error(Errno::enotdir);

        const InitrdNode* next;
        if (component == ".") {
            next = current;
        } else if (component == "..") {
            next = current->parent;
        } else {
            next = find_child(current, component);
            if (next == nullptr) return error(Errno::enoent);
        }

        if (next->is_symlink() && (!final || follow_final || trailing_slash)) {
            if (++follows > kMaxSymlinkFollows) return error(Errno::eloop);
            StringView target = next->link_target();
            if (target.empty()) return error(Errno::enoent);
            if (target.size() >= kPathMax) return error(Errno::enametoolong);
            stack[depth++] = target;
            // A relative target is relative to the directory holding the link.
            current = target.starts_with('/') ? root : next->parent;
            continue;
        }

        if (final && trailing_slash && !next->is_directory()) return error(Errno::enotdir);
        current = next;
    }
}

const InitrdNode* InitrdTree::child_at(const InitrdNode* dir, size_t index) {
    const InitrdNode* child = dir->first_child;
    for (size_t i = 0; i < index && child != nullptr; ++i) child = child->next_sibling;
    return child;
}

}  // namespace k
