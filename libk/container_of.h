#pragma once
// From a pointer to a member back to the object that contains it: the
// intrusive containers' trick, for any type. In the Itanium C++ ABI (GCC and
// Clang on x86-64) a pointer to data member is represented as the member's
// byte offset (ABI §2.3), which offsetof() only promises for standard-layout
// types.
#include <stddef.h>

namespace k {

template <typename T, typename M, M T::*Member> T* container_of(M* member) {
    static_assert(sizeof(Member) == sizeof(ptrdiff_t), "pointer to data member is not an offset on this ABI");
    const ptrdiff_t offset = __builtin_bit_cast(ptrdiff_t, Member);
    return reinterpret_cast<T*>(reinterpret_cast<char*>(member) - offset);
}

}  // namespace k
