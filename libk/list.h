#pragma once
// Intrusive circular doubly-linked list.
//
// "Intrusive" means the links live inside the element: a struct that can sit
// on a list embeds a k::ListNode, and the list threads those nodes together.
// Queuing an element therefore never allocates, which is what the kernel needs
// on its hot paths (free lists of the page allocator, run queues, wait queues)
// and in contexts where allocating is not allowed at all (interrupt handlers).
// An element can sit on several lists at once if it embeds several nodes.
//
//   struct Thread { k::ListNode run_link; ... };
//   k::List<Thread, &Thread::run_link> run_queue;
//   run_queue.push_back(thread);
//   for (Thread& t : run_queue) { ... }
//
// The list is circular around a sentinel node (head_) that belongs to the
// list itself, so insertion and removal never test for "first" or "last":
// every node always has a real prev and next. An element's node is "linked"
// while it is on some list; unlinked nodes have null pointers, which lets us
// catch the classic bugs (inserting an element twice, removing one that is on
// no list) with a cheap VERIFY.
//
// The list does not own its elements and never touches them beyond the node.
// Removing the element the range-for is standing on invalidates that iterator:
// to drain a list, loop on pop_front() instead.
#include <stddef.h>
#include <stdint.h>

#include "libk/container_of.h"
#include "libk/verify.h"

namespace k {

struct ListNode {
    ListNode* prev = nullptr;
    ListNode* next = nullptr;

    constexpr bool is_linked() const { return next != nullptr; }
};

template <typename T, ListNode T::*Link> class List {
public:
    constexpr List() : head_{&head_, &head_} {}
    List(const List&) = delete;
    List& operator=(const List&) = delete;

    bool empty() const { return head_.next == &head_; }
    size_t size() const { return size_; }

    // The first/last element, or nullptr when the list is empty.
    T* front() const { return empty() ? nullptr : owner_of(head_.next); }
    T* back() const { return empty() ? nullptr : owner_of(head_.prev); }
    // The element after `item` (which is on this list), or nullptr at the
    // end: for walks that may remove the element they stand on.
    T* next(T& item) const {
        ListNode* following = node_of(item)->next;
        return following == &head_ ? nullptr : owner_of(following);
    }

    void push_front(T& item) { insert_after(&head_, node_of(item)); }
    void push_back(T& item) { insert_after(head_.prev, node_of(item)); }

    // Unlinks `item`, which must be on this list (a node on another list of
    // the same type would be unlinked correctly but spoil both size counters:
    // that cannot be checked in constant time, so it is the caller's promise).
    void remove(T& item) {
        ListNode* node = node_of(item);
        VERIFY(node->is_linked());
        VERIFY(size_ > 0);
        node->prev->next = node->next;
        node->next->prev = node->prev;
        node->prev = nullptr;
        node->next = nullptr;
        --size_;
    }

    // Removes and returns the first/last element, or nullptr when empty.
    T* pop_front() {
        T* item = front();
        if (item) remove(*item);
        return item;
    }
    T* pop_back() {
        T* item = back();
        if (item) remove(*item);
        return item;
    }

    // Linear search: for assertions and tests, not for hot paths.
    bool contains(const T& item) const {
        for (const T& candidate : *this)
            if (&candidate == &item) return true;
        return false;
    }

    // Range-for support. Element is T or const T.
    template <typename Element> class Iterator {
    public:
        explicit Iterator(ListNode* node) : node_(node) {}
        Element& operator*() const { return *owner_of(node_); }
        Element* operator->() const { return owner_of(node_); }
        Iterator& operator++() {
            node_ = node_->next;
            return *this;
        }
        bool operator==(const Iterator& other) const { return node_ == other.node_; }
        bool operator!=(const Iterator& other) const { return node_ != other.node_; }

    private:
        ListNode* node_;
    };

    Iterator<T> begin() { return Iterator<T>(head_.next); }
    Iterator<T> end() { return Iterator<T>(&head_); }
    Iterator<const T> begin() const { return Iterator<const T>(head_.next); }
    Iterator<const T> end() const { return Iterator<const T>(const_cast<ListNode*>(&head_)); }

private:
    // From an element to its node and back (libk/container_of.h explains
    // how the way back works for any T).
    static ListNode* node_of(T& item) { return &(item.*Link); }
    static T* owner_of(ListNode* node) { return container_of<T, ListNode, Link>(node); }

    void insert_after(ListNode* position, ListNode* node) {
        VERIFY(!node->is_linked());  // already on a list: inserting again would corrupt both
        node->prev = position;
        node->next = position->next;
        position->next->prev = node;
        position->next = node;
        ++size_;
    }

    ListNode head_;
    size_t size_ = 0;
};

}  // namespace k
