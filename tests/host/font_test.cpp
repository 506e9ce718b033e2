// The console font: the compile-time conversion from ASCII art, and the
// legibility rules the art is meant to keep.
#include "kernel/drivers/font8x16.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

using drivers::font_glyph;
using drivers::font_replacement_glyph;
using drivers::kFontHeight;
using drivers::kFontWidth;

bool glyph_is_blank(const uint8_t* glyph) {
    for (uint32_t row = 0; row < kFontHeight; ++row) {
        if (glyph[row] != 0) return false;
    }
    return true;
}

bool glyphs_equal(const uint8_t* a, const uint8_t* b) { return std::memcmp(a, b, kFontHeight) == 0; }

// The glyph drawn back as art, for readable failure messages.
std::string art(const uint8_t* glyph) {
    std::string text = "\n";
    for (uint32_t row = 0; row < kFontHeight; ++row) {
        for (uint32_t x = 0; x < kFontWidth; ++x) text += (glyph[row] & (0x80u >> x)) ? '#' : '.';
        text += '\n';
    }
    return text;
}

bool ink_in_rows(char c, uint32_t first, uint32_t last) {
    const uint8_t* glyph = font_glyph(c);
    for (uint32_t row = first; row <= last; ++row) {
        if (glyph[row] != 0) return true;
    }
    return false;
}

std::string printable_characters() {
    std::string all;
    for (int c = drivers::kFontFirstChar; c <= drivers::kFontLastChar; ++c) all += static_cast<char>(c);
    return all;
}

TEST(Font8x16, CellIsEightByteWideSixteenRowsTall) {
    EXPECT_EQ(kFontWidth, 8u);
    EXPECT_EQ(kFontHeight, 16u);
}

// Pins the art-to-bytes conversion: row 0 at the top, bit 7 the leftmost
// pixel. 'L' is a stem in the two left columns and a foot along the baseline.
TEST(Font8x16, ArtBecomesRowsWithBitSevenLeftmost) {
    const uint8_t* glyph = font_glyph('L');
    EXPECT_EQ(glyph[0], 0x00);
    EXPECT_EQ(glyph[2], 0x00);
    for (uint32_t row = 3; row <= 11; ++row) EXPECT_EQ(glyph[row], 0xC0) << "row " << row << art(glyph);
    EXPECT_EQ(glyph[12], 0xFE) << art(glyph);  // "#######."
    EXPECT_EQ(glyph[13], 0x00);
    // Each character has its own 16 bytes.
    EXPECT_NE(font_glyph('L'), font_glyph('M'));
}

TEST(Font8x16, SpaceIsBlankAndEveryOtherPrintableHasInk) {
    EXPECT_TRUE(glyph_is_blank(font_glyph(' ')));
    for (char c : printable_characters()) {
        if (c == ' ') continue;
        EXPECT_FALSE(glyph_is_blank(font_glyph(c))) << "'" << c << "' draws nothing";
    }
}

TEST(Font8x16, NoTwoPrintableCharactersShareAGlyph) {
    const std::string all = printable_characters();
    for (size_t i = 0; i < all.size(); ++i) {
        for (size_t j = i + 1; j < all.size(); ++j) {
            EXPECT_FALSE(glyphs_equal(font_glyph(all[i]), font_glyph(all[j])))
                << "'" << all[i] << "' and '" << all[j] << "' look the same" << art(font_glyph(all[i]));
        }
    }
}

TEST(Font8x16, LookAlikesDiffer) {
    EXPECT_FALSE(glyphs_equal(font_glyph('0'), font_glyph('O')));
    EXPECT_FALSE(glyphs_equal(font_glyph('1'), font_glyph('l')));
    EXPECT_FALSE(glyphs_equal(font_glyph('1'), font_glyph('I')));
    EXPECT_FALSE(glyphs_equal(font_glyph('l'), font_glyph('I')));
    EXPECT_FALSE(glyphs_equal(font_glyph('I'), font_glyph('|')));
    EXPECT_FALSE(glyphs_equal(font_glyph('l'), font_glyph('|')));
}

// Not just different in some corner: zero and O must differ in the middle
// (the slash), and 1, l, I in more than one row, or they stay hard to tell
// apart on a real screen.
TEST(Font8x16, LookAlikesDifferVisibly) {
    auto rows_differing = [](char a, char b) {
        int count = 0;
        for (uint32_t row = 0; row < kFontHeight; ++row) count += font_glyph(a)[row] != font_glyph(b)[row];
        return count;
    };
    EXPECT_GE(rows_differing('0', 'O'), 4);
    EXPECT_GE(rows_differing('1', 'l'), 3);
    EXPECT_GE(rows_differing('1', 'I'), 3);
    EXPECT_GE(rows_differing('l', 'I'), 3);
}

TEST(Font8x16, DescendersGoBelowTheBaseline) {
    const uint32_t kBaseline = 12;
    for (char c : std::string("gjpqy")) {
        EXPECT_TRUE(ink_in_rows(c, kBaseline + 1, kFontHeight - 1)) << "'" << c << "' has no descender"
                                                                     << art(font_glyph(c));
    }
    // Every other letter and digit sits on the baseline (Q's tail excepted).
    for (char c : printable_characters()) {
        const bool letter_or_digit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!letter_or_digit || std::string("gjpqyQ").find(c) != std::string::npos) continue;
        EXPECT_FALSE(ink_in_rows(c, kBaseline + 1, kFontHeight - 1)) << "'" << c << "' drops below the baseline"
                                                                      << art(font_glyph(c));
        EXPECT_TRUE(ink_in_rows(c, kBaseline, kBaseline)) << "'" << c << "' does not reach the baseline"
                                                          << art(font_glyph(c));
    }
}

TEST(Font8x16, LettersAndDigitsLeaveTheRightColumnEmpty) {
    for (char c : printable_characters()) {
        const bool letter_or_digit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!letter_or_digit) continue;
        for (uint32_t row = 0; row < kFontHeight; ++row) {
            EXPECT_EQ(font_glyph(c)[row] & 0x01, 0) << "'" << c << "' touches its neighbour in row " << row;
        }
    }
}

TEST(Font8x16, CharactersOutsidePrintableAsciiGetTheBox) {
    const uint8_t* box = font_replacement_glyph();
    EXPECT_FALSE(glyph_is_blank(box));
    for (int code : {0x00, 0x01, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xC3, 0xFF}) {
        EXPECT_EQ(font_glyph(static_cast<char>(code)), box) << "code 0x" << std::hex << code;
    }
    // The first and last printable characters are not boxes.
    EXPECT_NE(font_glyph('\x20'), box);
    EXPECT_NE(font_glyph('\x7e'), box);
    // And the box is not mistaken for any real character.
    for (char c : printable_characters()) EXPECT_FALSE(glyphs_equal(font_glyph(c), box)) << "'" << c << "'";
}

}  // namespace
