#pragma once
// StringView: a pointer and a length, borrowed from someone else's storage.
// The kernel parses text it does not own (the boot command line, cpio names,
// ELF section names) and must never copy it to a heap that may not exist yet,
// nor rely on a terminating NUL that a hostile or truncated input may lack.
// Every operation here stays inside [data, data + size).
#include <stddef.h>
#include <stdint.h>

namespace k {

class StringView {
public:
    // Returned by the find functions when nothing matched (as std::string_view).
    static constexpr size_t npos = static_cast<size_t>(-1);

    constexpr StringView() = default;
    // From a NUL-terminated string; nullptr is the empty view.
    constexpr StringView(const char* c_string) : data_(c_string), size_(c_string ? length_of(c_string) : 0) {}
    constexpr StringView(const char* data, size_t size) : data_(data), size_(size) {}

    constexpr const char* data() const { return data_; }
    constexpr size_t size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    // Unchecked, like an array: callers index below size().
    constexpr char operator[](size_t index) const { return data_[index]; }
    constexpr char front() const { return data_[0]; }
    constexpr char back() const { return data_[size_ - 1]; }
    constexpr const char* begin() const { return data_; }
    constexpr const char* end() const { return data_ + size_; }

    constexpr bool operator==(StringView other) const {
        if (size_ != other.size_) return false;
        for (size_t i = 0; i < size_; ++i) {
            if (data_[i] != other.data_[i]) return false;
        }
        return true;
    }

    constexpr bool starts_with(StringView prefix) const {
        return prefix.size_ <= size_ && StringView(data_, prefix.size_) == prefix;
    }
    constexpr bool starts_with(char c) const { return size_ > 0 && data_[0] == c; }
    constexpr bool ends_with(StringView suffix) const {
        return suffix.size_ <= size_ && StringView(data_ + size_ - suffix.size_, suffix.size_) == suffix;
    }
    constexpr bool ends_with(char c) const { return size_ > 0 && data_[size_ - 1] == c; }

    // Index of the first `c` at or after `from`, or npos.
    constexpr size_t find(char c, size_t from = 0) const {
        for (size_t i = from; i < size_; ++i) {
            if (data_[i] == c) return i;
        }
        return npos;
    }
    // Index of the first occurrence of `needle` at or after `from`, or npos.
    // Quadratic in the worst case; the kernel only searches short strings.
    constexpr size_t find(StringView needle, size_t from = 0) const {
        if (needle.size_ > size_) return npos;
        for (size_t i = from; i <= size_ - needle.size_; ++i) {
            if (StringView(data_ + i, needle.size_) == needle) return i;
        }
        return npos;
    }
    // Index of the last `c`, or npos.
    constexpr size_t rfind(char c) const {
        for (size_t i = size_; i > 0; --i) {
            if (data_[i - 1] == c) return i - 1;
        }
        return npos;
    }
    constexpr bool contains(char c) const { return find(c) != npos; }

    // The part starting at `pos`, at most `count` characters long. Out-of-range
    // arguments are clamped (the kernel has no exceptions to throw): a `pos`
    // past the end gives an empty view.
    constexpr StringView substr(size_t pos, size_t count = npos) const {
        if (pos > size_) pos = size_;
        size_t available = size_ - pos;
        return StringView(data_ + pos, count < available ? count : available);
    }
    // Without the first / last `n` characters (clamped like substr).
    constexpr StringView drop_front(size_t n) const { return substr(n); }
    constexpr StringView drop_back(size_t n) const { return substr(0, n < size_ ? size_ - n : 0); }

    static constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
    // Without leading / trailing blanks (space, tab, newline, carriage return).
    constexpr StringView trim_front() const {
        size_t i = 0;
        while (i < size_ && is_space(data_[i])) ++i;
        return substr(i);
    }
    constexpr StringView trim_back() const {
        size_t n = size_;
        while (n > 0 && is_space(data_[n - 1])) --n;
        return substr(0, n);
    }
    constexpr StringView trim() const { return trim_front().trim_back(); }

    // Parses the whole view as an unsigned number: decimal, or hexadecimal
    // after "0x"/"0X". Returns false (leaving `value` untouched) for an empty
    // view, a stray character, a bare "0x", or a number above UINT64_MAX: a
    // command line such as `mem=99999999999999999999` must be rejected, not
    // silently wrapped to a small value.
    constexpr bool to_uint64(uint64_t& value) const {
        unsigned base = 10;
        StringView digits = *this;
        if (size_ > 2 && data_[0] == '0' && (data_[1] == 'x' || data_[1] == 'X')) {
            base = 16;
            digits = substr(2);
        }
        if (digits.empty()) return false;
        uint64_t result = 0;
        for (char c : digits) {
            unsigned digit = digit_value(c);
            if (digit >= base) return false;
            // result * base + digit <= UINT64_MAX, rearranged so nothing overflows.
            if (result > (UINT64_MAX - digit) / base) return false;
            result = result * base + digit;
        }
        value = result;
        return true;
    }

private:
    static constexpr size_t length_of(const char* s) {
        size_t n = 0;
        while (s[n] != '\0') ++n;
        return n;
    }
    // 0-35 for a digit or letter, 36 for anything else (never a valid digit).
    static constexpr unsigned digit_value(char c) {
        if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
        if (c >= 'a' && c <= 'z') return static_cast<unsigned>(c - 'a' + 10);
        if (c >= 'A' && c <= 'Z') return static_cast<unsigned>(c - 'A' + 10);
        return 36;
    }

    const char* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace k
