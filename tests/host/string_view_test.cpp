#include "libk/string_view.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <ostream>
#include <random>
#include <string>

namespace k {
// Readable failure messages (gtest would otherwise dump the object's bytes).
static void PrintTo(const StringView& view, std::ostream* os) {
    *os << '"' << std::string(view.data() ? view.data() : "", view.size()) << '"';
}
}  // namespace k

namespace {

using k::StringView;

// Everything is constexpr: these are checked by the compiler.
static_assert(StringView("abc").size() == 3);
static_assert(StringView().empty());
static_assert(StringView("abc") == StringView("abcdef", 3));
static_assert(StringView("init=/bin/sh").find('=') == 4);
static_assert(StringView("pmm.alloc").starts_with("pmm."));
static_assert([] {
    uint64_t value = 0;
    return StringView("0x1f").to_uint64(value) && value == 31;
}());

TEST(StringView, ConstructsFromCStringPointerAndLength) {
    StringView hello("hello");
    EXPECT_EQ(hello.size(), 5u);
    EXPECT_FALSE(hello.empty());
    EXPECT_EQ(hello[0], 'h');
    EXPECT_EQ(hello[4], 'o');
    EXPECT_EQ(hello.front(), 'h');
    EXPECT_EQ(hello.back(), 'o');

    StringView null_view(nullptr);
    EXPECT_TRUE(null_view.empty());
    EXPECT_EQ(null_view.size(), 0u);

    // An explicit length may include NULs and need not be NUL-terminated.
    const char bytes[] = {'a', '\0', 'b'};
    StringView with_nul(bytes, 3);
    EXPECT_EQ(with_nul.size(), 3u);
    EXPECT_EQ(with_nul[2], 'b');
    EXPECT_NE(with_nul, StringView("a"));

    std::string joined;
    for (char c : StringView("xyz")) joined += c;
    EXPECT_EQ(joined, "xyz");
}

TEST(StringView, Equality) {
    EXPECT_EQ(StringView("abc"), StringView("abc"));
    EXPECT_EQ(StringView("abc"), "abc");
    EXPECT_TRUE("abc" == StringView("abc"));
    EXPECT_NE(StringView("abc"), StringView("abd"));
    EXPECT_NE(StringView("abc"), StringView("ab"));
    EXPECT_NE(StringView("ab"), StringView("abc"));
    EXPECT_EQ(StringView(), StringView(""));
    EXPECT_EQ(StringView(nullptr), StringView("x", 0));
    EXPECT_TRUE(StringView("a") != StringView("b"));
}

TEST(StringView, StartsAndEndsWith) {
    StringView name("pmm.alloc_free");
    EXPECT_TRUE(name.starts_with("pmm."));
    EXPECT_TRUE(name.starts_with(""));
    EXPECT_TRUE(name.starts_with(name));
    EXPECT_FALSE(name.starts_with("pmm.alloc_free_more"));
    EXPECT_FALSE(name.starts_with("heap"));
    EXPECT_TRUE(name.starts_with('p'));
    EXPECT_FALSE(name.starts_with('m'));
    EXPECT_FALSE(StringView().starts_with('p'));

    EXPECT_TRUE(name.ends_with("_free"));
    EXPECT_TRUE(name.ends_with(""));
    EXPECT_FALSE(name.ends_with("_fre"));
    EXPECT_FALSE(StringView("e").ends_with("free"));
    EXPECT_TRUE(name.ends_with('e'));
    EXPECT_FALSE(name.ends_with('x'));
    EXPECT_FALSE(StringView().ends_with('e'));
}

TEST(StringView, Find) {
    StringView text("key=value=more");
    EXPECT_EQ(text.find('='), 3u);
    EXPECT_EQ(text.find('=', 3), 3u);
    EXPECT_EQ(text.find('=', 4), 9u);
    EXPECT_EQ(text.find('=', 10), StringView::npos);
    EXPECT_EQ(text.find('=', 1000), StringView::npos);
    EXPECT_EQ(text.find('z'), StringView::npos);
    EXPECT_EQ(text.rfind('='), 9u);
    EXPECT_EQ(text.rfind('k'), 0u);
    EXPECT_EQ(text.rfind('z'), StringView::npos);
    EXPECT_EQ(StringView().find('a'), StringView::npos);
    EXPECT_EQ(StringView().rfind('a'), StringView::npos);
    EXPECT_TRUE(text.contains('v'));
    EXPECT_FALSE(text.contains('z'));

    EXPECT_EQ(text.find("value"), 4u);
    EXPECT_EQ(text.find("more"), 10u);
    EXPECT_EQ(text.find("mored"), StringView::npos);
    EXPECT_EQ(text.find("e", 2), 8u);
    EXPECT_EQ(text.find(""), 0u);
    EXPECT_EQ(StringView("ab").find("abc"), StringView::npos);
    EXPECT_EQ(StringView("aaab").find("aab"), 1u);
}

TEST(StringView, SubstrClampsInsteadOfFailing) {
    StringView text("abcdef");
    EXPECT_EQ(text.substr(2), "cdef");
    EXPECT_EQ(text.substr(2, 3), "cde");
    EXPECT_EQ(text.substr(2, 100), "cdef");
    EXPECT_EQ(text.substr(6), "");
    EXPECT_EQ(text.substr(7), "");
    EXPECT_EQ(text.substr(100, 5), "");
    EXPECT_EQ(text.substr(0, 0), "");
    EXPECT_EQ(text.substr(0, StringView::npos), "abcdef");
    // A clamped view still points inside the original.
    EXPECT_EQ(text.substr(100).data(), text.data() + 6);

    EXPECT_EQ(text.drop_front(2), "cdef");
    EXPECT_EQ(text.drop_front(10), "");
    EXPECT_EQ(text.drop_back(2), "abcd");
    EXPECT_EQ(text.drop_back(6), "");
    EXPECT_EQ(text.drop_back(10), "");
}

TEST(StringView, Trim) {
    EXPECT_EQ(StringView("  \t hello world \r\n").trim(), "hello world");
    EXPECT_EQ(StringView("  x").trim_front(), "x");
    EXPECT_EQ(StringView("  x  ").trim_front(), "x  ");
    EXPECT_EQ(StringView("  x  ").trim_back(), "  x");
    EXPECT_EQ(StringView("   ").trim(), "");
    EXPECT_EQ(StringView("").trim(), "");
    EXPECT_EQ(StringView("a").trim(), "a");
}

bool parse(const char* text, uint64_t& value) { return StringView(text).to_uint64(value); }

TEST(StringView, ToUint64ParsesDecimalAndHex) {
    uint64_t value = 0;
    ASSERT_TRUE(parse("0", value));
    EXPECT_EQ(value, 0u);
    ASSERT_TRUE(parse("42", value));
    EXPECT_EQ(value, 42u);
    ASSERT_TRUE(parse("007", value));
    EXPECT_EQ(value, 7u);  // a leading zero is not octal
    ASSERT_TRUE(parse("18446744073709551615", value));
    EXPECT_EQ(value, UINT64_MAX);
    ASSERT_TRUE(parse("0x10", value));
    EXPECT_EQ(value, 16u);
    ASSERT_TRUE(parse("0XaBcDeF", value));
    EXPECT_EQ(value, 0xabcdefu);
    ASSERT_TRUE(parse("0xffffffffffffffff", value));
    EXPECT_EQ(value, UINT64_MAX);
    ASSERT_TRUE(parse("0x00000000000000000000000001", value));  // leading zeros do not overflow
    EXPECT_EQ(value, 1u);
    ASSERT_TRUE(parse("00000000000000000000000000018446744073709551615", value));
    EXPECT_EQ(value, UINT64_MAX);
}

TEST(StringView, ToUint64RejectsBadInputAndLeavesValueAlone) {
    const char* bad[] = {
        "",
        "0x",
        "0X",
        "x10",
        "-1",
        "+1",
        " 1",
        "1 ",
        "12a",
        "0x1g",
        "0x-1",
        "0b101",
        "1.5",
        "18446744073709551616",   // UINT64_MAX + 1
        "18446744073709551620",
        "99999999999999999999",
        "184467440737095516150",  // UINT64_MAX * 10
        "0x10000000000000000",    // 2^64
        "0x1ffffffffffffffff",
        "0xx1",
    };
    for (const char* text : bad) {
        uint64_t value = 12345;
        EXPECT_FALSE(parse(text, value)) << text;
        EXPECT_EQ(value, 12345u) << text;
    }
    // Only the viewed characters count: "12" out of "123".
    uint64_t value = 0;
    ASSERT_TRUE(StringView("123", 2).to_uint64(value));
    EXPECT_EQ(value, 12u);
}

TEST(StringView, ToUint64AgreesWithPrintfRoundTrip) {
    std::mt19937_64 random(7);
    for (int i = 0; i < 20000; ++i) {
        // Values of every magnitude, not just huge ones.
        uint64_t expected = random() >> (random() % 64);
        char text[40];
        std::snprintf(text, sizeof(text), (i % 2) ? "%" PRIu64 : "0x%" PRIx64, expected);
        uint64_t value = 0;
        ASSERT_TRUE(parse(text, value)) << text;
        ASSERT_EQ(value, expected) << text;
    }
}

TEST(StringView, ToUint64ReadsOnlyInsideTheView) {
    // No terminating NUL after the digits: ASan reports any read past them.
    auto digits = std::make_unique<char[]>(3);
    digits[0] = '1';
    digits[1] = '2';
    digits[2] = '3';
    uint64_t value = 0;
    ASSERT_TRUE(StringView(digits.get(), 3).to_uint64(value));
    EXPECT_EQ(value, 123u);
    EXPECT_EQ(StringView(digits.get(), 3).find('x'), StringView::npos);
    EXPECT_EQ(StringView(digits.get(), 3).trim(), StringView("123"));
}

}  // namespace
