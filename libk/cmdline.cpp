// Splitting the kernel command line into words (see cmdline.h for the rules).
#include "libk/cmdline.h"

namespace k {

void CommandLine::parse(StringView text) {
    word_count_ = 0;
    truncated_ = false;
    size_t used = 0;  // bytes of buffer_ holding earlier words
    size_t i = 0;     // position in text

    for (;;) {
        while (i < text.size() && StringView::is_space(text[i])) ++i;
        if (i == text.size()) return;

        // Copy one word into buffer_, dropping its quote characters, and note
        // where its first '=' landed. The copy never grows (quotes are only
        // removed), so a word ending within the first kMaxLength bytes of
        // text also fits in buffer_.
        size_t start = used;
        size_t equals = StringView::npos;
        bool in_quotes = false;
        while (i < text.size() && (in_quotes || !StringView::is_space(text[i]))) {
            char c = text[i++];
            if (c == '"') {
                in_quotes = !in_quotes;
                continue;
            }
            if (i > kMaxLength) break;  // cut by the length limit; dropped below
            if (c == '=' && equals == StringView::npos) equals = used - start;
            buffer_[used++] = c;
        }

        if (i > kMaxLength) {
            truncated_ = true;
            return;
        }
        if (used == start) continue;  // "" is no word at all
        if (word_count_ == kMaxWords) {
            truncated_ = true;
            return;
        }

        StringView word(buffer_ + start, used - start);
        CommandLineWord& entry = words_[word_count_++];
        if (equals == StringView::npos) {
            entry = CommandLineWord{word, StringView(), false};
        } else {
            entry = CommandLineWord{word.substr(0, equals), word.substr(equals + 1), true};
        }
    }
}

bool CommandLine::has(StringView key) const {
    for (const CommandLineWord& word : *this) {
        if (word.key == key) return true;
    }
    return false;
}

bool CommandLine::get(StringView key, StringView& value) const {
    for (size_t i = word_count_; i > 0; --i) {
        const CommandLineWord& word = words_[i - 1];
        if (word.has_value && word.key == key) {
            value = word.value;
            return true;
        }
    }
    return false;
}

bool CommandLine::get_uint(StringView key, uint64_t& value) const {
    StringView text;
    return get(key, text) && text.to_uint64(value);
}

}  // namespace k
