#pragma once
// Intrusive red-black tree.
//
// A balanced binary search tree whose links live inside the elements, like
// k::List (libk/list.h): an object that can sit in a tree embeds a k::RbNode,
// so inserting never allocates and works in interrupt context. The kernel
// uses it wherever it needs "always give me the smallest key" plus "remove
// this particular element" quickly: the fair scheduler's run queue (keyed by
// virtual run time) and the timer queue (keyed by deadline).
//
//   struct Timer { k::RbNode node; uint64_t deadline; };
//   struct ByDeadline { bool operator()(const Timer& a, const Timer& b) const { return a.deadline < b.deadline; } };
//   k::RbTree<Timer, &Timer::node, ByDeadline> timers;
//   timers.insert(t);  Timer* soonest = timers.first();  timers.erase(t);
//
// The algorithms are the classic ones of Cormen, Leiserson, Rivest and Stein,
// "Introduction to Algorithms" (3rd ed.), chapter 13, with null pointers in
// place of the book's shared sentinel leaf T.nil (a sentinel would make every
// node of every tree point at one shared object). The five invariants, which
// together keep the height at most 2*log2(n+1) (CLRS Lemma 13.1):
//   1. every node is red or black;
//   2. the root is black;
//   3. every leaf (null) counts as black;
//   4. a red node has only black children (no red-red edge);
//   5. every path from a node down to a leaf crosses the same number of black
//      nodes (the node's "black height").
// Insert and erase restore them with at most 2 respectively 3 rotations plus
// O(log n) recolourings, all in loops: no recursion, so no kernel-stack
// surprises with large trees.
//
// Equal keys are allowed. A new element goes to the right of every element it
// compares equal to, so among equal keys the in-order walk (first(), next())
// yields insertion order: ties are first come, first served.
//
// The smallest element is cached (first() is O(1)) because that is the
// question both users ask on every scheduling decision and timer interrupt.
//
// Like k::List, the tree neither owns nor copies its elements and touches
// nothing but the embedded node. Erasing the element a range-for stands on
// invalidates that iterator: to drain, loop on first()/erase().
#include <stddef.h>
#include <stdint.h>

#include "libk/container_of.h"
#include "libk/verify.h"

namespace k {

// Unlinked is not a colour of the algorithm: it marks a node that is in no
// tree, so double inserts and erasing a stranger are caught by a VERIFY.
enum class RbColor : uint8_t { Unlinked, Red, Black };

struct RbNode {
    RbNode* parent = nullptr;
    RbNode* left = nullptr;
    RbNode* right = nullptr;
    RbColor color = RbColor::Unlinked;

    constexpr bool is_linked() const { return color != RbColor::Unlinked; }
};

// The part of the tree that does not depend on the element type: linking,
// rebalancing, unlinking and walking. It lives once in rbtree.cpp instead of
// once per element type.
class RbTreeBase {
public:
    RbTreeBase() = default;
    RbTreeBase(const RbTreeBase&) = delete;
    RbTreeBase& operator=(const RbTreeBase&) = delete;

    bool empty() const { return root_ == nullptr; }
    size_t size() const { return size_; }

    RbNode* root_node() const { return root_; }
    RbNode* first_node() const { return leftmost_; }  // O(1): cached
    RbNode* last_node() const;                        // O(log n)

    // In-order successor/predecessor, or nullptr at the end. O(log n) worst
    // case, O(1) amortized over a full walk.
    static RbNode* next_node(const RbNode* node);
    static RbNode* prev_node(const RbNode* node);

    // Checks invariants 1-5, the parent links, the element count and the
    // cached leftmost node. Returns the black height of the root (number of
    // black nodes on every root-to-leaf path, 0 for an empty tree), or -1 if
    // anything is broken. Iterative, O(n log n): for tests and debug checks.
    int check_structure() const;

protected:
    // Hangs `node` at *link (a null child pointer of `parent`, or the root
    // pointer when parent is null) and rebalances. The typed layer found the
    // position by comparing keys; `leftmost` says it only ever went left.
    void link_and_rebalance(RbNode* node, RbNode* parent, RbNode** link, bool leftmost);
    RbNode** root_link() { return &root_; }
    void erase_node(RbNode* node);

private:
    void rotate_left(RbNode* x);
    void rotate_right(RbNode* x);
    void replace_subtree(RbNode* old_child, RbNode* new_child);
    void insert_fixup(RbNode* z);
    void erase_fixup(RbNode* x, RbNode* parent);

    RbNode* root_ = nullptr;
    RbNode* leftmost_ = nullptr;
    size_t size_ = 0;
};

// Less is a function object type: Less{}(a, b) is true when a sorts before
// b. It must be a strict weak order over the elements that are in the tree at
// the same time (it may depend on state, e.g. wrap-around arithmetic, as long
// as that holds).
template <typename T, RbNode T::*Link, typename Less> class RbTree : private RbTreeBase {
public:
    RbTree() = default;

    using RbTreeBase::check_structure;
    using RbTreeBase::empty;
    using RbTreeBase::size;

    static bool is_linked(const T& item) { return (item.*Link).is_linked(); }

    // O(log n). `item` must not be in a tree.
    void insert(T& item) {
        RbNode* node = node_of(item);
        VERIFY(!node->is_linked());
        RbNode* parent = nullptr;
        RbNode** link = root_link();
        bool leftmost = true;
        while (*link) {
            parent = *link;
            if (less_(item, *owner_of(parent))) {
                link = &parent->left;
            } else {
                // Equal keys go right: ties keep insertion order.
                link = &parent->right;
                leftmost = false;
            }
        }
        link_and_rebalance(node, parent, link, leftmost);
    }

    // O(log n). `item` must be in this tree (being in another tree of the
    // same type would corrupt both: the caller's promise, as with k::List).
    void erase(T& item) { erase_node(node_of(item)); }

    // The smallest element (O(1)) / the largest (O(log n)), or nullptr.
    T* first() const { return owner_or_null(first_node()); }
    T* last() const { return owner_or_null(last_node()); }

    // The element after/before `item` in key order, or nullptr.
    static T* next(const T& item) { return owner_or_null(next_node(&(item.*Link))); }
    static T* prev(const T& item) { return owner_or_null(prev_node(&(item.*Link))); }

    // Search by key without building an element: the first element, in key
    // order, for which before(element) is false, or nullptr if there is none.
    // `before` must be true for a prefix of the in-order sequence and false
    // for the rest (it says "this element sorts before the key I look for"),
    // like the predicate of std::partition_point. With keys k, before(e) =
    // "e.key < x" gives the first element with key >= x (std::lower_bound),
    // and "e.key <= x" the first with key > x (std::upper_bound); prev() of
    // that, or last() when it is nullptr, is the last element before it.
    // O(log n): one root-to-leaf walk.
    template <typename Before> T* lower_bound(Before&& before) const {
        RbNode* node = root_node();
        RbNode* found = nullptr;
        while (node) {
            if (before(static_cast<const T&>(*owner_of(node)))) {
                node = node->right;  // node and its left subtree are all "before"
            } else {
                found = node;  // a candidate; a smaller one may sit to its left
                node = node->left;
            }
        }
        return owner_or_null(found);
    }

    // The invariants of check_structure() plus the search-tree order: no
    // element sorts before its in-order predecessor. O(n log n).
    bool check_invariants() const {
        if (check_structure() < 0) return false;
        for (const T* item = first(); item; item = next(*item)) {
            const T* following = next(*item);
            if (following && less_(*following, *item)) return false;
        }
        return true;
    }

    // Range-for support, in key order. Element is T or const T.
    template <typename Element> class Iterator {
    public:
        explicit Iterator(RbNode* node) : node_(node) {}
        Element& operator*() const { return *owner_of(node_); }
        Element* operator->() const { return owner_of(node_); }
        Iterator& operator++() {
            node_ = next_node(node_);
            return *this;
        }
        bool operator==(const Iterator& other) const { return node_ == other.node_; }
        bool operator!=(const Iterator& other) const { return node_ != other.node_; }

    private:
        RbNode* node_;
    };

    Iterator<T> begin() { return Iterator<T>(first_node()); }
    Iterator<T> end() { return Iterator<T>(nullptr); }
    Iterator<const T> begin() const { return Iterator<const T>(first_node()); }
    Iterator<const T> end() const { return Iterator<const T>(nullptr); }

private:
    // From an element to its node and back (libk/container_of.h).
    static RbNode* node_of(T& item) { return &(item.*Link); }
    static T* owner_of(RbNode* node) { return container_of<T, RbNode, Link>(node); }
    static T* owner_or_null(RbNode* node) { return node ? owner_of(node) : nullptr; }

    [[no_unique_address]] Less less_{};
};

}  // namespace k
