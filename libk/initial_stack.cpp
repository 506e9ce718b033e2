// The initial process stack (layout in initial_stack.h). Two steps: first
// every address is computed from the top down with checked arithmetic - the
// sizes come from user space (argv and envp of execve) and may be absurd -
// then, once the whole picture is known to fit, the bytes are written.
#include "libk/initial_stack.h"

#include "libk/string.h"
#include "libk/utility.h"
#include "libk/verify.h"

namespace k {
namespace {

// psABI §3.4.1: "the stack pointer holds the address of the byte with
// lowest address which is part of the stack. It is guaranteed to be 16-byte
// aligned at process entry."
constexpr uint64_t kStackAlignment = 16;
constexpr uint64_t kWordSize = 8;

// AT_RANDOM, AT_EXECFN, AT_PLATFORM point into the stack and AT_NULL ends
// the vector: only the builder knows those, so callers may not pass them.
bool reserved_auxv_type(uint64_t type) {
    return type == kAtNull || type == kAtRandom || type == kAtExecfn || type == kAtPlatform;
}

// Adds the string and its NUL to `total`; false on overflow.
bool add_string_size(uint64_t& total, StringView s) {
    return !__builtin_add_overflow(total, s.size(), &total) && !__builtin_add_overflow(total, 1, &total);
}

// Moves `cursor` down by `amount`; false if it would go below address 0.
bool move_down(uint64_t& cursor, uint64_t amount) { return !__builtin_sub_overflow(cursor, amount, &cursor); }

// Writes into the buffer that mirrors the user addresses [stack_top - size, stack_top).
class StackWriter {
public:
    StackWriter(uint64_t stack_top, uint8_t* buffer, size_t capacity)
        : stack_top_(stack_top), buffer_end_(buffer + capacity) {}

    uint8_t* at(uint64_t user_address) const { return buffer_end_ - (stack_top_ - user_address); }

    void bytes(uint64_t user_address, const void* data, size_t size) {
        if (size != 0) memcpy(at(user_address), data, size);
    }
    // A string and its NUL; returns the user address just past it.
    uint64_t string(uint64_t user_address, StringView s) {
        bytes(user_address, s.data(), s.size());
        *at(user_address + s.size()) = 0;
        return user_address + s.size() + 1;
    }
    // One 8-byte word at `*cursor`, which then moves up by 8. memcpy: the
    // buffer itself need not be 8-byte aligned.
    void word(uint64_t& cursor, uint64_t value) {
        memcpy(at(cursor), &value, sizeof(value));
        cursor += kWordSize;
    }

private:
    uint64_t stack_top_;
    uint8_t* buffer_end_;
};

}  // namespace

Result<InitialStack> build_initial_stack(uint64_t stack_top, uint8_t* buffer, size_t capacity,
                                         const InitialStackContents& contents) {
    const InitialStackContents& c = contents;
    if (c.random_bytes == nullptr) return error(Errno::einval);
    if ((c.argc != 0 && c.argv == nullptr) || (c.envc != 0 && c.envp == nullptr) ||
        (c.auxc != 0 && c.auxv == nullptr)) {
        return error(Errno::einval);
    }
    for (size_t i = 0; i < c.auxc; ++i) {
        if (reserved_auxv_type(c.auxv[i].type)) return error(Errno::einval);
    }

    // ---- Sizes.
    uint64_t strings_size = 0;
    for (size_t i = 0; i < c.argc; ++i) {
        if (!add_string_size(strings_size, c.argv[i])) return error(Errno::e2big);
    }
    for (size_t i = 0; i < c.envc; ++i) {
        if (!add_string_size(strings_size, c.envp[i])) return error(Errno::e2big);
    }
    if (!add_string_size(strings_size, c.execfn)) return error(Errno::e2big);
    uint64_t platform_size = 0;
    if (!c.platform.empty() && !add_string_size(platform_size, c.platform)) return error(Errno::e2big);

    // The auxiliary vector: the caller's entries, the builder's pointers, AT_NULL.
    uint64_t auxv_entries = 0;
    if (__builtin_add_overflow(c.auxc, 2 + (c.platform.empty() ? 0 : 1) + 1, &auxv_entries)) {
        return error(Errno::e2big);
    }
    // argc, argv[] + 0, envp[] + 0, two words per auxv entry.
    uint64_t words = 0;
    if (__builtin_add_overflow(c.argc, c.envc, &words) || __builtin_add_overflow(words, 3, &words) ||
        __builtin_add_overflow(words, auxv_entries, &words) || __builtin_add_overflow(words, auxv_entries, &words)) {
        return error(Errno::e2big);
    }
    uint64_t vector_size = 0;
    if (__builtin_mul_overflow(words, kWordSize, &vector_size)) return error(Errno::e2big);

    // ---- Addresses, from the top down (the picture in initial_stack.h).
    uint64_t cursor = stack_top;
    if (!move_down(cursor, kWordSize)) return error(Errno::e2big);  // end marker
    if (!move_down(cursor, strings_size)) return error(Errno::e2big);
    const uint64_t strings_address = cursor;
    if (!move_down(cursor, platform_size)) return error(Errno::e2big);
    const uint64_t platform_address = cursor;
    cursor = align_down(cursor, kStackAlignment);
    if (!move_down(cursor, kAtRandomSize)) return error(Errno::e2big);
    const uint64_t random_address = cursor;
    if (!move_down(cursor, vector_size)) return error(Errno::e2big);
    const uint64_t rsp = align_down(cursor, kStackAlignment);
    const uint64_t used = stack_top - rsp;
    if (used > capacity) return error(Errno::e2big);

    // ---- Bytes. Zero everything first: the padding and the end marker are
    // zeros, and no stale kernel data may leak into the new process.
    StackWriter out(stack_top, buffer, capacity);
    memset(out.at(rsp), 0, used);

    out.bytes(random_address, c.random_bytes, kAtRandomSize);
    if (platform_size != 0) out.string(platform_address, c.platform);

    uint64_t string_cursor = strings_address;
    uint64_t vector_cursor = rsp;
    out.word(vector_cursor, c.argc);
    for (size_t i = 0; i < c.argc; ++i) {
        out.word(vector_cursor, string_cursor);
        string_cursor = out.string(string_cursor, c.argv[i]);
    }
    out.word(vector_cursor, 0);
    for (size_t i = 0; i < c.envc; ++i) {
        out.word(vector_cursor, string_cursor);
        string_cursor = out.string(string_cursor, c.envp[i]);
    }
    out.word(vector_cursor, 0);
    const uint64_t execfn_address = string_cursor;
    out.string(execfn_address, c.execfn);

    for (size_t i = 0; i < c.auxc; ++i) {
        out.word(vector_cursor, c.auxv[i].type);
        out.word(vector_cursor, c.auxv[i].value);
    }
    out.word(vector_cursor, kAtRandom);
    out.word(vector_cursor, random_address);
    out.word(vector_cursor, kAtExecfn);
    out.word(vector_cursor, execfn_address);
    if (platform_size != 0) {
        out.word(vector_cursor, kAtPlatform);
        out.word(vector_cursor, platform_address);
    }
    out.word(vector_cursor, kAtNull);
    out.word(vector_cursor, 0);
    // The vector ends at or below the random bytes; the gap is the padding.
    VERIFY(vector_cursor <= random_address);

    return InitialStack{rsp, static_cast<size_t>(used)};
}

}  // namespace k
