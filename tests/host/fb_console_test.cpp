// The framebuffer console drawing into an ordinary buffer: glyph placement
// and colours in each pixel format, cursor movement, wrapping and scrolling.
#include "kernel/drivers/fb_console.h"

#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "kernel/drivers/font8x16.h"

namespace {

using drivers::FbConsole;
using drivers::font_glyph;
using drivers::FramebufferInfo;
using drivers::kFontHeight;
using drivers::kFontWidth;
using drivers::Rgb;

constexpr uint8_t kPaddingSentinel = 0xA5;

// The pixel layouts GRUB hands out most often.
FramebufferInfo xrgb8888(uint32_t width, uint32_t height, uint32_t pitch) {
    FramebufferInfo info;
    info.width = width;
    info.height = height;
    info.pitch = pitch;
    info.bits_per_pixel = 32;
    info.red_shift = 16;
    info.red_bits = 8;
    info.green_shift = 8;
    info.green_bits = 8;
    info.blue_shift = 0;
    info.blue_bits = 8;
    return info;
}

FramebufferInfo rgb888(uint32_t width, uint32_t height, uint32_t pitch) {
    FramebufferInfo info = xrgb8888(width, height, pitch);
    info.bits_per_pixel = 24;
    return info;
}

FramebufferInfo rgb565(uint32_t width, uint32_t height, uint32_t pitch) {
    FramebufferInfo info;
    info.width = width;
    info.height = height;
    info.pitch = pitch;
    info.bits_per_pixel = 16;
    info.red_shift = 11;
    info.red_bits = 5;
    info.green_shift = 5;
    info.green_bits = 6;
    info.blue_shift = 0;
    info.blue_bits = 5;
    return info;
}

// Pixel memory for one framebuffer, sized exactly as the hardware would
// need: pitch bytes per row except the last, which ends at its last visible
// pixel (so AddressSanitizer catches any write, or read, past it). The
// padding between width and pitch is filled with a sentinel that the console
// must never change.
class TestFramebuffer {
public:
    explicit TestFramebuffer(FramebufferInfo info) : info_(info) {
        const size_t row_bytes = size_t{info.width} * bytes_per_pixel();
        memory_.assign(size_t{info.pitch} * (info.height - 1) + row_bytes, 0x3C);
        for (uint32_t y = 0; y + 1 < info.height; ++y) {
            std::memset(&memory_[size_t{y} * info.pitch + row_bytes], kPaddingSentinel, info.pitch - row_bytes);
        }
        info_.base = memory_.data();
    }

    const FramebufferInfo& info() const { return info_; }
    uint32_t bytes_per_pixel() const { return info_.bits_per_pixel / 8; }

    uint32_t pixel(uint32_t x, uint32_t y) const {
        const uint8_t* p = &memory_[size_t{y} * info_.pitch + size_t{x} * bytes_per_pixel()];
        uint32_t value = 0;
        for (uint32_t b = 0; b < bytes_per_pixel(); ++b) value |= uint32_t{p[b]} << (8 * b);
        return value;
    }

    uint32_t packed(Rgb color) const { return drivers::pack_rgb(info_, color); }

    // Cell (column, row) holds `glyph` drawn in fg on bg, pixel for pixel.
    ::testing::AssertionResult cell_shows(uint32_t column, uint32_t row, const uint8_t* glyph, Rgb fg,
                                          Rgb bg) const {
        for (uint32_t gy = 0; gy < kFontHeight; ++gy) {
            for (uint32_t gx = 0; gx < kFontWidth; ++gx) {
                const bool on = glyph[gy] & (0x80u >> gx);
                const uint32_t want = packed(on ? fg : bg);
                const uint32_t x = column * kFontWidth + gx;
                const uint32_t y = row * kFontHeight + gy;
                if (pixel(x, y) != want) {
                    return ::testing::AssertionFailure() << "cell (" << column << ", " << row << ") pixel (" << gx
                                                         << ", " << gy << ") at screen (" << x << ", " << y
                                                         << ") is 0x" << std::hex << pixel(x, y) << ", want 0x"
                                                         << want;
                }
            }
        }
        return ::testing::AssertionSuccess();
    }

    ::testing::AssertionResult cell_shows(uint32_t column, uint32_t row, char c, Rgb fg, Rgb bg) const {
        return cell_shows(column, row, font_glyph(c), fg, bg) << " (expected '" << c << "')";
    }

    ::testing::AssertionResult pixel_rows_are(uint32_t first_y, uint32_t count, Rgb color) const {
        for (uint32_t y = first_y; y < first_y + count; ++y) {
            for (uint32_t x = 0; x < info_.width; ++x) {
                if (pixel(x, y) != packed(color)) {
                    return ::testing::AssertionFailure() << "pixel (" << x << ", " << y << ") is 0x" << std::hex
                                                         << pixel(x, y) << ", want 0x" << packed(color);
                }
            }
        }
        return ::testing::AssertionSuccess();
    }

    bool padding_untouched() const {
        const size_t row_bytes = size_t{info_.width} * bytes_per_pixel();
        for (uint32_t y = 0; y + 1 < info_.height; ++y) {
            for (size_t i = row_bytes; i < info_.pitch; ++i) {
                if (memory_[size_t{y} * info_.pitch + i] != kPaddingSentinel) return false;
            }
        }
        return true;
    }

    std::vector<uint8_t> pixel_rows(uint32_t first_y, uint32_t count) const {
        std::vector<uint8_t> rows;
        const size_t row_bytes = size_t{info_.width} * bytes_per_pixel();
        for (uint32_t y = first_y; y < first_y + count; ++y) {
            const uint8_t* p = &memory_[size_t{y} * info_.pitch];
            rows.insert(rows.end(), p, p + row_bytes);
        }
        return rows;
    }

private:
    FramebufferInfo info_;
    std::vector<uint8_t> memory_;
};

constexpr Rgb kFg{0xFF, 0xC0, 0x11};
constexpr Rgb kBg{0x10, 0x20, 0x30};

void write(FbConsole& console, const std::string& text) { console.write(text.data(), text.size()); }

// --- pixel formats ---------------------------------------------------------

TEST(FbConsole, PacksRgbIntoXrgb8888) {
    const FramebufferInfo info = xrgb8888(640, 480, 2560);
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0x12, 0x34, 0x56}), 0x123456u);
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0xFF, 0x00, 0x00}), 0xFF0000u);
}

TEST(FbConsole, PacksRgbIntoBgrLayout) {
    FramebufferInfo info = xrgb8888(640, 480, 2560);
    info.red_shift = 0;
    info.blue_shift = 16;
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0x12, 0x34, 0x56}), 0x563412u);
}

TEST(FbConsole, PacksRgbInto565KeepingHighBits) {
    const FramebufferInfo info = rgb565(640, 480, 1280);
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0xFF, 0x00, 0x00}), 0xF800u);
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0x00, 0xFF, 0x00}), 0x07E0u);
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0x00, 0x00, 0xFF}), 0x001Fu);
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0xFF, 0xFF, 0xFF}), 0xFFFFu);
    // 0x84 = 1000 0100: red keeps 10000, green 100001, blue 10000.
    EXPECT_EQ(drivers::pack_rgb(info, Rgb{0x84, 0x84, 0x84}), (0x10u << 11) | (0x21u << 5) | 0x10u);
}

// --- attaching ---------------------------------------------------------------

TEST(FbConsole, InitClearsToBackgroundAndSizesTheGrid) {
    TestFramebuffer fb(xrgb8888(640, 480, 640 * 4 + 64));
    FbConsole console;
    EXPECT_FALSE(console.ready());
    console.set_colors(kFg, kBg);
    ASSERT_TRUE(console.init(fb.info()).ok());
    EXPECT_TRUE(console.ready());
    EXPECT_EQ(console.columns(), 80u);
    EXPECT_EQ(console.rows(), 30u);
    EXPECT_EQ(console.cursor_column(), 0u);
    EXPECT_EQ(console.cursor_row(), 0u);
    EXPECT_TRUE(fb.pixel_rows_are(0, 480, kBg));
    EXPECT_TRUE(fb.padding_untouched());
}

TEST(FbConsole, GridCountsOnlyWholeCells) {
    TestFramebuffer fb(xrgb8888(100, 50, 400));  // 12.5 x 3.125 cells
    FbConsole console;
    ASSERT_TRUE(console.init(fb.info()).ok());
    EXPECT_EQ(console.columns(), 12u);
    EXPECT_EQ(console.rows(), 3u);
}

TEST(FbConsole, InitRejectsUnusableDescriptions) {
    std::vector<uint8_t> memory(640 * 480 * 4);
    auto valid = [&] {
        FramebufferInfo info = xrgb8888(640, 480, 2560);
        info.base = memory.data();
        return info;
    };
    auto rejected = [](const FramebufferInfo& info) {
        FbConsole console;
        k::Result<void> result = console.init(info);
        return !result.ok() && result.error() == k::Errno::einval && !console.ready();
    };
    {
        FbConsole console;
        ASSERT_TRUE(console.init(valid()).ok());
    }
    FramebufferInfo info = valid();
    info.base = nullptr;
    EXPECT_TRUE(rejected(info)) << "no base";
    info = valid();
    info.bits_per_pixel = 8;
    EXPECT_TRUE(rejected(info)) << "8 bpp is indexed colour";
    info = valid();
    info.pitch = 640 * 4 - 1;
    EXPECT_TRUE(rejected(info)) << "pitch shorter than a row";
    info = valid();
    info.width = 7;
    EXPECT_TRUE(rejected(info)) << "narrower than one cell";
    info = valid();
    info.height = 15;
    EXPECT_TRUE(rejected(info)) << "shorter than one cell";
    info = valid();
    info.red_shift = 28;
    EXPECT_TRUE(rejected(info)) << "red field past bit 31";
    info = valid();
    info.green_bits = 0;
    EXPECT_TRUE(rejected(info)) << "empty green field";
    info = rgb565(640, 480, 1280);
    info.base = memory.data();
    info.red_shift = 12;
    EXPECT_TRUE(rejected(info)) << "565 red field past bit 15";
}

TEST(FbConsole, UnattachedConsoleIgnoresWrites) {
    FbConsole console;
    write(console, "hello\n");
    console.put_char('x');
    console.clear();
    EXPECT_FALSE(console.ready());
    EXPECT_EQ(console.cursor_column(), 0u);
    EXPECT_EQ(console.cursor_row(), 0u);
}

// --- glyphs and colours ---------------------------------------------------------

// Renders 'A' at (0, 0) and 'g' at (2, 1) and checks every pixel of both
// cells and of the cells around them.
void expect_glyphs_drawn(const FramebufferInfo& format) {
    TestFramebuffer fb(format);
    FbConsole console;
    console.set_colors(kFg, kBg);
    ASSERT_TRUE(console.init(fb.info()).ok());
    write(console, "A");
    console.set_cursor(2, 1);
    write(console, "g");
    EXPECT_TRUE(fb.cell_shows(0, 0, 'A', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(2, 1, 'g', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(1, 0, ' ', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(1, 1, ' ', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(3, 1, ' ', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(2, 0, ' ', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(2, 2, ' ', kFg, kBg));
    EXPECT_TRUE(fb.padding_untouched());
    // The foreground really differs from the background in this format, so
    // the checks above could tell a lit pixel from an unlit one.
    EXPECT_NE(fb.packed(kFg), fb.packed(kBg));
}

TEST(FbConsole, DrawsGlyphsIn32Bpp) { expect_glyphs_drawn(xrgb8888(64, 64, 64 * 4 + 12)); }
TEST(FbConsole, DrawsGlyphsIn24Bpp) { expect_glyphs_drawn(rgb888(64, 64, 64 * 3 + 5)); }
TEST(FbConsole, DrawsGlyphsIn16Bpp565) { expect_glyphs_drawn(rgb565(64, 64, 64 * 2 + 6)); }

TEST(FbConsole, Draws565PixelValuesExactly) {
    TestFramebuffer fb(rgb565(32, 32, 64));
    FbConsole console;
    console.set_colors(Rgb{0xFF, 0x00, 0x00}, Rgb{0x00, 0x00, 0xFF});
    ASSERT_TRUE(console.init(fb.info()).ok());
    write(console, "L");
    // 'L' has its stem in the two left columns from row 3 to the baseline.
    EXPECT_EQ(fb.pixel(0, 5), 0xF800u);
    EXPECT_EQ(fb.pixel(1, 5), 0xF800u);
    EXPECT_EQ(fb.pixel(2, 5), 0x001Fu);
    EXPECT_EQ(fb.pixel(0, 0), 0x001Fu);
    EXPECT_EQ(fb.pixel(6, 12), 0xF800u);  // end of the foot
    EXPECT_EQ(fb.pixel(7, 12), 0x001Fu);
}

TEST(FbConsole, ColoursApplyToLaterTextOnly) {
    TestFramebuffer fb(xrgb8888(64, 32, 256));
    FbConsole console;
    console.set_colors(kFg, kBg);
    ASSERT_TRUE(console.init(fb.info()).ok());
    write(console, "W");
    console.set_colors(drivers::kColorError, drivers::kColorBlack);
    write(console, "E");
    EXPECT_TRUE(fb.cell_shows(0, 0, 'W', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(1, 0, 'E', drivers::kColorError, drivers::kColorBlack));
}

TEST(FbConsole, LogLevelColoursAreDistinct) {
    const Rgb levels[] = {drivers::kColorInfo, drivers::kColorWarn, drivers::kColorError, drivers::kColorDebug,
                          drivers::kColorBanner};
    const FramebufferInfo info = rgb565(640, 480, 1280);  // the coarsest format
    for (size_t i = 0; i < std::size(levels); ++i) {
        EXPECT_NE(drivers::pack_rgb(info, levels[i]), drivers::pack_rgb(info, drivers::kColorBlack)) << i;
        for (size_t j = i + 1; j < std::size(levels); ++j) {
            EXPECT_NE(drivers::pack_rgb(info, levels[i]), drivers::pack_rgb(info, levels[j])) << i << " " << j;
        }
    }
}

TEST(FbConsole, CharactersOutsideTheFontDrawTheBox) {
    TestFramebuffer fb(xrgb8888(64, 32, 256));
    FbConsole console;
    console.set_colors(kFg, kBg);
    ASSERT_TRUE(console.init(fb.info()).ok());
    write(console, std::string("\x01\x7f\xff\0", 4));
    for (uint32_t column = 0; column < 4; ++column) {
        EXPECT_TRUE(fb.cell_shows(column, 0, drivers::font_replacement_glyph(), kFg, kBg)) << column;
    }
    EXPECT_EQ(console.cursor_column(), 4u);
}

// --- cursor movement --------------------------------------------------------------

class FbConsoleText : public ::testing::Test {
protected:
    // 10 columns x 4 rows, with pitch padding.
    FbConsoleText() : fb_(xrgb8888(10 * kFontWidth + 3, 4 * kFontHeight, (10 * kFontWidth + 3) * 4 + 8)) {
        console_.set_colors(kFg, kBg);
        EXPECT_TRUE(console_.init(fb_.info()).ok());
    }

    ::testing::AssertionResult shows(uint32_t column, uint32_t row, char c) const {
        return fb_.cell_shows(column, row, c, kFg, kBg);
    }
    // Row `row` reads `text`, blanks after it.
    ::testing::AssertionResult row_reads(uint32_t row, const std::string& text) const {
        for (uint32_t column = 0; column < console_.columns(); ++column) {
            const char want = column < text.size() ? text[column] : ' ';
            ::testing::AssertionResult result = shows(column, row, want);
            if (!result) return result;
        }
        return ::testing::AssertionSuccess();
    }

    TestFramebuffer fb_;
    FbConsole console_;
};

TEST_F(FbConsoleText, NewlineStartsTheNextLine) {
    write(console_, "ab\ncd");
    EXPECT_TRUE(row_reads(0, "ab"));
    EXPECT_TRUE(row_reads(1, "cd"));
    EXPECT_EQ(console_.cursor_column(), 2u);
    EXPECT_EQ(console_.cursor_row(), 1u);
}

TEST_F(FbConsoleText, CarriageReturnOverwritesFromColumnZero) {
    write(console_, "abc\rX");
    EXPECT_TRUE(row_reads(0, "Xbc"));
    EXPECT_EQ(console_.cursor_column(), 1u);
    EXPECT_EQ(console_.cursor_row(), 0u);
}

TEST_F(FbConsoleText, TabMovesToTheNextMultipleOfEight) {
    write(console_, "\t");
    EXPECT_EQ(console_.cursor_column(), 8u);
    write(console_, "\r");
    write(console_, "a\tb");
    EXPECT_EQ(console_.cursor_column(), 9u);
    EXPECT_TRUE(shows(8, 0, 'b'));
    EXPECT_TRUE(shows(1, 0, ' ')) << "a tab does not draw";
    write(console_, "\n1234567\tx");
    EXPECT_EQ(console_.cursor_row(), 1u);
    EXPECT_EQ(console_.cursor_column(), 9u);
    EXPECT_TRUE(shows(8, 1, 'x'));
}

TEST_F(FbConsoleText, TabPastTheLastStopWrapsWithTheNextCharacter) {
    write(console_, "abcdefghi\t");  // column 9: the next stop (16) is off the 10-column line
    EXPECT_EQ(console_.cursor_column(), 10u);
    EXPECT_EQ(console_.cursor_row(), 0u);
    write(console_, "z");
    EXPECT_TRUE(shows(0, 1, 'z'));
    EXPECT_EQ(console_.cursor_column(), 1u);
    EXPECT_EQ(console_.cursor_row(), 1u);
}

TEST_F(FbConsoleText, BackspaceMovesLeftWithoutErasing) {
    write(console_, "ab\b");
    EXPECT_EQ(console_.cursor_column(), 1u);
    EXPECT_TRUE(row_reads(0, "ab"));
    write(console_, "X");
    EXPECT_TRUE(row_reads(0, "aX"));
    write(console_, "\b\b\b\b");  // stops at column 0
    EXPECT_EQ(console_.cursor_column(), 0u);
    EXPECT_EQ(console_.cursor_row(), 0u);
    write(console_, "\b \b");  // the usual rub-out, at column 0 overwrites in place
    EXPECT_TRUE(row_reads(0, " X"));
}

TEST_F(FbConsoleText, LongLinesWrap) {
    write(console_, "0123456789ABC");
    EXPECT_TRUE(row_reads(0, "0123456789"));
    EXPECT_TRUE(row_reads(1, "ABC"));
    EXPECT_EQ(console_.cursor_column(), 3u);
    EXPECT_EQ(console_.cursor_row(), 1u);
}

TEST_F(FbConsoleText, FullLineThenNewlineLeavesNoEmptyLine) {
    write(console_, "0123456789");
    EXPECT_EQ(console_.cursor_column(), 10u);  // pending wrap
    EXPECT_EQ(console_.cursor_row(), 0u);
    write(console_, "\nnext");
    EXPECT_TRUE(row_reads(0, "0123456789"));
    EXPECT_TRUE(row_reads(1, "next"));
    EXPECT_EQ(console_.cursor_row(), 1u);
}

TEST_F(FbConsoleText, SetCursorClampsToTheGrid) {
    console_.set_cursor(100, 100);
    EXPECT_EQ(console_.cursor_column(), 9u);
    EXPECT_EQ(console_.cursor_row(), 3u);
    write(console_, "Z");
    EXPECT_TRUE(shows(9, 3, 'Z'));
}

// --- scrolling -------------------------------------------------------------------

TEST_F(FbConsoleText, ScrollMovesEachTextRowUpAndClearsTheLast) {
    write(console_, "row0\nrow1\nrow2\nrow3");
    EXPECT_EQ(console_.cursor_row(), 3u);
    const std::vector<uint8_t> old_row1 = fb_.pixel_rows(1 * kFontHeight, kFontHeight);
    const std::vector<uint8_t> old_rows1to3 = fb_.pixel_rows(1 * kFontHeight, 3 * kFontHeight);

    write(console_, "\n");

    EXPECT_EQ(fb_.pixel_rows(0, kFontHeight), old_row1) << "row 1 did not move to row 0";
    EXPECT_EQ(fb_.pixel_rows(0, 3 * kFontHeight), old_rows1to3);
    EXPECT_TRUE(fb_.pixel_rows_are(3 * kFontHeight, kFontHeight, kBg)) << "last row not cleared";
    EXPECT_EQ(console_.cursor_column(), 0u);
    EXPECT_EQ(console_.cursor_row(), 3u);
    EXPECT_TRUE(fb_.padding_untouched());

    write(console_, "new");
    EXPECT_TRUE(row_reads(0, "row1"));
    EXPECT_TRUE(row_reads(2, "row3"));
    EXPECT_TRUE(row_reads(3, "new"));
}

TEST_F(FbConsoleText, WrappingOnTheLastRowScrolls) {
    write(console_, "a\nb\nc\n0123456789xy");
    EXPECT_TRUE(row_reads(0, "b"));
    EXPECT_TRUE(row_reads(1, "c"));
    EXPECT_TRUE(row_reads(2, "0123456789"));
    EXPECT_TRUE(row_reads(3, "xy"));
    EXPECT_EQ(console_.cursor_column(), 2u);
    EXPECT_EQ(console_.cursor_row(), 3u);
}

TEST_F(FbConsoleText, ManyLinesKeepOnlyTheLastScreenful) {
    for (int i = 0; i < 50; ++i) write(console_, "line " + std::to_string(i) + "\n");
    EXPECT_TRUE(row_reads(0, "line 47"));
    EXPECT_TRUE(row_reads(1, "line 48"));
    EXPECT_TRUE(row_reads(2, "line 49"));
    EXPECT_TRUE(row_reads(3, ""));
    EXPECT_TRUE(fb_.padding_untouched());
}

TEST(FbConsole, ScrollLeavesTheStripBelowTheGridAlone) {
    // 40 pixels high: two text rows and an 8-pixel strip that holds no text.
    TestFramebuffer fb(rgb565(32, 40, 64));
    FbConsole console;
    console.set_colors(kFg, kBg);
    ASSERT_TRUE(console.init(fb.info()).ok());
    EXPECT_EQ(console.rows(), 2u);
    EXPECT_TRUE(fb.pixel_rows_are(32, 8, kBg)) << "init clears the strip too";
    write(console, "AAAA\nBBBB\nCCCC");
    EXPECT_TRUE(fb.cell_shows(0, 0, 'B', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(0, 1, 'C', kFg, kBg));
    EXPECT_TRUE(fb.pixel_rows_are(32, 8, kBg));
}

TEST(FbConsole, SingleRowConsoleScrollsByClearing) {
    TestFramebuffer fb(rgb888(24, 16, 72));
    FbConsole console;
    console.set_colors(kFg, kBg);
    ASSERT_TRUE(console.init(fb.info()).ok());
    write(console, "abc\nd");
    EXPECT_TRUE(fb.cell_shows(0, 0, 'd', kFg, kBg));
    EXPECT_TRUE(fb.cell_shows(1, 0, ' ', kFg, kBg));
    EXPECT_EQ(console.cursor_row(), 0u);
}

}  // namespace
