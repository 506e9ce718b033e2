#pragma once
// The kernel command line, e.g.
//     console=serial test=pmm.* init=/bin/sh quiet msg="hello world"
// Words are separated by blanks (space, tab, newline); a word is `key=value`
// or a bare `key` (a flag). Double quotes group blanks into a word and are
// removed: `msg="hello world"` and `"msg=hello world"` both give key `msg`,
// value `hello world` (as Linux's next_arg() does). The first '=' splits key
// from value, so `a=b=c` has value `b=c`.
//
// The text is copied into a fixed buffer inside the object, because the
// bootloader's copy lives in memory the kernel will later reuse. Input beyond
// kMaxLength bytes or kMaxWords words is dropped, and a word cut in the
// middle by that limit is dropped whole (a half `init=/bin/s` is worse than
// none); truncated() then says so, for a boot warning.
#include <stddef.h>
#include <stdint.h>

#include "libk/string_view.h"

namespace k {

struct CommandLineWord {
    StringView key;
    StringView value;  // empty for a flag
    bool has_value = false;
};

class CommandLine {
public:
    static constexpr size_t kMaxLength = 1024;
    static constexpr size_t kMaxWords = 64;

    // An empty command line (constant-initialized, so it can be a global
    // that is filled in with parse() once boot information is available).
    constexpr CommandLine() = default;
    explicit CommandLine(StringView text) { parse(text); }
    // The words point into buffer_: a copy would point into the original.
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // Replaces the contents with the words of `text`.
    void parse(StringView text);

    // True if some word has this key, as a flag or with a value.
    bool has(StringView key) const;
    // The value of the last `key=value` word with this key (later words
    // override earlier ones, as on Linux). Flags have no value and are
    // ignored here. Returns false, leaving `value` alone, if there is none.
    bool get(StringView key, StringView& value) const;
    // get() parsed as a number (decimal or 0x hex, see StringView::to_uint64);
    // false if absent or not a number.
    bool get_uint(StringView key, uint64_t& value) const;

    bool truncated() const { return truncated_; }

    // The words in order, for logging: `for (const auto& word : cmdline)`.
    size_t word_count() const { return word_count_; }
    const CommandLineWord& word(size_t index) const { return words_[index]; }
    const CommandLineWord* begin() const { return words_; }
    const CommandLineWord* end() const { return words_ + word_count_; }

private:
    char buffer_[kMaxLength] = {};
    CommandLineWord words_[kMaxWords] = {};
    size_t word_count_ = 0;
    bool truncated_ = false;
};

}  // namespace k
