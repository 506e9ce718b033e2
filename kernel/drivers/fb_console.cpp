// The framebuffer text console: glyphs from font8x16 drawn into a linear
// framebuffer, one character cell of kFontWidth x kFontHeight pixels each.
#include "kernel/drivers/fb_console.h"

#include "kernel/drivers/font8x16.h"
#include "libk/string.h"

namespace drivers {
namespace {

// A channel must lie wholly inside the pixel, or packing would spill into
// the next pixel's bytes (or shift past 32 bits).
bool field_fits(uint8_t shift, uint8_t bits, uint8_t bits_per_pixel) {
    return bits > 0 && uint32_t{shift} + bits <= bits_per_pixel;
}

void pixel_bytes(uint32_t pixel, uint8_t (&bytes)[4]) {
    for (uint32_t i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(pixel >> (8 * i));
}

// One glyph row is built in a small local buffer and stored with a single
// memcpy: the framebuffer is usually mapped write-combining, where a burst of
// consecutive stores is much cheaper than scattered ones, and memcpy does
// not care how the caller's buffer is aligned. kBytes is a template
// parameter so each depth gets its own loop with a constant copy size.
template <uint32_t kBytes>
void draw_glyph_pixels(uint8_t* cell, uint32_t pitch, const uint8_t* glyph, const uint8_t* foreground,
                       const uint8_t* background) {
    for (uint32_t y = 0; y < kFontHeight; ++y) {
        uint8_t line[kFontWidth * kBytes];
        const uint8_t bits = glyph[y];
        for (uint32_t x = 0; x < kFontWidth; ++x) {
            const uint8_t* source = (bits & (0x80u >> x)) ? foreground : background;
            for (uint32_t b = 0; b < kBytes; ++b) line[x * kBytes + b] = source[b];
        }
        memcpy(cell + static_cast<size_t>(y) * pitch, line, sizeof(line));
    }
}

}  // namespace

k::Result<void> FbConsole::init(const FramebufferInfo& fb) {
    const uint8_t bpp = fb.bits_per_pixel;
    if (fb.base == nullptr) return k::error(k::Errno::einval);
    if (bpp != 16 && bpp != 24 && bpp != 32) return k::error(k::Errno::einval);
    if (!field_fits(fb.red_shift, fb.red_bits, bpp) || !field_fits(fb.green_shift, fb.green_bits, bpp) ||
        !field_fits(fb.blue_shift, fb.blue_bits, bpp)) {
        return k::error(k::Errno::einval);
    }
    if (fb.width < kFontWidth || fb.height < kFontHeight) return k::error(k::Errno::einval);
    // 64-bit product: width * 4 can overflow 32 bits for a bogus width.
    if (static_cast<uint64_t>(fb.width) * (bpp / 8) > fb.pitch) return k::error(k::Errno::einval);

    info_ = fb;
    base_ = fb.base;
    bytes_per_pixel_ = bpp / 8;
    columns_ = fb.width / kFontWidth;
    rows_ = fb.height / kFontHeight;
    set_colors(foreground_, background_);
    clear();
    return {};
}

void FbConsole::set_colors(Rgb foreground, Rgb background) {
    foreground_ = foreground;
    background_ = background;
    pixel_bytes(pack_rgb(info_, foreground), foreground_pixel_);
    pixel_bytes(pack_rgb(info_, background), background_pixel_);
}

void FbConsole::clear() {
    if (!ready()) return;
    // The whole height, including the strip below the last full text row
    // when the height is not a multiple of kFontHeight.
    fill_pixel_rows(0, info_.height);
    column_ = 0;
    row_ = 0;
}

void FbConsole::set_cursor(uint32_t column, uint32_t row) {
    if (!ready()) return;
    column_ = column < columns_ ? column : columns_ - 1;
    row_ = row < rows_ ? row : rows_ - 1;
}

void FbConsole::write(const char* text, size_t n) {
    if (!ready() || text == nullptr) return;
    for (size_t i = 0; i < n; ++i) put_char(text[i]);
}

void FbConsole::put_char(char c) {
    if (!ready()) return;
    switch (c) {
    case '\n':
        column_ = 0;
        new_line();
        return;
    case '\r':
        column_ = 0;
        return;
    case '\t': {
        // From a pending wrap (column_ == columns_) this stays put: the tab
        // stop is past the end of the line either way.
        const uint32_t next_stop = (column_ / kTabWidth + 1) * kTabWidth;
        column_ = next_stop < columns_ ? next_stop : columns_;
        return;
    }
    case '\b':
        if (column_ > 0) --column_;
        return;
    default:
        break;
    }
    if (column_ >= columns_) {  // the pending wrap from the previous character
        column_ = 0;
        new_line();
    }
    draw_glyph(column_, row_, font_glyph(c));
    ++column_;
}

void FbConsole::draw_glyph(uint32_t column, uint32_t row, const uint8_t* glyph) {
    uint8_t* cell = base_ + static_cast<size_t>(row) * kFontHeight * info_.pitch +
                    static_cast<size_t>(column) * kFontWidth * bytes_per_pixel_;
    switch (bytes_per_pixel_) {
    case 4:
        draw_glyph_pixels<4>(cell, info_.pitch, glyph, foreground_pixel_, background_pixel_);
        break;
    case 3:
        draw_glyph_pixels<3>(cell, info_.pitch, glyph, foreground_pixel_, background_pixel_);
        break;
    case 2:
        draw_glyph_pixels<2>(cell, info_.pitch, glyph, foreground_pixel_, background_pixel_);
        break;
    default:
        break;  // init() accepts no other depth
    }
}

void FbConsole::fill_pixel_rows(uint32_t first_y, uint32_t count) {
    // A run of background pixels, copied along each row in as few memcpys as
    // it takes; 16 pixels of at most 4 bytes.
    constexpr uint32_t kRunPixels = 16;
    uint8_t run[kRunPixels * 4];
    for (uint32_t i = 0; i < kRunPixels; ++i) {
        for (uint32_t b = 0; b < bytes_per_pixel_; ++b) run[i * bytes_per_pixel_ + b] = background_pixel_[b];
    }
    const size_t run_bytes = static_cast<size_t>(kRunPixels) * bytes_per_pixel_;
    const size_t row_bytes = static_cast<size_t>(info_.width) * bytes_per_pixel_;
    for (uint32_t y = first_y; y < first_y + count; ++y) {
        // Only the visible width: the padding between width and pitch is
        // never seen, and the last row may not have any.
        uint8_t* line = base_ + static_cast<size_t>(y) * info_.pitch;
        size_t done = 0;
        for (; done + run_bytes <= row_bytes; done += run_bytes) memcpy(line + done, run, run_bytes);
        memcpy(line + done, run, row_bytes - done);
    }
}

void FbConsole::new_line() {
    if (row_ + 1 < rows_) {
        ++row_;
    } else {
        scroll_up();
    }
}

void FbConsole::scroll_up() {
    // Text rows 1..rows_-1 are one contiguous block of pixel rows, so moving
    // them up a text row is a single (overlapping, hence memmove) copy; the
    // freed bottom text row is then cleared. The copy stops at the last
    // visible pixel, not at the end of that row's pitch: after the last pixel
    // row of the screen there may be no padding to read. Pixel rows below the
    // last full text row are left alone.
    if (rows_ > 1) {
        const size_t text_row_bytes = static_cast<size_t>(info_.pitch) * kFontHeight;
        const size_t padding = info_.pitch - static_cast<size_t>(info_.width) * bytes_per_pixel_;
        memmove(base_, base_ + text_row_bytes, text_row_bytes * (rows_ - 1) - padding);
    }
    fill_pixel_rows((rows_ - 1) * kFontHeight, kFontHeight);
}

}  // namespace drivers
