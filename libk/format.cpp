// The printf engine: one pass over the format string, one conversion at a
// time, no heap, no floating point, a few dozen bytes of stack.
// Conversion semantics follow C17 7.21.6.1 ("The fprintf function").
#include "libk/format.h"

#include <limits.h>
#include <stdint.h>

#include "libk/string.h"
#include "libk/utility.h"

namespace k {
namespace {

// Gathers output in a small stack buffer and hands it to the sink in chunks:
// a sink such as a UART pays per call, and one call per character would make
// every log line crawl.
class ChunkedWriter {
public:
    explicit ChunkedWriter(FormatSink& sink) : sink_(sink) {}
    ChunkedWriter(const ChunkedWriter&) = delete;
    ChunkedWriter& operator=(const ChunkedWriter&) = delete;

    void put(char c) {
        if (used_ == kChunkSize) flush();
        buffer_[used_++] = c;
    }

    void put(const char* text, size_t length) {
        if (length <= kChunkSize - used_) {
            memcpy(buffer_ + used_, text, length);
            used_ += length;
            return;
        }
        flush();
        if (length < kChunkSize) {
            memcpy(buffer_, text, length);
            used_ = length;
        } else {
            // Already a big chunk: copying it through the buffer gains nothing.
            sink_.write(text, length);
        }
    }

    void repeat(char c, size_t count) {
        while (count > 0) {
            if (used_ == kChunkSize) flush();
            size_t n = k::min(count, kChunkSize - used_);
            memset(buffer_ + used_, c, n);
            used_ += n;
            count -= n;
        }
    }

    void flush() {
        if (used_ > 0) sink_.write(buffer_, used_);
        used_ = 0;
    }

private:
    static constexpr size_t kChunkSize = 64;
    FormatSink& sink_;
    char buffer_[kChunkSize];
    size_t used_ = 0;
};

// A va_list in a struct, so helpers can consume arguments through a
// reference. (On x86-64 va_list is an array type; passing it by value to a
// helper and using it afterwards is not portable, C17 7.16p3.)
struct Arguments {
    va_list list;
};

enum class LengthModifier { kNone, kChar, kShort, kLong, kLongLong, kSize, kMax, kPtrdiff };

struct ConversionSpec {
    bool left_align = false;  // '-'
    bool zero_pad = false;    // '0'
    bool plus_sign = false;   // '+'
    bool space_sign = false;  // ' '
    bool alternate = false;   // '#'
    size_t width = 0;
    bool has_precision = false;
    size_t precision = 0;
    LengthModifier length = LengthModifier::kNone;
};

// Widths and precisions are capped at INT_MAX (what '*' can express), so an
// absurd "%99999999999999999999d" cannot overflow the arithmetic below.
constexpr size_t kMaxFieldWidth = INT_MAX;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

size_t parse_decimal(const char*& p) {
    size_t value = 0;
    while (is_digit(*p)) {
        value = k::min<size_t>(value * 10 + static_cast<size_t>(*p - '0'), kMaxFieldWidth);
        ++p;
    }
    return value;
}

// Arguments narrower than int arrive promoted to int (C17 6.5.2.2p6); the
// cast back to char or short recovers the value the caller meant.
int64_t read_signed(Arguments& args, LengthModifier length) {
    static_assert(sizeof(ptrdiff_t) == sizeof(size_t), "%zd reads the signed type of size_t's width");
    static_assert(sizeof(intmax_t) <= sizeof(int64_t));
    switch (length) {
    case LengthModifier::kChar: return static_cast<signed char>(va_arg(args.list, int));
    case LengthModifier::kShort: return static_cast<short>(va_arg(args.list, int));
    case LengthModifier::kLong: return va_arg(args.list, long);
    case LengthModifier::kLongLong: return va_arg(args.list, long long);
    case LengthModifier::kSize: return va_arg(args.list, ptrdiff_t);
    case LengthModifier::kMax: return va_arg(args.list, intmax_t);
    case LengthModifier::kPtrdiff: return va_arg(args.list, ptrdiff_t);
    case LengthModifier::kNone: break;
    }
    return va_arg(args.list, int);
}

uint64_t read_unsigned(Arguments& args, LengthModifier length) {
    static_assert(sizeof(uintmax_t) <= sizeof(uint64_t));
    switch (length) {
    case LengthModifier::kChar: return static_cast<unsigned char>(va_arg(args.list, unsigned));
    case LengthModifier::kShort: return static_cast<unsigned short>(va_arg(args.list, unsigned));
    case LengthModifier::kLong: return va_arg(args.list, unsigned long);
    case LengthModifier::kLongLong: return va_arg(args.list, unsigned long long);
    case LengthModifier::kSize: return va_arg(args.list, size_t);
    case LengthModifier::kMax: return va_arg(args.list, uintmax_t);
    case LengthModifier::kPtrdiff: return static_cast<size_t>(va_arg(args.list, ptrdiff_t));
    case LengthModifier::kNone: break;
    }
    return va_arg(args.list, unsigned);
}

// Writes `text` padded with spaces to the field width (for %c, %s, %p).
void put_padded(ChunkedWriter& out, const ConversionSpec& spec, const char* text, size_t length) {
    size_t padding = spec.width > length ? spec.width - length : 0;
    if (!spec.left_align) out.repeat(' ', padding);
    out.put(text, length);
    if (spec.left_align) out.repeat(' ', padding);
}

// One integer conversion. The field is laid out as
//   [spaces] [sign or 0x prefix] [zeros] [digits] [spaces]
// where the zeros come from the precision (minimum digit count) or, with the
// '0' flag and no precision, from the width.
void put_integer(ChunkedWriter& out, const ConversionSpec& spec, char conversion, uint64_t magnitude, bool negative) {
    unsigned base = 10;
    if (conversion == 'x' || conversion == 'X') base = 16;
    if (conversion == 'o') base = 8;
    const char* digit_chars = conversion == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";

    // 22 octal digits hold 64 bits; digits are produced right to left.
    char digits[24];
    size_t digit_count = 0;
    // "The result of converting a zero value with a precision of zero is no characters."
    if (!(spec.has_precision && spec.precision == 0 && magnitude == 0)) {
        uint64_t rest = magnitude;
        do {
            digits[sizeof(digits) - 1 - digit_count++] = digit_chars[rest % base];
            rest /= base;
        } while (rest != 0);
    }
    const char* digit_text = digits + sizeof(digits) - digit_count;

    char prefix[2];
    size_t prefix_length = 0;
    bool is_signed = conversion == 'd' || conversion == 'i';
    if (is_signed) {
        if (negative) {
            prefix[prefix_length++] = '-';
        } else if (spec.plus_sign) {
            prefix[prefix_length++] = '+';
        } else if (spec.space_sign) {
            prefix[prefix_length++] = ' ';
        }
    } else if (spec.alternate && base == 16 && magnitude != 0) {
        prefix[prefix_length++] = '0';
        prefix[prefix_length++] = conversion;
    }

    size_t zeros = spec.has_precision && spec.precision > digit_count ? spec.precision - digit_count : 0;
    // '#' with 'o' raises the precision just enough that the first digit is 0.
    if (spec.alternate && base == 8 && zeros == 0 && (digit_count == 0 || digit_text[0] != '0')) zeros = 1;

    size_t length = prefix_length + zeros + digit_count;
    if (spec.zero_pad && !spec.left_align && !spec.has_precision && spec.width > length) {
        zeros += spec.width - length;
        length = spec.width;
    }
    size_t padding = spec.width > length ? spec.width - length : 0;

    if (!spec.left_align) out.repeat(' ', padding);
    out.put(prefix, prefix_length);
    out.repeat('0', zeros);
    out.put(digit_text, digit_count);
    if (spec.left_align) out.repeat(' ', padding);
}

void put_string(ChunkedWriter& out, const ConversionSpec& spec, const char* text) {
    if (text == nullptr) text = "(null)";
    // With a precision the string need not be NUL-terminated (C17 7.21.6.1p8):
    // never look past `precision` bytes.
    size_t limit = spec.has_precision ? spec.precision : SIZE_MAX;
    size_t length = 0;
    while (length < limit && text[length] != '\0') ++length;
    put_padded(out, spec, text, length);
}

void put_pointer(ChunkedWriter& out, const ConversionSpec& spec, const void* pointer) {
    char text[2 + 16];
    text[0] = '0';
    text[1] = 'x';
    uint64_t value = reinterpret_cast<uintptr_t>(pointer);
    for (int i = 17; i >= 2; --i) {
        text[i] = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    }
    put_padded(out, spec, text, sizeof(text));
}

// Parses one conversion starting just after its '%' and writes it. Returns
// the position after the conversion.
const char* format_one(ChunkedWriter& out, Arguments& args, const char* percent) {
    const char* p = percent + 1;
    ConversionSpec spec;

    for (;; ++p) {
        if (*p == '-') {
            spec.left_align = true;
        } else if (*p == '0') {
            spec.zero_pad = true;
        } else if (*p == '+') {
            spec.plus_sign = true;
        } else if (*p == ' ') {
            spec.space_sign = true;
        } else if (*p == '#') {
            spec.alternate = true;
        } else {
            break;
        }
    }

    if (*p == '*') {
        // "A negative field width argument is taken as a - flag followed by a positive field width."
        int width = va_arg(args.list, int);
        if (width < 0) {
            spec.left_align = true;
            spec.width = static_cast<size_t>(-static_cast<int64_t>(width));
        } else {
            spec.width = static_cast<size_t>(width);
        }
        ++p;
    } else {
        spec.width = parse_decimal(p);
    }

    if (*p == '.') {
        ++p;
        spec.has_precision = true;
        if (*p == '*') {
            // "A negative precision argument is taken as if the precision were omitted."
            int precision = va_arg(args.list, int);
            if (precision < 0) {
                spec.has_precision = false;
            } else {
                spec.precision = static_cast<size_t>(precision);
            }
            ++p;
        } else {
            spec.precision = parse_decimal(p);
        }
    }

    switch (*p) {
    case 'h':
        ++p;
        spec.length = LengthModifier::kShort;
        if (*p == 'h') {
            ++p;
            spec.length = LengthModifier::kChar;
        }
        break;
    case 'l':
        ++p;
        spec.length = LengthModifier::kLong;
        if (*p == 'l') {
            ++p;
            spec.length = LengthModifier::kLongLong;
        }
        break;
    case 'z':
        ++p;
        spec.length = LengthModifier::kSize;
        break;
    case 'j':
        ++p;
        spec.length = LengthModifier::kMax;
        break;
    case 't':
        ++p;
        spec.length = LengthModifier::kPtrdiff;
        break;
    default: break;
    }

    char conversion = *p;
    switch (conversion) {
    case 'd':
    case 'i': {
        int64_t value = read_signed(args, spec.length);
        // Negate in unsigned arithmetic: -INT64_MIN does not exist as an int64_t.
        uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
        put_integer(out, spec, conversion, magnitude, value < 0);
        break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'o': put_integer(out, spec, conversion, read_unsigned(args, spec.length), false); break;
    case 'c': {
        char c = static_cast<char>(va_arg(args.list, int));
        put_padded(out, spec, &c, 1);
        break;
    }
    case 's': put_string(out, spec, va_arg(args.list, const char*)); break;
    case 'p': put_pointer(out, spec, va_arg(args.list, const void*)); break;
    case '%': out.put('%'); break;
    case '\0':
        // The format ends inside a conversion: show what there was and stop
        // at the terminator (do not step past it).
        out.put(percent, static_cast<size_t>(p - percent));
        return p;
    default:
        // Unknown conversion: show it as written, so the mistake is visible.
        out.put(percent, static_cast<size_t>(p + 1 - percent));
        break;
    }
    return p + 1;
}

// Counts everything and keeps what fits, for snprintf.
class BufferSink final : public FormatSink {
public:
    BufferSink(char* buffer, size_t size) : buffer_(buffer), size_(size) {}

    void write(const char* text, size_t length) override {
        // One byte of the buffer is kept for the NUL.
        if (size_ > 0 && total_ < size_ - 1) {
            size_t n = k::min(length, size_ - 1 - total_);
            memcpy(buffer_ + total_, text, n);
        }
        total_ += length;
    }

    void terminate() {
        if (size_ > 0) buffer_[k::min(total_, size_ - 1)] = '\0';
    }

    size_t total() const { return total_; }

private:
    char* buffer_;
    size_t size_;
    size_t total_ = 0;
};

}  // namespace

void vformat(FormatSink& sink, const char* format_string, va_list list) {
    ChunkedWriter out(sink);
    Arguments args;
    va_copy(args.list, list);
    const char* p = format_string;
    while (*p != '\0') {
        if (*p != '%') {
            const char* run = p;
            while (*p != '\0' && *p != '%') ++p;
            out.put(run, static_cast<size_t>(p - run));
            continue;
        }
        p = format_one(out, args, p);
    }
    va_end(args.list);
    out.flush();
}

void format(FormatSink& sink, const char* format_string, ...) {
    va_list args;
    va_start(args, format_string);
    vformat(sink, format_string, args);
    va_end(args);
}

int vsnprintf(char* buffer, size_t size, const char* format_string, va_list args) {
    BufferSink sink(buffer, size);
    vformat(sink, format_string, args);
    sink.terminate();
    return static_cast<int>(k::min<size_t>(sink.total(), INT_MAX));
}

int snprintf(char* buffer, size_t size, const char* format_string, ...) {
    va_list args;
    va_start(args, format_string);
    int length = vsnprintf(buffer, size, format_string, args);
    va_end(args);
    return length;
}

}  // namespace k
