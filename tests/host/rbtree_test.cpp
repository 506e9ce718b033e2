#include "libk/rbtree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace {

struct Item {
    int key = 0;
    int id = 0;
    k::RbNode node;
};

struct ByKey {
    bool operator()(const Item& a, const Item& b) const { return a.key < b.key; }
};

using Tree = k::RbTree<Item, &Item::node, ByKey>;

// An independent checker, written recursively and directly from the CLRS
// invariants, so the tree's own check_structure() is not the only judge.
// Returns the black height of `node` (null leaves count 0) or -1.
int validate_subtree(const k::RbNode* node, const k::RbNode* parent, const Item** previous, int* count) {
    if (!node) return 0;
    if (node->parent != parent) return -1;
    if (node->color != k::RbColor::Red && node->color != k::RbColor::Black) return -1;
    if (node->color == k::RbColor::Red) {
        if (node->left && node->left->color == k::RbColor::Red) return -1;
        if (node->right && node->right->color == k::RbColor::Red) return -1;
    }
    int left = validate_subtree(node->left, node, previous, count);
    if (left < 0) return -1;
    const Item* item = reinterpret_cast<const Item*>(reinterpret_cast<const char*>(node) - offsetof(Item, node));
    if (*previous && item->key < (*previous)->key) return -1;  // in-order walk must be sorted
    *previous = item;
    ++*count;
    int right = validate_subtree(node->right, node, previous, count);
    if (right < 0 || right != left) return -1;
    return left + (node->color == k::RbColor::Black ? 1 : 0);
}

// The root is reachable from any element by parent links.
const k::RbNode* root_of(const Tree& tree) {
    const Item* first = tree.first();
    if (!first) return nullptr;
    const k::RbNode* node = &first->node;
    while (node->parent) node = node->parent;
    return node;
}

void expect_valid(const Tree& tree) {
    const k::RbNode* root = root_of(tree);
    const Item* previous = nullptr;
    int count = 0;
    if (root) {
        ASSERT_EQ(root->color, k::RbColor::Black) << "invariant 2: the root is black";
    }
    ASSERT_GE(validate_subtree(root, nullptr, &previous, &count), 0);
    ASSERT_EQ(static_cast<size_t>(count), tree.size());
    ASSERT_TRUE(tree.check_invariants());
    // first() is the cached minimum: the leftmost node.
    if (root) {
        const k::RbNode* leftmost = root;
        while (leftmost->left) leftmost = leftmost->left;
        ASSERT_EQ(&tree.first()->node, leftmost);
    } else {
        ASSERT_EQ(tree.first(), nullptr);
    }
}

std::vector<int> keys_of(const Tree& tree) {
    std::vector<int> keys;
    for (const Item& item : tree) keys.push_back(item.key);
    return keys;
}

int height(const k::RbNode* node) {
    return node ? 1 + std::max(height(node->left), height(node->right)) : 0;
}

TEST(RbTree, StartsEmpty) {
    Tree tree;
    EXPECT_TRUE(tree.empty());
    EXPECT_EQ(tree.size(), 0u);
    EXPECT_EQ(tree.first(), nullptr);
    EXPECT_EQ(tree.last(), nullptr);
    EXPECT_EQ(tree.check_structure(), 0);
    EXPECT_TRUE(tree.check_invariants());
    EXPECT_EQ(tree.begin(), tree.end());
}

TEST(RbTree, InsertKeepsOrderAndLinksNodes) {
    Item items[7];
    int keys[7] = {50, 20, 80, 10, 30, 70, 90};
    Tree tree;
    for (int i = 0; i < 7; ++i) {
        items[i].key = keys[i];
        EXPECT_FALSE(Tree::is_linked(items[i]));
        tree.insert(items[i]);
        EXPECT_TRUE(Tree::is_linked(items[i]));
        expect_valid(tree);
    }
    EXPECT_EQ(keys_of(tree), (std::vector<int>{10, 20, 30, 50, 70, 80, 90}));
    EXPECT_EQ(tree.size(), 7u);
    EXPECT_EQ(tree.first()->key, 10);
    EXPECT_EQ(tree.last()->key, 90);
    EXPECT_EQ(Tree::next(items[0])->key, 70);  // successor of 50
    EXPECT_EQ(Tree::prev(items[0])->key, 30);
    EXPECT_EQ(Tree::next(*tree.last()), nullptr);
    EXPECT_EQ(Tree::prev(*tree.first()), nullptr);
    while (Item* first = tree.first()) tree.erase(*first);
    for (const Item& item : items) EXPECT_FALSE(Tree::is_linked(item));
}

TEST(RbTree, EqualKeysKeepInsertionOrder) {
    Item items[20];
    Tree tree;
    for (int i = 0; i < 20; ++i) {
        items[i].key = i % 3;  // 0,1,2,0,1,2,...
        items[i].id = i;
        tree.insert(items[i]);
    }
    expect_valid(tree);
    std::vector<int> ids;
    for (const Item& item : tree) ids.push_back(item.id);
    std::vector<int> expected;
    for (int key = 0; key < 3; ++key)
        for (int i = 0; i < 20; ++i)
            if (i % 3 == key) expected.push_back(i);
    EXPECT_EQ(ids, expected);
    while (Item* first = tree.first()) tree.erase(*first);
}

TEST(RbTree, EraseRootMiddleAndEnds) {
    constexpr int kCount = 31;
    Item items[kCount];
    for (int order : {0, 1, 2}) {  // erase the root repeatedly, the middle element, the last element
        Tree tree;
        for (int i = 0; i < kCount; ++i) {
            items[i].key = i;
            tree.insert(items[i]);
        }
        std::vector<int> expected;
        for (int i = 0; i < kCount; ++i) expected.push_back(i);
        while (!tree.empty()) {
            Item* victim;
            if (order == 0) {
                const k::RbNode* root = root_of(tree);
                victim = const_cast<Item*>(reinterpret_cast<const Item*>(reinterpret_cast<const char*>(root) -
                                                                         offsetof(Item, node)));
            } else if (order == 1) {
                victim = tree.first();
                for (size_t step = 0; step < tree.size() / 2; ++step) victim = Tree::next(*victim);
            } else {
                victim = tree.last();
            }
            expected.erase(std::find(expected.begin(), expected.end(), victim->key));
            tree.erase(*victim);
            EXPECT_FALSE(Tree::is_linked(*victim));
            expect_valid(tree);
            EXPECT_EQ(keys_of(tree), expected);
        }
    }
}

TEST(RbTree, HeightStaysLogarithmicForSortedInput) {
    // Sorted input degenerates an unbalanced search tree into a list.
    constexpr int kCount = 100'000;
    auto items = std::make_unique<Item[]>(kCount);
    Tree tree;
    for (int i = 0; i < kCount; ++i) {
        items[i].key = i;
        tree.insert(items[i]);
    }
    expect_valid(tree);
    // CLRS Lemma 13.1: height <= 2 log2(n + 1).
    EXPECT_LE(height(root_of(tree)), 2 * std::log2(kCount + 1));
    EXPECT_EQ(tree.first(), &items[0]);
    EXPECT_EQ(tree.last(), &items[kCount - 1]);
    for (int i = kCount - 1; i >= 0; i -= 2) tree.erase(items[i]);  // every other, from the top
    expect_valid(tree);
    EXPECT_EQ(tree.size(), static_cast<size_t>(kCount / 2));
    EXPECT_LE(height(root_of(tree)), 2 * std::log2(kCount / 2 + 1));
    while (Item* first = tree.first()) tree.erase(*first);
}

TEST(RbTree, CheckerCatchesBrokenInvariants) {
    Item items[15];
    Tree tree;
    for (int i = 0; i < 15; ++i) {
        items[i].key = i;
        tree.insert(items[i]);
    }
    ASSERT_GT(tree.check_structure(), 0);

    // A black node turned red below the root breaks invariant 4 or 5.
    k::RbNode* root = const_cast<k::RbNode*>(root_of(tree));
    k::RbNode* child = root->left;
    k::RbColor saved = child->color;
    child->color = saved == k::RbColor::Black ? k::RbColor::Red : k::RbColor::Black;
    EXPECT_EQ(tree.check_structure(), -1);
    child->color = saved;
    EXPECT_GT(tree.check_structure(), 0);

    // Keys out of order: structure fine, order not.
    std::swap(items[3].key, items[4].key);
    EXPECT_GT(tree.check_structure(), 0);
    EXPECT_FALSE(tree.check_invariants());
    std::swap(items[3].key, items[4].key);

    // A wrong parent link.
    k::RbNode* saved_parent = child->parent;
    child->parent = child;
    EXPECT_EQ(tree.check_structure(), -1);
    child->parent = saved_parent;
    EXPECT_TRUE(tree.check_invariants());
    while (Item* first = tree.first()) tree.erase(*first);
}

// Random inserts and erases against std::set of (key, insertion stamp, id),
// which is exactly the order the tree promises: by key, ties in insertion
// order. Everything is checked after every step.
TEST(RbTree, RandomOperationsMatchReferenceModel) {
    constexpr int kPool = 300;
    constexpr int kSteps = 20'000;
    std::mt19937 random(12345);
    auto items = std::make_unique<Item[]>(kPool);
    for (int i = 0; i < kPool; ++i) items[i].id = i;
    std::vector<long> stamp(kPool, 0);
    std::set<std::tuple<int, long, int>> model;
    Tree tree;
    long clock = 0;
    for (int step = 0; step < kSteps; ++step) {
        int index = static_cast<int>(random() % kPool);
        Item& item = items[index];
        // Bias towards growth in the first half, shrinking in the second, so
        // the tree gets big and then empties through all erase cases.
        bool want_insert = (random() % 100) < (step < kSteps / 2 ? 65u : 35u);
        if (!Tree::is_linked(item) && want_insert) {
            item.key = static_cast<int>(random() % 50);  // many duplicates
            stamp[index] = ++clock;
            tree.insert(item);
            model.insert({item.key, stamp[index], index});
        } else if (Tree::is_linked(item) && !want_insert) {
            tree.erase(item);
            model.erase({item.key, stamp[index], index});
        }
        ASSERT_NO_FATAL_FAILURE(expect_valid(tree)) << "step " << step;
        ASSERT_EQ(tree.size(), model.size());
        auto expected = model.begin();
        for (const Item& in_tree : tree) {
            ASSERT_EQ(in_tree.id, std::get<2>(*expected)) << "step " << step;
            ++expected;
        }
        // Walking backwards with prev() gives the reverse sequence.
        auto reverse = model.rbegin();
        for (const Item* back = tree.last(); back; back = Tree::prev(*back)) {
            ASSERT_EQ(back->id, std::get<2>(*reverse));
            ++reverse;
        }
    }
    while (Item* first = tree.first()) tree.erase(*first);
}

TEST(RbTree, LowerBoundOnEmptyTree) {
    Tree tree;
    int calls = 0;
    EXPECT_EQ(tree.lower_bound([&](const Item&) {
        ++calls;
        return true;
    }),
              nullptr);
    EXPECT_EQ(calls, 0);
}

TEST(RbTree, LowerBoundFindsFirstNotBefore) {
    Item items[7];
    int keys[7] = {50, 20, 80, 10, 30, 70, 90};
    Tree tree;
    for (int i = 0; i < 7; ++i) {
        items[i].key = keys[i];
        tree.insert(items[i]);
    }
    auto lower = [&](int x) { return tree.lower_bound([x](const Item& e) { return e.key < x; }); };
    auto upper = [&](int x) { return tree.lower_bound([x](const Item& e) { return e.key <= x; }); };
    EXPECT_EQ(lower(5)->key, 10);   // below everything: the first element
    EXPECT_EQ(lower(10)->key, 10);  // exact hit
    EXPECT_EQ(lower(11)->key, 20);
    EXPECT_EQ(lower(50)->key, 50);
    EXPECT_EQ(lower(90)->key, 90);
    EXPECT_EQ(lower(91), nullptr);  // above everything
    EXPECT_EQ(upper(10)->key, 20);
    EXPECT_EQ(upper(89)->key, 90);
    EXPECT_EQ(upper(90), nullptr);
    // The last element before x: prev() of the lower bound.
    EXPECT_EQ(Tree::prev(*lower(50))->key, 30);
    while (Item* first = tree.first()) tree.erase(*first);
}

TEST(RbTree, LowerBoundWithDuplicatesReturnsTheFirstOfThem) {
    Item items[9];
    Tree tree;
    for (int i = 0; i < 9; ++i) {
        items[i].key = i / 3;  // 0,0,0,1,1,1,2,2,2
        items[i].id = i;
        tree.insert(items[i]);
    }
    for (int key = 0; key < 3; ++key) {
        Item* found = tree.lower_bound([key](const Item& e) { return e.key < key; });
        ASSERT_NE(found, nullptr);
        EXPECT_EQ(found->id, key * 3) << "ties are in insertion order; the bound is the earliest";
    }
    while (Item* first = tree.first()) tree.erase(*first);
}

// Against std::lower_bound on a sorted vector, for random trees and every key
// in range: both bounds, and the walk stays within the height of the tree.
TEST(RbTree, LowerBoundMatchesStdLowerBound) {
    std::mt19937 random(777);
    for (int round = 0; round < 20; ++round) {
        const int count = static_cast<int>(random() % 200);
        auto items = std::make_unique<Item[]>(count);
        std::vector<int> keys;
        Tree tree;
        for (int i = 0; i < count; ++i) {
            items[i].key = static_cast<int>(random() % 400);
            items[i].id = i;
            keys.push_back(items[i].key);
            tree.insert(items[i]);
        }
        std::sort(keys.begin(), keys.end());
        const int max_steps = 2 * static_cast<int>(std::log2(count + 1)) + 1;
        for (int x = -1; x <= 401; ++x) {
            int steps = 0;
            Item* found = tree.lower_bound([&](const Item& e) {
                ++steps;
                return e.key < x;
            });
            EXPECT_LE(steps, max_steps);
            auto expected = std::lower_bound(keys.begin(), keys.end(), x);
            if (expected == keys.end()) {
                EXPECT_EQ(found, nullptr) << "x=" << x;
            } else {
                ASSERT_NE(found, nullptr) << "x=" << x;
                EXPECT_EQ(found->key, *expected) << "x=" << x;
                if (Item* before = Tree::prev(*found)) {
                    EXPECT_LT(before->key, x);
                }
            }
            Item* above = tree.lower_bound([&](const Item& e) { return e.key <= x; });
            auto expected_above = std::upper_bound(keys.begin(), keys.end(), x);
            if (expected_above == keys.end())
                EXPECT_EQ(above, nullptr);
            else
                EXPECT_EQ(above ? above->key : -1, *expected_above);
        }
        while (Item* first = tree.first()) tree.erase(*first);
    }
}

}  // namespace
