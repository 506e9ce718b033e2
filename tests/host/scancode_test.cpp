// The PS/2 scancode decoder, in both scancode sets. The reference codes
// below are written out from the IBM keyboard tables, independently of the
// decoder's own tables.
#include "kernel/drivers/scancode.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using drivers::ScancodeDecoder;
using drivers::ScancodeSet;

namespace {

struct Key {
    char ascii;
    uint8_t set1;
    uint8_t set2;
};

const Key kLetters[] = {
    {'a', 0x1e, 0x1c}, {'b', 0x30, 0x32}, {'c', 0x2e, 0x21}, {'d', 0x20, 0x23}, {'e', 0x12, 0x24},
    {'f', 0x21, 0x2b}, {'g', 0x22, 0x34}, {'h', 0x23, 0x33}, {'i', 0x17, 0x43}, {'j', 0x24, 0x3b},
    {'k', 0x25, 0x42}, {'l', 0x26, 0x4b}, {'m', 0x32, 0x3a}, {'n', 0x31, 0x31}, {'o', 0x18, 0x44},
    {'p', 0x19, 0x4d}, {'q', 0x10, 0x15}, {'r', 0x13, 0x2d}, {'s', 0x1f, 0x1b}, {'t', 0x14, 0x2c},
    {'u', 0x16, 0x3c}, {'v', 0x2f, 0x2a}, {'w', 0x11, 0x1d}, {'x', 0x2d, 0x22}, {'y', 0x15, 0x35},
    {'z', 0x2c, 0x1a},
};

// Digits with what Shift makes of them on a US keyboard.
struct Digit {
    char ascii;
    char shifted;
    uint8_t set1;
    uint8_t set2;
};
const Digit kDigits[] = {
    {'1', '!', 0x02, 0x16}, {'2', '@', 0x03, 0x1e}, {'3', '#', 0x04, 0x26}, {'4', '$', 0x05, 0x25},
    {'5', '%', 0x06, 0x2e}, {'6', '^', 0x07, 0x36}, {'7', '&', 0x08, 0x3d}, {'8', '*', 0x09, 0x3e},
    {'9', '(', 0x0a, 0x46}, {'0', ')', 0x0b, 0x45},
};

constexpr uint8_t kLeftShift1 = 0x2a, kLeftShift2 = 0x12;
constexpr uint8_t kRightShift1 = 0x36, kRightShift2 = 0x59;
constexpr uint8_t kCapsLock1 = 0x3a, kCapsLock2 = 0x58;
constexpr uint8_t kCtrl1 = 0x1d, kCtrl2 = 0x14;
constexpr uint8_t kEnter1 = 0x1c, kEnter2 = 0x5a;
constexpr uint8_t kBackspace1 = 0x0e, kBackspace2 = 0x66;
constexpr uint8_t kSpace1 = 0x39, kSpace2 = 0x29;

// Feeds bytes, returns what came out.
std::string feed(ScancodeDecoder& decoder, const std::vector<uint8_t>& bytes) {
    std::string out;
    for (uint8_t byte : bytes) {
        char c = 0;
        if (decoder.feed(byte, c)) out += c;
    }
    return out;
}

// One byte sequence for a press or a release of a (non-extended) key.
std::vector<uint8_t> press(ScancodeSet set, uint8_t code) {
    (void)set;
    return {code};
}
std::vector<uint8_t> release(ScancodeSet set, uint8_t code) {
    if (set == ScancodeSet::Set1) return {static_cast<uint8_t>(code | 0x80)};
    return {0xf0, code};
}
std::vector<uint8_t> tap(ScancodeSet set, uint8_t code) {
    auto bytes = press(set, code);
    auto up = release(set, code);
    bytes.insert(bytes.end(), up.begin(), up.end());
    return bytes;
}
std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

uint8_t code_of(ScancodeSet set, const Key& key) { return set == ScancodeSet::Set1 ? key.set1 : key.set2; }
uint8_t code_of(ScancodeSet set, const Digit& digit) { return set == ScancodeSet::Set1 ? digit.set1 : digit.set2; }
uint8_t pick(ScancodeSet set, uint8_t set1, uint8_t set2) { return set == ScancodeSet::Set1 ? set1 : set2; }

class ScancodeBothSets : public ::testing::TestWithParam<ScancodeSet> {};

INSTANTIATE_TEST_SUITE_P(Scancode, ScancodeBothSets, ::testing::Values(ScancodeSet::Set1, ScancodeSet::Set2),
                         [](const ::testing::TestParamInfo<ScancodeSet>& param_info) {
                             return param_info.param == ScancodeSet::Set1 ? std::string("Set1") : std::string("Set2");
                         });

}  // namespace

TEST_P(ScancodeBothSets, EveryLetterTypesItselfOnPressOnly) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    for (const Key& key : kLetters) {
        EXPECT_EQ(feed(decoder, press(set, code_of(set, key))), std::string(1, key.ascii)) << key.ascii;
        EXPECT_EQ(feed(decoder, release(set, code_of(set, key))), "") << key.ascii;
    }
}

TEST_P(ScancodeBothSets, EveryDigitTypesItselfAndShiftGivesTheSymbol) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    for (const Digit& digit : kDigits) {
        EXPECT_EQ(feed(decoder, tap(set, code_of(set, digit))), std::string(1, digit.ascii));
    }
    for (const Digit& digit : kDigits) {
        const uint8_t shift = pick(set, kLeftShift1, kLeftShift2);
        EXPECT_EQ(feed(decoder, press(set, shift) + tap(set, code_of(set, digit)) + release(set, shift)),
                  std::string(1, digit.shifted));
    }
    EXPECT_FALSE(decoder.shift());
}

TEST_P(ScancodeBothSets, EitherShiftUppercasesWhileHeld) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    const Key& h = kLetters['h' - 'a'];
    const Key& i = kLetters['i' - 'a'];
    const uint8_t left = pick(set, kLeftShift1, kLeftShift2);
    const uint8_t right = pick(set, kRightShift1, kRightShift2);
    EXPECT_EQ(feed(decoder, press(set, left) + tap(set, code_of(set, h)) + release(set, left) +
                                tap(set, code_of(set, i))),
              "Hi");
    EXPECT_EQ(feed(decoder, press(set, right) + tap(set, code_of(set, h))), "H");
    EXPECT_TRUE(decoder.shift());
    // Both held, one released: still shifted.
    EXPECT_EQ(feed(decoder, press(set, left) + release(set, right) + tap(set, code_of(set, i))), "I");
    EXPECT_EQ(feed(decoder, release(set, left) + tap(set, code_of(set, i))), "i");
}

TEST_P(ScancodeBothSets, CapsLockTogglesLettersOnlyAndShiftInvertsIt) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    const uint8_t caps = pick(set, kCapsLock1, kCapsLock2);
    const uint8_t shift = pick(set, kLeftShift1, kLeftShift2);
    const uint8_t a = code_of(set, kLetters[0]);
    const uint8_t one = code_of(set, kDigits[0]);
    EXPECT_EQ(feed(decoder, tap(set, caps)), "");
    EXPECT_TRUE(decoder.caps_lock());
    EXPECT_EQ(feed(decoder, tap(set, a) + tap(set, one)), "A1");
    EXPECT_EQ(feed(decoder, press(set, shift) + tap(set, a) + tap(set, one) + release(set, shift)), "a!");
    // A held Caps Lock repeats its make code: it toggles once.
    EXPECT_EQ(feed(decoder, press(set, caps) + press(set, caps) + press(set, caps) + release(set, caps)), "");
    EXPECT_FALSE(decoder.caps_lock());
    EXPECT_EQ(feed(decoder, tap(set, a)), "a");
}

TEST_P(ScancodeBothSets, CtrlLetterIsAControlCode) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    const uint8_t ctrl = pick(set, kCtrl1, kCtrl2);
    const uint8_t c = code_of(set, kLetters['c' - 'a']);
    EXPECT_EQ(feed(decoder, press(set, ctrl) + tap(set, c) + release(set, ctrl)), std::string(1, '\x03'));
    EXPECT_FALSE(decoder.ctrl());
    EXPECT_EQ(feed(decoder, tap(set, c)), "c");
    // Right Ctrl is an extended key: E0 1D / E0 14.
    const std::vector<uint8_t> right_down{0xe0, ctrl};
    const std::vector<uint8_t> right_up =
        set == ScancodeSet::Set1 ? std::vector<uint8_t>{0xe0, static_cast<uint8_t>(ctrl | 0x80)}
                                 : std::vector<uint8_t>{0xe0, 0xf0, ctrl};
    EXPECT_EQ(feed(decoder, right_down + tap(set, c)), std::string(1, '\x03'));
    EXPECT_TRUE(decoder.ctrl());
    EXPECT_EQ(feed(decoder, right_up + tap(set, c)), "c");
}

TEST_P(ScancodeBothSets, EnterBackspaceAndSpace) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    EXPECT_EQ(feed(decoder, tap(set, pick(set, kEnter1, kEnter2))), "\n");
    EXPECT_EQ(feed(decoder, tap(set, pick(set, kBackspace1, kBackspace2))), "\b");
    EXPECT_EQ(feed(decoder, tap(set, pick(set, kSpace1, kSpace2))), " ");
}

TEST_P(ScancodeBothSets, ExtendedKeysMappedOrIgnored) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    auto extended_tap = [set](uint8_t code) {
        if (set == ScancodeSet::Set1) return std::vector<uint8_t>{0xe0, code, 0xe0, static_cast<uint8_t>(code | 0x80)};
        return std::vector<uint8_t>{0xe0, code, 0xe0, 0xf0, code};
    };
    // Keypad Enter and keypad '/'.
    EXPECT_EQ(feed(decoder, extended_tap(pick(set, 0x1c, 0x5a))), "\n");
    EXPECT_EQ(feed(decoder, extended_tap(pick(set, 0x35, 0x4a))), "/");
    // Arrows, Home, End, Page Up/Down, Insert: nothing.
    for (auto [code1, code2] : std::vector<std::pair<uint8_t, uint8_t>>{
             {0x48, 0x75}, {0x50, 0x72}, {0x4b, 0x6b}, {0x4d, 0x74}, {0x47, 0x6c}, {0x4f, 0x69}, {0x49, 0x7d},
             {0x51, 0x7a}, {0x52, 0x70}}) {
        EXPECT_EQ(feed(decoder, extended_tap(pick(set, code1, code2))), "");
    }
    // The prefix applies to one code only: the next plain key types.
    EXPECT_EQ(feed(decoder, tap(set, code_of(set, kLetters['k' - 'a']))), "k");
    // A "fake shift" (E0 2A / E0 12, sent around cursor keys) is not Shift.
    EXPECT_EQ(feed(decoder, std::vector<uint8_t>{0xe0, pick(set, kLeftShift1, kLeftShift2)}), "");
    EXPECT_FALSE(decoder.shift());
    EXPECT_EQ(feed(decoder, tap(set, code_of(set, kLetters['k' - 'a']))), "k");
}

TEST_P(ScancodeBothSets, PauseSequenceTypesNothingAndDoesNotEatTheNextKey) {
    const ScancodeSet set = GetParam();
    ScancodeDecoder decoder(set);
    const std::vector<uint8_t> pause = set == ScancodeSet::Set1
                                           ? std::vector<uint8_t>{0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5}
                                           : std::vector<uint8_t>{0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77};
    EXPECT_EQ(feed(decoder, pause + tap(set, code_of(set, kLetters['z' - 'a']))), "z");
    EXPECT_FALSE(decoder.ctrl());
    EXPECT_FALSE(decoder.num_lock());
}

TEST(Scancode, Set1BreakCodesNeverType) {
    for (unsigned byte = 0x80; byte <= 0xff; ++byte) {
        if (byte == 0xe0 || byte == 0xe1) continue;
        ScancodeDecoder decoder(ScancodeSet::Set1);
        char c = 0;
        EXPECT_FALSE(decoder.feed(static_cast<uint8_t>(byte), c)) << std::hex << byte;
    }
}

TEST(Scancode, Set2BreakCodesNeverType) {
    for (unsigned byte = 0; byte <= 0xff; ++byte) {
        ScancodeDecoder decoder(ScancodeSet::Set2);
        EXPECT_EQ(feed(decoder, {0xf0, static_cast<uint8_t>(byte)}), "") << std::hex << byte;
        EXPECT_EQ(feed(decoder, {0xe0, 0xf0, static_cast<uint8_t>(byte)}), "") << std::hex << byte;
    }
}

TEST(Scancode, Set2KeyboardRepliesAreNotKeys) {
    ScancodeDecoder decoder(ScancodeSet::Set2);
    // ACK, self-test passed, echo, resend, errors.
    EXPECT_EQ(feed(decoder, {0xfa, 0xaa, 0xee, 0xfe, 0x00, 0xff}), "");
    EXPECT_EQ(feed(decoder, tap(ScancodeSet::Set2, 0x1c)), "a");
}

TEST(Scancode, KeypadDigitsNeedNumLock) {
    ScancodeDecoder decoder(ScancodeSet::Set1);
    EXPECT_EQ(feed(decoder, {0x4f, 0xcf, 0x4a, 0xca}), "-");  // keypad 1 (no Num Lock), keypad '-'
    EXPECT_EQ(feed(decoder, {0x45, 0xc5, 0x4f, 0xcf, 0x37, 0xb7}), "1*");
    EXPECT_TRUE(decoder.num_lock());
}

TEST(Scancode, TranslationTableAgreesWithTheReference) {
    for (const Key& key : kLetters) EXPECT_EQ(drivers::set2_to_set1(key.set2), key.set1) << key.ascii;
    for (const Digit& digit : kDigits) EXPECT_EQ(drivers::set2_to_set1(digit.set2), digit.set1) << digit.ascii;
    EXPECT_EQ(drivers::set2_to_set1(0xfa), 0);  // ACK is no key
    EXPECT_EQ(drivers::set2_to_set1(0x83), 0x41);  // F7, the one code above 0x7f
}

TEST(Scancode, GarbageNeverCrashesAndYieldsOnlyAscii) {
    std::mt19937 random(12345);
    for (ScancodeSet set : {ScancodeSet::Set1, ScancodeSet::Set2}) {
        ScancodeDecoder decoder(set);
        size_t produced = 0;
        for (int i = 0; i < 200000; ++i) {
            char c = 0;
            if (decoder.feed(static_cast<uint8_t>(random()), c)) {
                ++produced;
                EXPECT_GE(static_cast<unsigned char>(c), 1u);
                EXPECT_LE(static_cast<unsigned char>(c), 0x7fu);
            }
        }
        EXPECT_GT(produced, 0u);
        // Still decodes properly afterwards once the modifiers are released.
        std::vector<uint8_t> reset =
            set == ScancodeSet::Set1
                ? std::vector<uint8_t>{0xaa, 0xb6, 0x9d, 0xe0, 0x9d, 0xba}
                : std::vector<uint8_t>{0xf0, 0x12, 0xf0, 0x59, 0xf0, 0x14, 0xe0, 0xf0, 0x14, 0xf0, 0x58};
        // Error bytes first: they end any half-received prefix sequence.
        feed(decoder, std::vector<uint8_t>(8, 0x00) + reset);
        if (decoder.caps_lock()) feed(decoder, tap(set, pick(set, kCapsLock1, kCapsLock2)));
        EXPECT_EQ(feed(decoder, tap(set, code_of(set, kLetters['q' - 'a']))), "q");
    }
}
