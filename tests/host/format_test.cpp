#include "libk/format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

// --- helpers ---------------------------------------------------------------

// k::snprintf into a generous buffer, as a std::string.
std::string format_checked(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string format_checked(const char* format, ...) {
    char buffer[4096];
    va_list args;
    va_start(args, format);
    int length = k::vsnprintf(buffer, sizeof(buffer), format, args);
    va_end(args);
    EXPECT_GE(length, 0);
    EXPECT_EQ(static_cast<size_t>(length), std::string(buffer).size());
    return buffer;
}

// The same without the format attribute, for the deliberately malformed
// formats the compiler would (rightly) warn about.
std::string format_unchecked(const char* format, ...) {
    char buffer[4096];
    va_list args;
    va_start(args, format);
    int length = k::vsnprintf(buffer, sizeof(buffer), format, args);
    va_end(args);
    EXPECT_EQ(static_cast<size_t>(length), std::string(buffer).size());
    return buffer;
}

// Formats the same call with the host C library and with k::snprintf and
// requires identical text and return value. A macro, so that the compiler
// checks the format string against the arguments for both calls.
#define EXPECT_SAME_AS_HOST(...)                                                      \
    do {                                                                              \
        char host_output[1024];                                                       \
        char kernel_output[1024];                                                     \
        int host_length = std::snprintf(host_output, sizeof(host_output), __VA_ARGS__); \
        int kernel_length = k::snprintf(kernel_output, sizeof(kernel_output), __VA_ARGS__); \
        EXPECT_STREQ(kernel_output, host_output) << "format: " << #__VA_ARGS__;       \
        EXPECT_EQ(kernel_length, host_length) << "format: " << #__VA_ARGS__;          \
    } while (0)

// Calls both implementations with the same runtime format and arguments.
template <typename... Args> void expect_same_runtime(const std::string& format, Args... args) {
    char host_output[512];
    char kernel_output[512];
    int host_length = std::snprintf(host_output, sizeof(host_output), format.c_str(), args...);
    int kernel_length = k::snprintf(kernel_output, sizeof(kernel_output), format.c_str(), args...);
    ASSERT_STREQ(kernel_output, host_output) << "format: " << format;
    ASSERT_EQ(kernel_length, host_length) << "format: " << format;
}

// For combinations C defines but GCC's -Wformat flags as pointless ("'0'
// flag ignored with precision"): the point here is that they are ignored
// the same way. The format goes through a variable so it is not checked.
#define EXPECT_SAME_AS_HOST_UNCHECKED(format, ...) expect_same_runtime(std::string(format), __VA_ARGS__)

// A sink that records every write, to see how output is chunked.
class RecordingSink final : public k::FormatSink {
public:
    void write(const char* text, size_t length) override {
        EXPECT_GT(length, 0u) << "empty writes waste a sink call";
        writes.emplace_back(text, length);
        all += std::string(text, length);
    }
    std::vector<std::string> writes;
    std::string all;
};

// --- fixed cases -----------------------------------------------------------

TEST(Format, PlainTextAndPercent) {
    EXPECT_EQ(format_checked("hello"), "hello");
    EXPECT_EQ(format_checked("%s", ""), "");
    EXPECT_EQ(format_checked("100%%"), "100%");
    EXPECT_EQ(format_checked("%%%%"), "%%");
    EXPECT_EQ(format_checked("a%cb", 'x'), "axb");
    EXPECT_SAME_AS_HOST("%% %d%%", 5);
}

TEST(Format, SignedIntegersMatchHost) {
    EXPECT_SAME_AS_HOST("%d", 0);
    EXPECT_SAME_AS_HOST("%d", 42);
    EXPECT_SAME_AS_HOST("%d", -42);
    EXPECT_SAME_AS_HOST("%i", -7);
    EXPECT_SAME_AS_HOST("%d %d", INT_MIN, INT_MAX);
    EXPECT_SAME_AS_HOST("%ld %ld", LONG_MIN, LONG_MAX);
    EXPECT_SAME_AS_HOST("%lld %lld", LLONG_MIN, LLONG_MAX);
    EXPECT_SAME_AS_HOST("%+d %+d %+d", 5, -5, 0);
    EXPECT_SAME_AS_HOST("% d % d % d", 5, -5, 0);
    EXPECT_SAME_AS_HOST_UNCHECKED("%+ d % +d", 5, 5);  // '+' wins over ' '
    EXPECT_SAME_AS_HOST_UNCHECKED("[%5d] [%-5d] [%05d] [%-05d]", 42, 42, 42, 42);
    EXPECT_SAME_AS_HOST("[%5d] [%-5d] [%05d] [%+05d]", -42, -42, -42, 42);
    EXPECT_SAME_AS_HOST_UNCHECKED("[%.5d] [%.5d] [%8.5d] [%-8.5d] [%08.5d]", 42, -42, 42, -42, 42);
    EXPECT_SAME_AS_HOST("[%.0d] [%5.0d] [%.0d] [%+.0d] [% .0d]", 0, 0, 1, 0, 0);
    EXPECT_SAME_AS_HOST("[%.d]", 0);
    EXPECT_SAME_AS_HOST("[%1d] [%2d]", 123, -123);  // width smaller than the number
}

TEST(Format, UnsignedIntegersMatchHost) {
    EXPECT_SAME_AS_HOST("%u %u", 0u, UINT_MAX);
    EXPECT_SAME_AS_HOST("%lu %llu", ULONG_MAX, ULLONG_MAX);
    EXPECT_SAME_AS_HOST("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 0755u);
    EXPECT_SAME_AS_HOST("%#x %#X %#o", 0xbeefu, 0xbeefu, 0755u);
    EXPECT_SAME_AS_HOST("%#x %#X %#o", 0u, 0u, 0u);  // no 0x for zero; octal "0"
    EXPECT_SAME_AS_HOST("[%#.0o] [%.0o] [%#.0x] [%#5.0o]", 0u, 0u, 0u, 0u);
    EXPECT_SAME_AS_HOST("[%#.3o] [%#.4o] [%#o]", 8u, 8u, 8u);
    EXPECT_SAME_AS_HOST_UNCHECKED("[%#10x] [%#-10x] [%#010x] [%#010.4x]", 0xabu, 0xabu, 0xabu, 0xabu);
    EXPECT_SAME_AS_HOST("[%016llx] [%-16llx|] [%16llx]", 0x1234ull, 0x1234ull, ULLONG_MAX);
    EXPECT_SAME_AS_HOST("[%llo] [%#llo]", ULLONG_MAX, ULLONG_MAX);
    EXPECT_SAME_AS_HOST_UNCHECKED("[%+u] [% u] [%+x]", 5u, 5u, 5u);  // sign flags do nothing unsigned
}

TEST(Format, LengthModifiersReadTheRightWidth) {
    // The arguments arrive as int whatever their declared type (default
    // argument promotion); clang's -Wformat still wants char-typed ones, so
    // these go unchecked.
    EXPECT_SAME_AS_HOST_UNCHECKED("%hhd %hhd %hhu %hhx", 127, -128, 255, 0xab);
    EXPECT_SAME_AS_HOST_UNCHECKED("%hd %hd %hu %hx", 32767, -32768, 65535, 0xbeef);
    // Values wider than the modifier are truncated by the conversion (C17 7.21.6.1p7).
    EXPECT_SAME_AS_HOST_UNCHECKED("%hhd %hhu %hd %hu", 255, 256 + 7, 65535, 65536 + 9);
    EXPECT_SAME_AS_HOST("%zu %zd %zx", SIZE_MAX, static_cast<ptrdiff_t>(-5), static_cast<size_t>(0x1234));
    EXPECT_SAME_AS_HOST("%td %tx", static_cast<ptrdiff_t>(PTRDIFF_MIN), static_cast<ptrdiff_t>(0x77));
    EXPECT_SAME_AS_HOST("%jd %ju %jx", INTMAX_MIN, UINTMAX_MAX, static_cast<uintmax_t>(0xabc));
    // A 64-bit argument after 32-bit ones: the va_list must stay in step.
    EXPECT_SAME_AS_HOST("%d %lld %d %hhd %llx %d", 1, -2LL, 3, static_cast<signed char>(4), 0x1122334455667788ULL, 6);
}

TEST(Format, CharactersAndStringsMatchHost) {
    EXPECT_SAME_AS_HOST("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
    EXPECT_SAME_AS_HOST("[%c]", 256 + 'z');  // converted to unsigned char
    EXPECT_SAME_AS_HOST("[%s] [%10s] [%-10s] [%.2s] [%10.2s] [%-10.2s]", "kernel", "kernel", "kernel", "kernel",
                        "kernel", "kernel");
    EXPECT_SAME_AS_HOST("[%.0s] [%.100s] [%3s]", "abc", "abc", "abcdef");
    EXPECT_SAME_AS_HOST("[%s]", "");
}

TEST(Format, StarWidthAndPrecision) {
    EXPECT_SAME_AS_HOST("[%*d]", 6, 42);
    EXPECT_SAME_AS_HOST("[%*d]", -6, 42);  // negative width means '-'
    EXPECT_SAME_AS_HOST("[%.*d]", 4, 42);
    EXPECT_SAME_AS_HOST("[%.*d]", -4, 42);  // negative precision means none
    EXPECT_SAME_AS_HOST_UNCHECKED("[%0.*d]", -4, 42);
    EXPECT_SAME_AS_HOST("[%0*d]", 6, -42);
    EXPECT_SAME_AS_HOST("[%*.*s]", 8, 3, "abcdef");
    EXPECT_SAME_AS_HOST("[%-*.*s]", 8, 3, "abcdef");
    EXPECT_SAME_AS_HOST("[%*s]", -3, "x");
}

TEST(Format, WideFieldsMatchHost) {
    EXPECT_SAME_AS_HOST("%.300d", 7);
    EXPECT_SAME_AS_HOST("%-300d|", -7);
    EXPECT_SAME_AS_HOST("%0300lld", LLONG_MIN);
    EXPECT_SAME_AS_HOST("%500s|", "right");
    EXPECT_SAME_AS_HOST("%#300.200x", 0xabcu);
}

TEST(Format, PointersAreZeroPaddedTo16Digits) {
    EXPECT_EQ(format_checked("%p", reinterpret_cast<void*>(0x1234)), "0x0000000000001234");
    EXPECT_EQ(format_checked("%p", static_cast<void*>(nullptr)), "0x0000000000000000");
    EXPECT_EQ(format_checked("%p", reinterpret_cast<void*>(UINTPTR_MAX)), "0xffffffffffffffff");
    EXPECT_EQ(format_checked("%p", reinterpret_cast<void*>(0xffffffff80001000ull)), "0xffffffff80001000");
    EXPECT_EQ(format_checked("[%20p]", reinterpret_cast<void*>(0xab)), "[  0x00000000000000ab]");
    EXPECT_EQ(format_checked("[%-20p]", reinterpret_cast<void*>(0xab)), "[0x00000000000000ab  ]");
    EXPECT_EQ(format_checked("[%5p]", reinterpret_cast<void*>(0xab)), "[0x00000000000000ab]");
}

TEST(Format, NullStringPrintsNull) {
    const char* nothing = nullptr;
    EXPECT_EQ(format_unchecked("%s", nothing), "(null)");
    EXPECT_EQ(format_unchecked("[%8s]", nothing), "[  (null)]");
    EXPECT_EQ(format_unchecked("[%.3s]", nothing), "[(nu]");
}

TEST(Format, PrecisionLimitsHowFarAStringIsRead) {
    // Exactly three bytes, no NUL: ASan reports any read beyond them.
    auto bytes = std::make_unique<char[]>(3);
    bytes[0] = 'a';
    bytes[1] = 'b';
    bytes[2] = 'c';
    EXPECT_EQ(format_checked("%.3s", bytes.get()), "abc");
    EXPECT_EQ(format_checked("%.2s", bytes.get()), "ab");
    EXPECT_EQ(format_checked("%.*s", 3, bytes.get()), "abc");
}

TEST(Format, UnknownConversionsArePrintedVerbatim) {
    EXPECT_EQ(format_unchecked("%y"), "%y");
    EXPECT_EQ(format_unchecked("a%yb"), "a%yb");
    EXPECT_EQ(format_unchecked("[%-08.3y]"), "[%-08.3y]");
    EXPECT_EQ(format_unchecked("%lly %hhq"), "%lly %hhq");
    EXPECT_EQ(format_unchecked("%f %e %g %a"), "%f %e %g %a");  // no floating point
    EXPECT_EQ(format_unchecked("%L"), "%L");
    // A format ending inside a conversion.
    EXPECT_EQ(format_unchecked("abc%"), "abc%");
    EXPECT_EQ(format_unchecked("abc%-"), "abc%-");
    EXPECT_EQ(format_unchecked("abc%5."), "abc%5.");
    EXPECT_EQ(format_unchecked("abc%ll"), "abc%ll");
    // Arguments after an unknown conversion still line up.
    EXPECT_EQ(format_unchecked("%y %d", 5), "%y 5");
    // %n would be a write through an argument: never interpreted.
    int target = 1234;
    EXPECT_EQ(format_unchecked("ab%n", &target), "ab%n");
    EXPECT_EQ(target, 1234);
}

TEST(Format, SnprintfTruncatesAndReportsFullLength) {
    char buffer[8];
    memset(buffer, 'Z', sizeof(buffer));
    EXPECT_EQ(k::snprintf(buffer, 5, "hello world"), 11);
    EXPECT_STREQ(buffer, "hell");
    EXPECT_EQ(buffer[5], 'Z');  // nothing written past `size`

    memset(buffer, 'Z', sizeof(buffer));
    EXPECT_EQ(k::snprintf(buffer, 1, "hello"), 5);
    EXPECT_EQ(buffer[0], '\0');
    EXPECT_EQ(buffer[1], 'Z');

    memset(buffer, 'Z', sizeof(buffer));
    EXPECT_EQ(k::snprintf(buffer, 0, "hello"), 5);
    EXPECT_EQ(buffer[0], 'Z');
    EXPECT_EQ(k::snprintf(nullptr, 0, "%d-%s", 12345, "abc"), 9);

    // Exactly fitting: 7 characters and the NUL.
    EXPECT_EQ(k::snprintf(buffer, 8, "%07d", 42), 7);
    EXPECT_STREQ(buffer, "0000042");
    EXPECT_EQ(k::snprintf(buffer, 7, "%07d", 42), 7);
    EXPECT_STREQ(buffer, "000004");

    EXPECT_EQ(k::snprintf(buffer, sizeof(buffer), "%s", ""), 0);
    EXPECT_STREQ(buffer, "");
}

TEST(Format, SnprintfTruncationMatchesHostAtEverySize) {
    const char* words = "the quick brown fox";
    for (size_t size = 0; size <= 40; ++size) {
        // Exact-size heap buffers, so ASan sees any write past `size`.
        auto host = std::make_unique<char[]>(size + 1);
        auto mine = std::make_unique<char[]>(size == 0 ? 1 : size);
        int host_length = std::snprintf(host.get(), size, "[%-22s|%#6x]", words, 0xfeu);
        int mine_length = k::snprintf(size == 0 ? nullptr : mine.get(), size, "[%-22s|%#6x]", words, 0xfeu);
        EXPECT_EQ(mine_length, host_length);
        if (size > 0) {
            EXPECT_STREQ(mine.get(), host.get()) << size;
        }
    }
}

TEST(Format, OutputReachesTheSinkInChunks) {
    RecordingSink sink;
    k::format(sink, "%d+%d=%s", 2, 2, "four");
    EXPECT_EQ(sink.all, "2+2=four");
    EXPECT_EQ(sink.writes.size(), 1u) << "short output: one write";

    RecordingSink many;
    std::string expected;
    for (int i = 0; i < 200; ++i) expected += std::to_string(i) + ",";
    // 200 conversions, ~700 characters: many small pieces, few writes.
    std::string format;
    for (int i = 0; i < 20; ++i) format += "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,";
    struct Caller {
        static void call(k::FormatSink& sink, const char* f, ...) {
            va_list args;
            va_start(args, f);
            k::vformat(sink, f, args);
            va_end(args);
        }
    };
    // Ten at a time through vformat, the list built from a runtime format.
    for (int block = 0; block < 20; ++block) {
        int b = block * 10;
        Caller::call(many, format.substr(0, 30).c_str(), b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8,
                     b + 9);
    }
    EXPECT_EQ(many.all, expected);
    EXPECT_LE(many.writes.size(), 20u * 2) << "each call's ~35 characters should take one or two writes";

    RecordingSink padded;
    k::format(padded, "%1000d|%-1000s|", 5, "x");
    ASSERT_EQ(padded.all.size(), 2002u);
    EXPECT_EQ(padded.all.substr(995, 6), "    5|");
    EXPECT_LT(padded.writes.size(), 2002u / 16) << "padding must not be written a character at a time";
    for (const std::string& piece : padded.writes) EXPECT_LE(piece.size(), 64u);

    RecordingSink big_string;
    std::string long_text(5000, 'q');
    k::format(big_string, "<%s>", long_text.c_str());
    EXPECT_EQ(big_string.all, "<" + long_text + ">");
    EXPECT_LE(big_string.writes.size(), 4u);
}

TEST(Format, VformatLeavesCallersVaListUsable) {
    // vsnprintf works on a copy: the caller can va_end its list normally, and
    // several calls can each start from their own va_list.
    struct Twice {
        static std::string call(const char* f, ...) {
            va_list args;
            va_start(args, f);
            va_list copy;
            va_copy(copy, args);
            char first[64];
            char second[64];
            k::vsnprintf(first, sizeof(first), f, args);
            k::vsnprintf(second, sizeof(second), f, copy);
            va_end(copy);
            va_end(args);
            return std::string(first) + "/" + second;
        }
    };
    EXPECT_EQ(Twice::call("%d-%s", 7, "x"), "7-x/7-x");
}

// --- randomized comparison with the host C library ---------------------------

template <typename T> void call_with_stars(const std::string& format, int star_count, int width, int precision, T value) {
    if (star_count == 0) {
        expect_same_runtime(format, value);
    } else if (star_count == 1) {
        expect_same_runtime(format, width, value);
    } else if (star_count == 2) {
        expect_same_runtime(format, width, precision, value);
    } else {
        expect_same_runtime(format, precision, value);  // only the precision is '*'
    }
}

TEST(Format, RandomConversionsMatchHost) {
    std::mt19937_64 random(12345);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<uint64_t>(n)); };
    const uint64_t interesting[] = {0, 1, 7, 8, 9, 10, 15, 16, 127, 128, 255, 256, 32767, 32768, 65535, 65536,
                                    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
                                    0x8000000000000000, 0xffffffffffffffff};
    const char* strings[] = {"", "a", "kernel", "hello world", "0123456789abcdefghij"};
    const char* lengths[] = {"", "hh", "h", "l", "ll", "z", "j", "t"};

    for (int iteration = 0; iteration < 50000; ++iteration) {
        const char conversions[] = "diuxXocs";
        char conversion = conversions[pick(8)];
        bool is_integer = conversion != 'c' && conversion != 's';
        bool is_signed = conversion == 'd' || conversion == 'i';

        std::string format = "[%";
        // Only flags whose meaning C defines for this conversion.
        std::string flags = is_integer ? (is_signed ? "-0+ " : "-0+ #") : "-";
        for (int i = pick(4); i > 0; --i) format += flags[pick(static_cast<int>(flags.size()))];

        int star_count = 0;
        int width = pick(3) == 0 ? 0 : pick(30) - 5;
        int precision = pick(25) - 3;
        bool width_given = pick(2) == 0;
        bool precision_given = conversion != 'c' && pick(2) == 0;
        if (width_given) {
            if (pick(2) == 0) {
                format += "*";
                star_count = 1;
            } else {
                format += std::to_string(width < 0 ? -width : width);
            }
        }
        if (precision_given) {
            if (pick(2) == 0) {
                format += ".*";
                star_count = star_count == 1 ? 2 : 3;
            } else {
                format += "." + (pick(5) == 0 ? std::string() : std::to_string(precision < 0 ? 0 : precision));
            }
        }
        std::string length = is_integer ? lengths[pick(8)] : "";
        format += length + conversion + "]";

        uint64_t bits = pick(3) == 0 ? random() >> pick(64) : interesting[pick(23)];
        if (pick(4) == 0) bits = 0 - bits;
        if (conversion == 'c') {
            call_with_stars(format, star_count, width, precision, static_cast<int>(32 + bits % 95));
        } else if (conversion == 's') {
            call_with_stars(format, star_count, width, precision, strings[pick(5)]);
        } else if (length == "" || length == "hh" || length == "h") {
            // Promoted to int: pass an int (the conversion narrows it).
            call_with_stars(format, star_count, width, precision, static_cast<int>(bits));
        } else if (length == "l") {
            call_with_stars(format, star_count, width, precision, static_cast<long>(bits));
        } else if (length == "ll") {
            call_with_stars(format, star_count, width, precision, static_cast<long long>(bits));
        } else if (length == "z") {
            call_with_stars(format, star_count, width, precision, static_cast<size_t>(bits));
        } else if (length == "j") {
            call_with_stars(format, star_count, width, precision, static_cast<intmax_t>(bits));
        } else {
            call_with_stars(format, star_count, width, precision, static_cast<ptrdiff_t>(bits));
        }
        if (HasFatalFailure()) return;
    }
}

TEST(Format, RandomGarbageFormatsNeverCrash) {
    // Random bytes from the format alphabet: under ASan this shows the parser
    // never reads past the terminator. Every conversion consumes at most
    // three arguments ('*' '*' value), so eight are always enough. They are
    // 1, not 0, so that %c never writes a NUL into the middle of the text.
    std::mt19937 random(99);
    const char alphabet[] = "%%%-0+ #*.123456789hlzjtLqdiuxXocp%yf";
    for (int iteration = 0; iteration < 20000; ++iteration) {
        std::string format;
        for (int i = static_cast<int>(random() % 12); i > 0; --i) format += alphabet[random() % (sizeof(alphabet) - 1)];
        if (format.find('s') != std::string::npos || format.find('n') != std::string::npos) continue;
        // Keep widths small: "%99999999d" is legal but slow to test.
        size_t digit_run = 0;
        size_t longest_digit_run = 0;
        for (char c : format) {
            digit_run = (c >= '0' && c <= '9') ? digit_run + 1 : 0;
            longest_digit_run = std::max(longest_digit_run, digit_run);
        }
        if (longest_digit_run > 3) continue;
        auto buffer = std::make_unique<char[]>(16);
        int length = k::snprintf(buffer.get(), 16, format.c_str(), 1, 1, 1, 1, 1, 1, 1, 1);
        ASSERT_GE(length, 0);
        ASSERT_EQ(std::string(buffer.get()).size(), std::min<size_t>(static_cast<size_t>(length), 15)) << format;
    }
}

}  // namespace
