// Wildcard matching with one backtracking point.
//
// Why one is enough: every pattern element other than '*' consumes exactly
// one character. When a later '*' is reached, everything before it has
// matched a prefix of the text, and any way of matching the rest can start
// from the leftmost such prefix; so an earlier '*' never needs to be
// revisited. On a mismatch only the most recent '*' swallows one more
// character and matching restarts just after it. Each restart advances the
// text position, and between restarts at most the whole pattern is scanned,
// hence O(pattern * text) and no recursion.
#include "libk/glob.h"

namespace k {
namespace {

constexpr size_t kNoMatch = StringView::npos;

// Given pattern[open] == '[', the index just past the closing ']', or
// kNoMatch if there is none (then the '[' is an ordinary character).
size_t class_end(StringView pattern, size_t open) {
    size_t i = open + 1;
    if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) ++i;
    if (i < pattern.size() && pattern[i] == ']') ++i;  // "[]" and "[!]" start with a literal ']'
    while (i < pattern.size() && pattern[i] != ']') ++i;
    return i < pattern.size() ? i + 1 : kNoMatch;
}

// `members` is the text between '[' and ']'.
bool class_contains(StringView members, char c) {
    bool negated = members.starts_with('!') || members.starts_with('^');
    if (negated) members = members.drop_front(1);
    auto byte = [](char x) { return static_cast<unsigned char>(x); };
    bool found = false;
    size_t i = 0;
    while (i < members.size()) {
        if (i + 2 < members.size() && members[i + 1] == '-') {
            found |= byte(members[i]) <= byte(c) && byte(c) <= byte(members[i + 2]);
            i += 3;
        } else {
            found |= members[i] == c;
            ++i;
        }
    }
    return found != negated;
}

// If the single-character element at pattern[p] ('?', a class or a literal)
// matches c, the index of the next element; otherwise kNoMatch.
size_t match_one(StringView pattern, size_t p, char c) {
    char element = pattern[p];
    if (element == '?') return p + 1;
    if (element == '[') {
        size_t end = class_end(pattern, p);
        if (end != kNoMatch) {
            return class_contains(pattern.substr(p + 1, end - p - 2), c) ? end : kNoMatch;
        }
    }
    return element == c ? p + 1 : kNoMatch;
}

}  // namespace

bool glob_match(StringView pattern, StringView text) {
    size_t p = 0;
    size_t t = 0;
    size_t after_star = kNoMatch;  // pattern index just past the most recent '*'
    size_t star_text = 0;          // text index where that '*' currently stops
    while (t < text.size()) {
        if (p < pattern.size()) {
            if (pattern[p] == '*') {
                after_star = ++p;
                star_text = t;
                continue;
            }
            size_t next = match_one(pattern, p, text[t]);
            if (next != kNoMatch) {
                p = next;
                ++t;
                continue;
            }
        }
        if (after_star == kNoMatch) return false;
        // Let the '*' swallow one more character and retry from there.
        p = after_star;
        t = ++star_text;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool glob_match_any(StringView patterns, StringView text) {
    if (patterns.empty()) return false;
    size_t start = 0;
    for (;;) {
        size_t comma = patterns.find(',', start);
        size_t end = comma == StringView::npos ? patterns.size() : comma;
        if (glob_match(patterns.substr(start, end - start), text)) return true;
        if (comma == StringView::npos) return false;
        start = comma + 1;
    }
}

}  // namespace k
