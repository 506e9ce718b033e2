// Red-black tree rebalancing: CLRS (3rd ed.) chapter 13, RB-INSERT-FIXUP and
// RB-DELETE-FIXUP, with null leaves instead of the sentinel T.nil. Where the
// book reads x.p of the sentinel, we carry the parent in a variable instead.
#include "libk/rbtree.h"

namespace k {

namespace {

// Invariant 3: the null leaves are black.
bool is_red(const RbNode* node) { return node && node->color == RbColor::Red; }
bool is_black(const RbNode* node) { return !is_red(node); }

RbNode* minimum(RbNode* node) {
    while (node->left) node = node->left;
    return node;
}
RbNode* maximum(RbNode* node) {
    while (node->right) node = node->right;
    return node;
}

}  // namespace

RbNode* RbTreeBase::last_node() const { return root_ ? maximum(root_) : nullptr; }

RbNode* RbTreeBase::next_node(const RbNode* node) {
    if (node->right) return minimum(node->right);
    // No right subtree: the successor is the first ancestor we reach from
    // its left side.
    const RbNode* child = node;
    RbNode* parent = node->parent;
    while (parent && child == parent->right) {
        child = parent;
        parent = parent->parent;
    }
    return parent;
}

RbNode* RbTreeBase::prev_node(const RbNode* node) {
    if (node->left) return maximum(node->left);
    const RbNode* child = node;
    RbNode* parent = node->parent;
    while (parent && child == parent->left) {
        child = parent;
        parent = parent->parent;
    }
    return parent;
}

// Makes new_child take old_child's place under old_child's parent (CLRS
// RB-TRANSPLANT). new_child may be null.
void RbTreeBase::replace_subtree(RbNode* old_child, RbNode* new_child) {
    RbNode* parent = old_child->parent;
    if (!parent)
        root_ = new_child;
    else if (old_child == parent->left)
        parent->left = new_child;
    else
        parent->right = new_child;
    if (new_child) new_child->parent = parent;
}

/* rotate_left(x) lifts x's right child y into x's place:

        x                y
       / \              / \
      a   y     =>     x   c
         / \          / \
        b   c        a   b

   The in-order sequence (a x b y c) is unchanged, so the tree stays sorted.
   (A block comment: in a // comment a trailing backslash would continue the
   comment onto the next line.) rotate_right is the mirror image. */
void RbTreeBase::rotate_left(RbNode* x) {
    RbNode* y = x->right;
    x->right = y->left;
    if (y->left) y->left->parent = x;
    replace_subtree(x, y);
    y->left = x;
    x->parent = y;
}

void RbTreeBase::rotate_right(RbNode* x) {
    RbNode* y = x->left;
    x->left = y->right;
    if (y->right) y->right->parent = x;
    replace_subtree(x, y);
    y->right = x;
    x->parent = y;
}

void RbTreeBase::link_and_rebalance(RbNode* node, RbNode* parent, RbNode** link, bool leftmost) {
    node->parent = parent;
    node->left = nullptr;
    node->right = nullptr;
    // A new node is red: that keeps every black height (invariant 5) and can
    // only break invariant 4 (red parent) or 2 (empty tree), which the fixup
    // repairs.
    node->color = RbColor::Red;
    *link = node;
    if (leftmost) leftmost_ = node;
    ++size_;
    insert_fixup(node);
}

// CLRS RB-INSERT-FIXUP. Loop invariant: z is red, and the only possible
// violation is z's parent being red too. Each pass either recolours and moves
// the violation two levels up (case 1) or ends it with one or two rotations
// (cases 2 and 3).
void RbTreeBase::insert_fixup(RbNode* z) {
    while (is_red(z->parent)) {
        RbNode* parent = z->parent;
        // A red parent is not the root (invariant 2), so the grandparent exists.
        RbNode* grandparent = parent->parent;
        if (parent == grandparent->left) {
            RbNode* uncle = grandparent->right;
            if (is_red(uncle)) {  // case 1: push the blackness down from the grandparent
                parent->color = RbColor::Black;
                uncle->color = RbColor::Black;
                grandparent->color = RbColor::Red;
                z = grandparent;
                continue;
            }
            if (z == parent->right) {  // case 2: turn the zig-zag into a straight line
                z = parent;
                rotate_left(z);
                parent = z->parent;
            }
            // case 3: rotate the red parent above the grandparent
            parent->color = RbColor::Black;
            grandparent->color = RbColor::Red;
            rotate_right(grandparent);
        } else {  // mirror image
            RbNode* uncle = grandparent->left;
            if (is_red(uncle)) {
                parent->color = RbColor::Black;
                uncle->color = RbColor::Black;
                grandparent->color = RbColor::Red;
                z = grandparent;
                continue;
            }
            if (z == parent->left) {
                z = parent;
                rotate_right(z);
                parent = z->parent;
            }
            parent->color = RbColor::Black;
            grandparent->color = RbColor::Red;
            rotate_left(grandparent);
        }
    }
    root_->color = RbColor::Black;
}

// CLRS RB-DELETE, with the leftmost cache and element count kept up to date.
void RbTreeBase::erase_node(RbNode* z) {
    VERIFY(z->is_linked());
    VERIFY(size_ > 0);
    if (z == leftmost_) leftmost_ = next_node(z);

    RbNode* x;         // the node that moves into the vacated position (may be null)
    RbNode* x_parent;  // its parent after the move (the book reads x.p of T.nil)
    RbColor removed_color;
    if (!z->left) {
        x = z->right;
        x_parent = z->parent;
        removed_color = z->color;
        replace_subtree(z, x);
    } else if (!z->right) {
        x = z->left;
        x_parent = z->parent;
        removed_color = z->color;
        replace_subtree(z, x);
    } else {
        // Two children: z's successor y (no left child) takes z's place and
        // colour, so the colour that disappears from the tree is y's.
        RbNode* y = minimum(z->right);
        removed_color = y->color;
        x = y->right;
        if (y->parent == z) {
            x_parent = y;
        } else {
            x_parent = y->parent;
            replace_subtree(y, y->right);
            y->right = z->right;
            y->right->parent = y;
        }
        replace_subtree(z, y);
        y->left = z->left;
        y->left->parent = y;
        y->color = z->color;
    }
    // Removing a red node changes no black height; removing a black one
    // leaves x's side one black short, which the fixup repays.
    if (removed_color == RbColor::Black) erase_fixup(x, x_parent);

    z->parent = nullptr;
    z->left = nullptr;
    z->right = nullptr;
    z->color = RbColor::Unlinked;
    --size_;
}

// CLRS RB-DELETE-FIXUP. Think of x as carrying an "extra black": the loop
// moves it up the tree (case 2) or gets rid of it with rotations (cases 1, 3,
// 4); a red x simply absorbs it by turning black. x may be null (a black
// leaf). Its sibling w is never null: x's side is one black short, so w's side
// has a black height of at least one.
void RbTreeBase::erase_fixup(RbNode* x, RbNode* parent) {
    while (x != root_ && is_black(x)) {
        if (x == parent->left) {
            RbNode* w = parent->right;
            if (is_red(w)) {  // case 1: make the sibling black, then go on with 2-4
                w->color = RbColor::Black;
                parent->color = RbColor::Red;
                rotate_left(parent);
                w = parent->right;
            }
            if (is_black(w->left) && is_black(w->right)) {  // case 2: move the extra black up
                w->color = RbColor::Red;
                x = parent;
                parent = x->parent;
                continue;
            }
            if (is_black(w->right)) {  // case 3: make w's far child red
                w->left->color = RbColor::Black;
                w->color = RbColor::Red;
                rotate_right(w);
                w = parent->right;
            }
            // case 4: one rotation absorbs the extra black; done.
            w->color = parent->color;
            parent->color = RbColor::Black;
            w->right->color = RbColor::Black;
            rotate_left(parent);
            x = root_;
        } else {  // mirror image
            RbNode* w = parent->left;
            if (is_red(w)) {
                w->color = RbColor::Black;
                parent->color = RbColor::Red;
                rotate_right(parent);
                w = parent->left;
            }
            if (is_black(w->left) && is_black(w->right)) {
                w->color = RbColor::Red;
                x = parent;
                parent = x->parent;
                continue;
            }
            if (is_black(w->left)) {
                w->right->color = RbColor::Black;
                w->color = RbColor::Red;
                rotate_left(w);
                w = parent->left;
            }
            w->color = parent->color;
            parent->color = RbColor::Black;
            w->left->color = RbColor::Black;
            rotate_right(parent);
            x = root_;
        }
    }
    if (x) x->color = RbColor::Black;
}

int RbTreeBase::check_structure() const {
    if (!root_) return (size_ == 0 && leftmost_ == nullptr) ? 0 : -1;
    if (root_->parent != nullptr || root_->color != RbColor::Black) return -1;
    if (leftmost_ != minimum(root_)) return -1;

    int black_height = -1;
    size_t count = 0;
    for (const RbNode* node = leftmost_; node; node = next_node(node)) {
        if (++count > size_) return -1;  // also stops a walk that cycles
        if (node->color != RbColor::Red && node->color != RbColor::Black) return -1;
        if (node->left && node->left->parent != node) return -1;
        if (node->right && node->right->parent != node) return -1;
        if (is_red(node) && (is_red(node->left) || is_red(node->right))) return -1;
        // A node with a missing child ends a root-to-leaf path: count the
        // black nodes on it. Every leaf's path goes through such a node.
        if (!node->left || !node->right) {
            int blacks = 0;
            int depth = 0;
            for (const RbNode* up = node; up; up = up->parent) {
                if (up->color == RbColor::Black) ++blacks;
                if (++depth > 128) return -1;  // taller than any valid tree: parent links cycle
            }
            if (black_height < 0)
                black_height = blacks;
            else if (blacks != black_height)
                return -1;
        }
    }
    return count == size_ ? black_height : -1;
}

}  // namespace k
