#include "libk/list.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

struct Item {
    int value = 0;
    k::ListNode link;
    k::ListNode other_link;  // lets an Item sit on two lists at once
};

using ItemList = k::List<Item, &Item::link>;
using OtherList = k::List<Item, &Item::other_link>;

template <typename L> std::vector<int> values_of(const L& list) {
    std::vector<int> values;
    for (const Item& item : list) values.push_back(item.value);
    return values;
}

TEST(IntrusiveList, StartsEmpty) {
    ItemList list;
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.size(), 0u);
    EXPECT_EQ(list.front(), nullptr);
    EXPECT_EQ(list.back(), nullptr);
    EXPECT_EQ(list.pop_front(), nullptr);
    EXPECT_EQ(list.pop_back(), nullptr);
    EXPECT_TRUE(values_of(list).empty());
}

TEST(IntrusiveList, PushFrontAndBackKeepOrder) {
    Item a{1, {}, {}}, b{2, {}, {}}, c{3, {}, {}};
    ItemList list;
    list.push_back(b);
    list.push_front(a);
    list.push_back(c);
    EXPECT_EQ(values_of(list), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(list.size(), 3u);
    EXPECT_EQ(list.front(), &a);
    EXPECT_EQ(list.back(), &c);
    while (list.pop_front()) {
    }
}

TEST(IntrusiveList, RemoveFromMiddleAndEnds) {
    Item items[5];
    ItemList list;
    for (int i = 0; i < 5; ++i) {
        items[i].value = i;
        list.push_back(items[i]);
    }
    list.remove(items[2]);
    EXPECT_EQ(values_of(list), (std::vector<int>{0, 1, 3, 4}));
    list.remove(items[0]);
    list.remove(items[4]);
    EXPECT_EQ(values_of(list), (std::vector<int>{1, 3}));
    EXPECT_EQ(list.size(), 2u);
    EXPECT_FALSE(items[2].link.is_linked());
    EXPECT_TRUE(items[1].link.is_linked());
    // A removed element can go back on.
    list.push_front(items[2]);
    EXPECT_EQ(values_of(list), (std::vector<int>{2, 1, 3}));
    while (list.pop_front()) {
    }
}

TEST(IntrusiveList, PopReturnsElementsAndUnlinksThem) {
    Item a{1, {}, {}}, b{2, {}, {}}, c{3, {}, {}};
    ItemList list;
    list.push_back(a);
    list.push_back(b);
    list.push_back(c);
    EXPECT_EQ(list.pop_front(), &a);
    EXPECT_FALSE(a.link.is_linked());
    EXPECT_EQ(list.pop_back(), &c);
    EXPECT_FALSE(c.link.is_linked());
    EXPECT_EQ(list.size(), 1u);
    EXPECT_EQ(list.pop_front(), &b);
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.pop_front(), nullptr);
}

TEST(IntrusiveList, ElementOnTwoListsThroughTwoNodes) {
    Item a{1, {}, {}}, b{2, {}, {}};
    ItemList first;
    OtherList second;
    first.push_back(a);
    first.push_back(b);
    second.push_back(b);
    second.push_back(a);
    EXPECT_EQ(values_of(first), (std::vector<int>{1, 2}));
    EXPECT_EQ(values_of(second), (std::vector<int>{2, 1}));
    first.remove(a);
    EXPECT_EQ(values_of(second), (std::vector<int>{2, 1}));
    EXPECT_TRUE(second.contains(a));
    EXPECT_FALSE(first.contains(a));
    while (first.pop_front()) {
    }
    while (second.pop_front()) {
    }
}

TEST(IntrusiveList, IterationGivesMutableReferences) {
    Item items[3];
    ItemList list;
    for (Item& item : items) list.push_back(item);
    int next = 10;
    for (Item& item : list) item.value = next++;
    EXPECT_EQ(items[0].value, 10);
    EXPECT_EQ(items[2].value, 12);
    while (list.pop_front()) {
    }
}

TEST(IntrusiveList, NodeNotFirstMemberStillFindsItsElement) {
    // The node sits at a non-zero offset (after `value`), so owner_of must
    // subtract that offset: a wrong offset would read garbage values.
    static_assert(offsetof(Item, link) != 0);
    Item a{42, {}, {}};
    OtherList list;  // other_link is at a larger offset still
    list.push_back(a);
    EXPECT_EQ(list.front(), &a);
    EXPECT_EQ(list.front()->value, 42);
    list.remove(a);
}

TEST(IntrusiveList, SizeCountsManyElements) {
    std::vector<Item> items(1000);
    ItemList list;
    for (Item& item : items) list.push_back(item);
    EXPECT_EQ(list.size(), 1000u);
    for (size_t i = 0; i < items.size(); i += 2) list.remove(items[i]);
    EXPECT_EQ(list.size(), 500u);
    size_t counted = 0;
    for (Item& item : list) {
        (void)item;
        ++counted;
    }
    EXPECT_EQ(counted, 500u);
    while (list.pop_front()) {
    }
}

TEST(IntrusiveListDeathTest, PushingALinkedNodeDies) {
    Item a;
    ItemList list;
    list.push_back(a);
    EXPECT_DEATH(list.push_back(a), "is_linked");
    list.remove(a);
}

TEST(IntrusiveListDeathTest, RemovingAnUnlinkedNodeDies) {
    Item a;
    ItemList list;
    EXPECT_DEATH(list.remove(a), "is_linked");
}

}  // namespace
