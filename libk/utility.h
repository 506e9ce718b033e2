#pragma once
// Freestanding replacements for the few <utility>/<type_traits> pieces the
// kernel needs. The kernel has no C++ standard library; the host tests do, so
// everything here lives in namespace k to avoid clashing with std.
#include <stddef.h>
#include <stdint.h>

namespace k {

template <typename T> struct RemoveReference { using Type = T; };
template <typename T> struct RemoveReference<T&> { using Type = T; };
template <typename T> struct RemoveReference<T&&> { using Type = T; };
template <typename T> using RemoveReferenceT = typename RemoveReference<T>::Type;

template <typename T> constexpr RemoveReferenceT<T>&& move(T&& value) noexcept {
    return static_cast<RemoveReferenceT<T>&&>(value);
}

template <typename T> constexpr T&& forward(RemoveReferenceT<T>& value) noexcept {
    return static_cast<T&&>(value);
}
template <typename T> constexpr T&& forward(RemoveReferenceT<T>&& value) noexcept {
    return static_cast<T&&>(value);
}

template <typename T> constexpr void swap(T& a, T& b) noexcept {
    T tmp = move(a);
    a = move(b);
    b = move(tmp);
}

template <typename T> constexpr const T& min(const T& a, const T& b) { return b < a ? b : a; }
template <typename T> constexpr const T& max(const T& a, const T& b) { return a < b ? b : a; }

// Alignment helpers for power-of-two alignments (page sizes, slab sizes).
constexpr bool is_power_of_two(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }
constexpr uint64_t align_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }
constexpr uint64_t align_up(uint64_t value, uint64_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}
constexpr bool is_aligned(uint64_t value, uint64_t alignment) { return (value & (alignment - 1)) == 0; }

template <typename T, size_t N> constexpr size_t array_size(const T (&)[N]) { return N; }

}  // namespace k
