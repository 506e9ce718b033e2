// newc cpio parsing (see cpio.h for the layout). Offsets are size_t counts
// from the archive start and every check is written as a subtraction from
// a value already known to be in range, so no sum can wrap around.
#include "libk/cpio.h"

#include "libk/string.h"

namespace k {
namespace {

constexpr size_t kHeaderSize = 110;
constexpr size_t kMagicSize = 6;
constexpr size_t kFieldDigits = 8;

// The header fields, in archive order.
enum Field : size_t {
    kIno,
    kMode,
    kUid,
    kGid,
    kNlink,
    kMtime,
    kFileSize,
    kDevMajor,
    kDevMinor,
    kRdevMajor,
    kRdevMinor,
    kNameSize,
    kCheck,
    kFieldCount,
};
static_assert(kMagicSize + kFieldCount * kFieldDigits == kHeaderSize);

bool parse_hex_field(const uint8_t* text, uint32_t& value) {
    uint32_t result = 0;
    for (size_t i = 0; i < kFieldDigits; ++i) {
        uint8_t c = text[i];
        uint32_t digit;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            digit = c - 'A' + 10;
        } else {
            return false;
        }
        result = result << 4 | digit;
    }
    value = result;
    return true;
}

// Names and data start on 4-byte boundaries. False if rounding up would wrap.
bool round_up_to_4(size_t value, size_t& rounded) {
    if (value > SIZE_MAX - 3) return false;
    rounded = (value + 3) & ~static_cast<size_t>(3);
    return true;
}

// "./bin/sh" and "/bin/sh" name the same file as "bin/sh".
StringView without_root_prefix(StringView name) {
    if (name.starts_with("./")) return name.drop_front(2);
    if (name.starts_with('/')) return name.drop_front(1);
    return name;
}

}  // namespace

Result<bool> CpioReader::next(CpioEntry& out) {
    if (state_ == State::kFinished) return false;
    if (state_ == State::kFailed) return error(Errno::einval);
    auto malformed = [this] {
        state_ = State::kFailed;
        return error(Errno::einval);
    };

    // The previous entry's data may end without its padding at the very end
    // of the archive: offset_ is then up to 3 bytes past size_.
    if (offset_ >= size_) {
        state_ = State::kFinished;
        return false;
    }
    size_t remaining = size_ - offset_;
    if (remaining < kHeaderSize) return malformed();
    const uint8_t* header = data_ + offset_;
    if (memcmp(header, "07070", 5) != 0 || (header[5] != '1' && header[5] != '2')) return malformed();

    uint32_t fields[kFieldCount];
    for (size_t i = 0; i < kFieldCount; ++i) {
        if (!parse_hex_field(header + kMagicSize + i * kFieldDigits, fields[i])) return malformed();
    }

    // The name, with its NUL, must lie inside the archive.
    size_t name_size = fields[kNameSize];
    if (name_size == 0 || name_size > remaining - kHeaderSize) return malformed();
    const char* name_text = reinterpret_cast<const char*>(header + kHeaderSize);
    if (name_text[name_size - 1] != '\0') return malformed();
    StringView name(name_text, name_size - 1);
    // An embedded NUL would make the name mean one thing here and another
    // to anyone who later treats it as a C string.
    if (name.contains('\0')) return malformed();

    if (name == "TRAILER!!!") {
        state_ = State::kFinished;
        return false;
    }

    // name_end <= size_, as checked above.
    size_t name_end = offset_ + kHeaderSize + name_size;
    size_t data_offset;
    if (!round_up_to_4(name_end, data_offset) || data_offset > size_) return malformed();
    size_t file_size = fields[kFileSize];
    if (file_size > size_ - data_offset) return malformed();
    size_t data_end = data_offset + file_size;

    out.name = without_root_prefix(name);
    out.mode = fields[kMode];
    out.ino = fields[kIno];
    out.nlink = fields[kNlink];
    out.size = file_size;
    out.data = data_ + data_offset;

    // Strictly greater than the old offset (by at least the header size), so
    // iteration always ends. If rounding would wrap, there is nothing after.
    if (!round_up_to_4(data_end, offset_)) offset_ = size_;
    return true;
}

Result<CpioEntry> CpioReader::find(StringView path) const {
    StringView wanted = without_root_prefix(path);
    CpioReader reader(data_, size_);
    CpioEntry entry;
    for (;;) {
        bool found_entry = TRY(reader.next(entry));
        if (!found_entry) return error(Errno::enoent);
        if (entry.name == wanted) return entry;
    }
}

}  // namespace k
