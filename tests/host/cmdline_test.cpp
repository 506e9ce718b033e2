#include "libk/cmdline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace k {
static void PrintTo(const StringView& view, std::ostream* os) {
    *os << '"' << std::string(view.data() ? view.data() : "", view.size()) << '"';
}
}  // namespace k

namespace {

using k::CommandLine;
using k::StringView;

// std::string has no conversion to k::StringView (the kernel header knows nothing of it).
StringView view_of(const std::string& text) { return StringView(text.data(), text.size()); }

std::string str(StringView view) { return std::string(view.data() ? view.data() : "", view.size()); }

// The words as "key=value" or "key" strings, for whole-line comparisons.
std::vector<std::string> words_of(const CommandLine& line) {
    std::vector<std::string> words;
    for (const k::CommandLineWord& word : line) words.push_back(str(word.key) + (word.has_value ? "=" + str(word.value) : ""));
    return words;
}

std::string value_of(const CommandLine& line, StringView key) {
    StringView value("untouched");
    if (!line.get(key, value)) return "<none>";
    return str(value);
}

TEST(CommandLine, ParsesTheTypicalLine) {
    CommandLine line(R"(console=serial test=pmm.* init=/bin/sh quiet msg="hello world")");
    EXPECT_FALSE(line.truncated());
    ASSERT_EQ(line.word_count(), 5u);
    EXPECT_EQ(words_of(line),
              (std::vector<std::string>{"console=serial", "test=pmm.*", "init=/bin/sh", "quiet", "msg=hello world"}));

    EXPECT_TRUE(line.has("console"));
    EXPECT_TRUE(line.has("quiet"));
    EXPECT_TRUE(line.has("msg"));
    EXPECT_FALSE(line.has("quie"));
    EXPECT_FALSE(line.has("quiets"));
    EXPECT_FALSE(line.has("serial"));  // values are not keys
    EXPECT_FALSE(line.has(""));

    EXPECT_EQ(value_of(line, "console"), "serial");
    EXPECT_EQ(value_of(line, "test"), "pmm.*");
    EXPECT_EQ(value_of(line, "init"), "/bin/sh");
    EXPECT_EQ(value_of(line, "msg"), "hello world");
    EXPECT_EQ(value_of(line, "quiet"), "<none>");  // a flag has no value
    EXPECT_EQ(value_of(line, "missing"), "<none>");

    EXPECT_EQ(line.word(3).key, "quiet");
    EXPECT_FALSE(line.word(3).has_value);
    EXPECT_TRUE(line.word(4).has_value);
}

TEST(CommandLine, EmptyAndBlankLines) {
    for (const char* text : {"", " ", "\t \t  ", "\n", "\"\"", "  \"\"  \"\" "}) {
        CommandLine line(view_of(text));
        EXPECT_EQ(line.word_count(), 0u) << text;
        EXPECT_FALSE(line.truncated()) << text;
        EXPECT_FALSE(line.has("a"));
    }
    CommandLine unset;
    EXPECT_EQ(unset.word_count(), 0u);
    EXPECT_FALSE(unset.has(""));
    CommandLine null_line(StringView(nullptr));
    EXPECT_EQ(null_line.word_count(), 0u);
}

TEST(CommandLine, BlanksSeparateWords) {
    CommandLine line(" \t a=1\t\tb  c=3 \r\n d ");
    EXPECT_EQ(words_of(line), (std::vector<std::string>{"a=1", "b", "c=3", "d"}));
}

TEST(CommandLine, LastOccurrenceWins) {
    CommandLine line("init=/sbin/init console=vga init=/bin/sh init console=serial");
    EXPECT_EQ(value_of(line, "init"), "/bin/sh");  // the bare flag has no value to override with
    EXPECT_EQ(value_of(line, "console"), "serial");
    EXPECT_TRUE(line.has("init"));
}

TEST(CommandLine, ValuesAndQuotes) {
    CommandLine line("empty= a=b=c \"msg=two words\" x=\"y z\"w q=\"\" \"odd key\"=v tab=\"a\tb\" k=\"un terminated");
    EXPECT_EQ(words_of(line), (std::vector<std::string>{"empty=", "a=b=c", "msg=two words", "x=y zw", "q=",
                                                        "odd key=v", "tab=a\tb", "k=un terminated"}));
    EXPECT_EQ(value_of(line, "empty"), "");
    EXPECT_TRUE(line.word(0).has_value);
    EXPECT_EQ(value_of(line, "a"), "b=c");
    EXPECT_EQ(value_of(line, "msg"), "two words");
    EXPECT_EQ(value_of(line, "odd key"), "v");
    EXPECT_EQ(value_of(line, "k"), "un terminated");

    CommandLine equals_in_quotes(R"(a="x=y")");
    EXPECT_EQ(value_of(equals_in_quotes, "a"), "x=y");
    CommandLine key_less("=value");
    ASSERT_EQ(key_less.word_count(), 1u);
    EXPECT_EQ(value_of(key_less, ""), "value");
}

TEST(CommandLine, GetUint) {
    CommandLine line("cpus=4 mem=0x8000000 big=18446744073709551615 huge=18446744073709551616 neg=-1 name=abc flag "
                     "empty=");
    uint64_t value = 77;
    ASSERT_TRUE(line.get_uint("cpus", value));
    EXPECT_EQ(value, 4u);
    ASSERT_TRUE(line.get_uint("mem", value));
    EXPECT_EQ(value, 0x8000000u);
    ASSERT_TRUE(line.get_uint("big", value));
    EXPECT_EQ(value, UINT64_MAX);
    value = 77;
    EXPECT_FALSE(line.get_uint("huge", value));
    EXPECT_FALSE(line.get_uint("neg", value));
    EXPECT_FALSE(line.get_uint("name", value));
    EXPECT_FALSE(line.get_uint("flag", value));
    EXPECT_FALSE(line.get_uint("empty", value));
    EXPECT_FALSE(line.get_uint("missing", value));
    EXPECT_EQ(value, 77u);
}

TEST(CommandLine, KeepsItsOwnCopy) {
    // The bootloader's copy of the command line is memory the kernel reuses.
    std::string text = "init=/bin/sh msg=\"a b\" quiet";
    CommandLine line(view_of(text));
    text.assign(text.size(), 'X');
    EXPECT_EQ(words_of(line), (std::vector<std::string>{"init=/bin/sh", "msg=a b", "quiet"}));
    for (const k::CommandLineWord& word : line) {
        // Every view points into the object itself.
        auto inside = [&](StringView view) {
            auto begin = reinterpret_cast<const char*>(&line);
            return view.empty() || (view.data() >= begin && view.data() + view.size() <= begin + sizeof(line));
        };
        EXPECT_TRUE(inside(word.key));
        EXPECT_TRUE(inside(word.value));
    }
}

TEST(CommandLine, ParseReplacesEarlierContents) {
    CommandLine line("a=1 b=2 c");
    line.parse("d=4");
    EXPECT_EQ(words_of(line), (std::vector<std::string>{"d=4"}));
    EXPECT_FALSE(line.has("a"));
    EXPECT_FALSE(line.truncated());

    std::string long_line(2000, 'x');
    line.parse(view_of(long_line));
    EXPECT_TRUE(line.truncated());
    line.parse("e");
    EXPECT_FALSE(line.truncated());
    EXPECT_EQ(words_of(line), (std::vector<std::string>{"e"}));
}

TEST(CommandLine, AtMost64Words) {
    std::string text;
    for (int i = 0; i < 64; ++i) text += "w" + std::to_string(i) + "=" + std::to_string(i) + " ";
    CommandLine exactly(view_of(text));
    EXPECT_FALSE(exactly.truncated());
    EXPECT_EQ(exactly.word_count(), 64u);
    EXPECT_EQ(value_of(exactly, "w63"), "63");

    CommandLine more(view_of(text + "w64=64 w65=65"));
    EXPECT_TRUE(more.truncated());
    EXPECT_EQ(more.word_count(), 64u);
    EXPECT_EQ(value_of(more, "w63"), "63");
    EXPECT_FALSE(more.has("w64"));

    // Empty words ("") do not count against the limit.
    CommandLine with_empties(view_of(text + "\"\" \"\""));
    EXPECT_FALSE(with_empties.truncated());
}

TEST(CommandLine, AtMost1024BytesAndNoHalfWords) {
    // 1024 bytes exactly: everything is kept.
    std::string fill(1024 - 7, 'a');
    std::string exact = fill + " last=1";
    ASSERT_EQ(exact.size(), 1024u);
    CommandLine fits(view_of(exact));
    EXPECT_FALSE(fits.truncated());
    EXPECT_EQ(value_of(fits, "last"), "1");
    EXPECT_EQ(fits.word(0).key.size(), fill.size());

    // A word ending exactly at byte 1024 is kept; what follows is dropped.
    CommandLine boundary(view_of(exact + " next=2"));
    EXPECT_TRUE(boundary.truncated());
    EXPECT_EQ(value_of(boundary, "last"), "1");
    EXPECT_FALSE(boundary.has("next"));

    // A word cut by the limit is dropped whole: no "init=/bin/s".
    std::string cut = std::string(1024 - 10, 'a') + " init=/bin/sh";
    CommandLine half(view_of(cut));
    EXPECT_TRUE(half.truncated());
    EXPECT_FALSE(half.has("init"));
    EXPECT_EQ(half.word_count(), 1u);

    // Blanks past the limit lose nothing.
    CommandLine trailing_blanks(view_of(exact + std::string(500, ' ')));
    EXPECT_FALSE(trailing_blanks.truncated());
    EXPECT_EQ(trailing_blanks.word_count(), 2u);

    // One enormous word: nothing fits.
    CommandLine enormous(view_of(std::string(100000, 'z')));
    EXPECT_TRUE(enormous.truncated());
    EXPECT_EQ(enormous.word_count(), 0u);

    // Quotes take input bytes even though they are not copied.
    std::string quoted = std::string(1024 - 6, 'q') + " k=\"v\"";
    ASSERT_EQ(quoted.size(), 1024u);
    CommandLine quoted_fits(view_of(quoted));
    EXPECT_FALSE(quoted_fits.truncated());
    EXPECT_EQ(value_of(quoted_fits, "k"), "v");
    CommandLine quoted_cut(view_of(quoted + "x"));
    EXPECT_TRUE(quoted_cut.truncated());
    EXPECT_FALSE(quoted_cut.has("k"));
}

// An independent, obviously-correct (and slow) statement of the rules.
struct ReferenceWord {
    std::string key;
    std::string value;
    bool has_value;
};
std::vector<ReferenceWord> reference_parse(const std::string& text, bool& truncated) {
    std::vector<ReferenceWord> words;
    truncated = false;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    size_t i = 0;
    while (true) {
        while (i < text.size() && blank(text[i])) ++i;
        if (i == text.size()) break;
        std::string word;
        bool quoted = false;
        while (i < text.size() && (quoted || !blank(text[i]))) {
            if (text[i] == '"') {
                quoted = !quoted;
            } else {
                word += text[i];
            }
            ++i;
        }
        if (i > 1024) {
            truncated = true;
            break;
        }
        if (word.empty()) continue;
        if (words.size() == 64) {
            truncated = true;
            break;
        }
        size_t equals = word.find('=');
        if (equals == std::string::npos) {
            words.push_back({word, "", false});
        } else {
            words.push_back({word.substr(0, equals), word.substr(equals + 1), true});
        }
    }
    return words;
}

TEST(CommandLine, RandomLinesMatchTheReference) {
    std::mt19937 random(2024);
    const char alphabet[] = "ab=\" \t=x";
    for (int iteration = 0; iteration < 6000; ++iteration) {
        // Mostly short lines; every tenth long enough to hit both limits.
        size_t length = random() % (iteration % 10 == 0 ? 1300 : 40);
        std::string text;
        for (size_t i = 0; i < length; ++i) text += alphabet[random() % (sizeof(alphabet) - 1)];

        // An exact-size heap copy without a NUL: ASan catches reads past it.
        auto bytes = std::make_unique<char[]>(text.size() + 1);
        std::copy(text.begin(), text.end(), bytes.get());
        auto line = std::make_unique<CommandLine>(StringView(bytes.get(), text.size()));

        bool truncated = false;
        std::vector<ReferenceWord> expected = reference_parse(text, truncated);
        ASSERT_EQ(line->truncated(), truncated) << text;
        ASSERT_EQ(line->word_count(), expected.size()) << text;
        for (size_t i = 0; i < expected.size(); ++i) {
            ASSERT_EQ(str(line->word(i).key), expected[i].key) << text;
            ASSERT_EQ(str(line->word(i).value), expected[i].value) << text;
            ASSERT_EQ(line->word(i).has_value, expected[i].has_value) << text;
        }
        // get() agrees with "the last word with this key and a value".
        for (const char* key : {"a", "b", "ab", "x", ""}) {
            const ReferenceWord* last = nullptr;
            for (const ReferenceWord& word : expected) {
                if (word.key == key && word.has_value) last = &word;
            }
            ASSERT_EQ(value_of(*line, key), last ? last->value : "<none>") << text;
        }
    }
}

}  // namespace
