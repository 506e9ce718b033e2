#pragma once
// Shell-style wildcard matching, for choosing things by name: which in-kernel
// test suites to run (`test=pmm.*,heap.*` on the command line), which trace
// points to enable.
//
//   *        any run of characters, including none (and including '/' and '.':
//            these are names, not paths)
//   ?        exactly one character
//   [abc]    one of the listed characters; [a-z] a range; [!a-z] or [^a-z]
//            anything else. A ']' right after '[' or '[!' is a member, and a
//            '-' first or last is itself. A '[' with no closing ']' is an
//            ordinary character.
// Everything else matches itself; there is no backslash escape.
//
// Matching takes O(pattern length * text length) time in the worst case and
// no extra memory, whatever the pattern: a pattern such as "a*a*a*a*b" comes
// from a command line anyone can type and must not stall the boot.
#include "libk/string_view.h"

namespace k {

bool glob_match(StringView pattern, StringView text);

// True if any of the comma-separated patterns matches (`pmm.*,heap.*`). An
// empty list matches nothing; patterns cannot contain a literal comma.
bool glob_match_any(StringView patterns, StringView text);

}  // namespace k
