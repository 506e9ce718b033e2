#include "kernel/drivers/scancode.h"

namespace drivers {

namespace {

// Prefix and status bytes (IBM PS/2 Hardware Technical Reference, keyboard).
constexpr uint8_t kExtendedPrefix = 0xe0;  // the next code is an "extended" key
constexpr uint8_t kPausePrefix = 0xe1;     // Pause: a press-only sequence of its own
constexpr uint8_t kSet2ReleasePrefix = 0xf0;
constexpr uint8_t kSet1ReleaseBit = 0x80;
// Pause sends E1 1D 45 E1 9D C5 in set 1 and E1 14 77 E1 F0 14 F0 77 in
// set 2: after the E1, this many bytes belong to it.
constexpr uint8_t kPauseTailSet1 = 5;
constexpr uint8_t kPauseTailSet2 = 7;

// Set 1 make codes of the keys that change state rather than type.
constexpr uint8_t kLeftShift = 0x2a;
constexpr uint8_t kRightShift = 0x36;
constexpr uint8_t kCtrl = 0x1d;  // left; E0 1D is right
constexpr uint8_t kCapsLock = 0x3a;
constexpr uint8_t kNumLock = 0x45;
constexpr uint8_t kEnter = 0x1c;  // E0 1C: the keypad's Enter
constexpr uint8_t kSlash = 0x35;  // E0 35: the keypad's '/'
constexpr uint8_t kKeypadDecimal = 0x53;  // E0 53: Delete
constexpr uint8_t kKeypadFirst = 0x47;    // keypad 7 ... keypad '.'

constexpr char kBackspace = 0x08;
constexpr char kEscape = 0x1b;
constexpr char kDelete = 0x7f;

struct KeyChars {
    uint8_t code;  // set 1 make code
    char normal;
    char shifted;
};

// The US layout, by set 1 make code.
constexpr KeyChars kUsLayout[] = {
    {0x01, kEscape, kEscape},
    {0x02, '1', '!'}, {0x03, '2', '@'}, {0x04, '3', '#'}, {0x05, '4', '$'}, {0x06, '5', '%'},
    {0x07, '6', '^'}, {0x08, '7', '&'}, {0x09, '8', '*'}, {0x0a, '9', '('}, {0x0b, '0', ')'},
    {0x0c, '-', '_'}, {0x0d, '=', '+'}, {0x0e, kBackspace, kBackspace}, {0x0f, '\t', '\t'},
    {0x10, 'q', 'Q'}, {0x11, 'w', 'W'}, {0x12, 'e', 'E'}, {0x13, 'r', 'R'}, {0x14, 't', 'T'},
    {0x15, 'y', 'Y'}, {0x16, 'u', 'U'}, {0x17, 'i', 'I'}, {0x18, 'o', 'O'}, {0x19, 'p', 'P'},
    {0x1a, '[', '{'}, {0x1b, ']', '}'}, {0x1c, '\n', '\n'},
    {0x1e, 'a', 'A'}, {0x1f, 's', 'S'}, {0x20, 'd', 'D'}, {0x21, 'f', 'F'}, {0x22, 'g', 'G'},
    {0x23, 'h', 'H'}, {0x24, 'j', 'J'}, {0x25, 'k', 'K'}, {0x26, 'l', 'L'},
    {0x27, ';', ':'}, {0x28, '\'', '"'}, {0x29, '`', '~'}, {0x2b, '\\', '|'},
    {0x2c, 'z', 'Z'}, {0x2d, 'x', 'X'}, {0x2e, 'c', 'C'}, {0x2f, 'v', 'V'}, {0x30, 'b', 'B'},
    {0x31, 'n', 'N'}, {0x32, 'm', 'M'},
    {0x33, ',', '<'}, {0x34, '.', '>'}, {0x35, '/', '?'}, {0x37, '*', '*'}, {0x39, ' ', ' '},
    // The keypad: digits and '.' only with Num Lock on (checked below).
    {0x47, '7', '7'}, {0x48, '8', '8'}, {0x49, '9', '9'}, {0x4a, '-', '-'},
    {0x4b, '4', '4'}, {0x4c, '5', '5'}, {0x4d, '6', '6'}, {0x4e, '+', '+'},
    {0x4f, '1', '1'}, {0x50, '2', '2'}, {0x51, '3', '3'}, {0x52, '0', '0'}, {0x53, '.', '.'},
};

constexpr unsigned kSet1Codes = 0x80;

struct LayoutTable {
    char normal[kSet1Codes];
    char shifted[kSet1Codes];
};

constexpr LayoutTable kLayout = [] {
    LayoutTable table{};
    for (const KeyChars& key : kUsLayout) {
        table.normal[key.code] = key.normal;
        table.shifted[key.code] = key.shifted;
    }
    return table;
}();

struct CodePair {
    uint8_t set2;
    uint8_t set1;
};

// What the 8042 does when translation is on. The same table serves the
// extended keys: E0 75 (up, set 2) becomes E0 48.
constexpr CodePair kSet2ToSet1[] = {
    {0x01, 0x43}, {0x03, 0x3f}, {0x04, 0x3d}, {0x05, 0x3b}, {0x06, 0x3c}, {0x07, 0x58}, {0x09, 0x44},
    {0x0a, 0x42}, {0x0b, 0x40}, {0x0c, 0x3e}, {0x0d, 0x0f}, {0x0e, 0x29}, {0x11, 0x38}, {0x12, 0x2a},
    {0x14, 0x1d}, {0x15, 0x10}, {0x16, 0x02}, {0x1a, 0x2c}, {0x1b, 0x1f}, {0x1c, 0x1e}, {0x1d, 0x11},
    {0x1e, 0x03}, {0x1f, 0x5b}, {0x21, 0x2e}, {0x22, 0x2d}, {0x23, 0x20}, {0x24, 0x12}, {0x25, 0x05},
    {0x26, 0x04}, {0x27, 0x5c}, {0x29, 0x39}, {0x2a, 0x2f}, {0x2b, 0x21}, {0x2c, 0x14}, {0x2d, 0x13},
    {0x2e, 0x06}, {0x2f, 0x5d}, {0x31, 0x31}, {0x32, 0x30}, {0x33, 0x23}, {0x34, 0x22}, {0x35, 0x15},
    {0x36, 0x07}, {0x3a, 0x32}, {0x3b, 0x24}, {0x3c, 0x16}, {0x3d, 0x08}, {0x3e, 0x09}, {0x41, 0x33},
    {0x42, 0x25}, {0x43, 0x17}, {0x44, 0x18}, {0x45, 0x0b}, {0x46, 0x0a}, {0x49, 0x34}, {0x4a, 0x35},
    {0x4b, 0x26}, {0x4c, 0x27}, {0x4d, 0x19}, {0x4e, 0x0c}, {0x52, 0x28}, {0x54, 0x1a}, {0x55, 0x0d},
    {0x58, 0x3a}, {0x59, 0x36}, {0x5a, 0x1c}, {0x5b, 0x1b}, {0x5d, 0x2b}, {0x66, 0x0e}, {0x69, 0x4f},
    {0x6b, 0x4b}, {0x6c, 0x47}, {0x70, 0x52}, {0x71, 0x53}, {0x72, 0x50}, {0x73, 0x4c}, {0x74, 0x4d},
    {0x75, 0x48}, {0x76, 0x01}, {0x77, 0x45}, {0x78, 0x57}, {0x79, 0x4e}, {0x7a, 0x51}, {0x7b, 0x4a},
    {0x7c, 0x37}, {0x7d, 0x49}, {0x7e, 0x46}, {0x83, 0x41},
};

struct TranslationTable {
    uint8_t set1[256];
};

constexpr TranslationTable kTranslation = [] {
    TranslationTable table{};
    for (const CodePair& pair : kSet2ToSet1) table.set1[pair.set2] = pair.set1;
    return table;
}();

bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

bool is_keypad_number(uint8_t code) {
    // 0x4a (-) and 0x4e (+) type the same whatever Num Lock says.
    return code >= kKeypadFirst && code <= kKeypadDecimal && code != 0x4a && code != 0x4e;
}

}  // namespace

uint8_t set2_to_set1(uint8_t set2_code) { return kTranslation.set1[set2_code]; }

bool ScancodeDecoder::feed(uint8_t byte, char& ascii) {
    if (skip_ > 0) {
        --skip_;
        return false;
    }
    if (byte == kPausePrefix) {
        skip_ = set_ == ScancodeSet::Set1 ? kPauseTailSet1 : kPauseTailSet2;
        extended_ = releasing_ = false;
        return false;
    }
    if (byte == kExtendedPrefix) {
        extended_ = true;
        return false;
    }
    const bool extended = extended_;
    extended_ = false;
    if (set_ == ScancodeSet::Set1) {
        // 0x00 and 0xff are the keyboard's error/overrun bytes.
        if (byte == 0x00 || byte == 0xff) return false;
        return key_event(byte & ~kSet1ReleaseBit, extended, (byte & kSet1ReleaseBit) != 0, ascii);
    }
    if (byte == kSet2ReleasePrefix) {
        releasing_ = true;
        extended_ = extended;  // E0 F0 xx: keep the E0 for the code
        return false;
    }
    const bool released = releasing_;
    releasing_ = false;
    // Codes above 0x83 are replies (ACK 0xfa, self-test 0xaa, resend, echo,
    // errors), not keys: the translation table has nothing for them.
    const uint8_t code = set2_to_set1(byte);
    if (code == 0) return false;
    return key_event(code, extended, released, ascii);
}

bool ScancodeDecoder::key_event(uint8_t code, bool extended, bool released, char& ascii) {
    if (extended) {
        // Of the extended keys only these mean a character. The rest are
        // cursor and system keys, and the "fake shifts" (E0 2A, E0 36) some
        // keyboards wrap around them, which must not touch the real Shift.
        if (code == kCtrl) right_ctrl_ = !released;
        if (released) return false;
        if (code == kEnter) ascii = '\n';
        else if (code == kSlash) ascii = '/';
        else if (code == kKeypadDecimal) ascii = kDelete;
        else return false;
        return true;
    }
    switch (code) {
        case kLeftShift: left_shift_ = !released; return false;
        case kRightShift: right_shift_ = !released; return false;
        case kCtrl: left_ctrl_ = !released; return false;
        case kCapsLock:
            // A held key repeats its make code: toggle on the first only.
            if (!released && !caps_lock_held_) caps_lock_ = !caps_lock_;
            caps_lock_held_ = !released;
            return false;
        case kNumLock:
            if (!released && !num_lock_held_) num_lock_ = !num_lock_;
            num_lock_held_ = !released;
            return false;
        default: break;
    }
    if (released || code >= kSet1Codes) return false;
    if (is_keypad_number(code) && !num_lock_) return false;
    char c = kLayout.normal[code];
    if (c == 0) return false;
    if (is_letter(c)) {
        if (ctrl()) {
            ascii = static_cast<char>(c - 'a' + 1);  // Ctrl-A = 1 ... Ctrl-Z = 26
            return true;
        }
        if (shift() != caps_lock_) c = kLayout.shifted[code];
    } else if (shift()) {
        c = kLayout.shifted[code];
    }
    ascii = c;
    return true;
}

}  // namespace drivers
