#pragma once
// A text console on a linear framebuffer: the screen the kernel log appears
// on when the firmware (through GRUB's Multiboot2 framebuffer tag) gives us
// pixels rather than VGA text mode.
//
// The console only writes to memory it is handed, so it runs unchanged in
// the host tests, drawing into an ordinary buffer. It takes no locks: the
// caller (the kernel log) serialises writers.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

namespace drivers {

// A colour as 8 bits per channel; packed into the framebuffer's own pixel
// format when it is drawn.
struct Rgb {
    uint8_t red;
    uint8_t green;
    uint8_t blue;
};

constexpr Rgb kColorBlack{0x00, 0x00, 0x00};
// Log levels, in the colours of the 16-colour PC palette so the screen reads
// like a classic console.
constexpr Rgb kColorInfo{0xAA, 0xAA, 0xAA};    // light grey
constexpr Rgb kColorWarn{0xFF, 0xFF, 0x55};    // yellow
constexpr Rgb kColorError{0xFF, 0x55, 0x55};   // light red
constexpr Rgb kColorDebug{0x55, 0x55, 0x55};   // dark grey: present but quiet
constexpr Rgb kColorBanner{0x55, 0xFF, 0xFF};  // cyan
constexpr Rgb kColorSuccess{0x55, 0xFF, 0x55}; // green

// Where the pixels are and how a pixel is laid out. Only direct-colour (RGB)
// framebuffers are described here: Multiboot2's framebuffer tag with
// framebuffer_type 1 (Multiboot2 specification, 3.6.12 "Framebuffer info").
struct FramebufferInfo {
    uint8_t* base = nullptr;     // virtual address of pixel (0, 0)
    uint32_t width = 0;          // visible pixels per row
    uint32_t height = 0;         // visible rows
    uint32_t pitch = 0;          // bytes from one row to the next (>= width * bytes per pixel)
    uint8_t bits_per_pixel = 0;  // 16, 24 or 32
    // Each channel occupies `bits` bits starting `shift` bits up from the
    // least significant bit of the little-endian pixel value. These are
    // Multiboot2's framebuffer_{red,green,blue}_field_position (shift) and
    // _mask_size (bits). Common layouts: 32 bpp XRGB is red 16/8, green 8/8,
    // blue 0/8; 16 bpp "565" is red 11/5, green 5/6, blue 0/5.
    uint8_t red_shift = 0;
    uint8_t red_bits = 0;
    uint8_t green_shift = 0;
    uint8_t green_bits = 0;
    uint8_t blue_shift = 0;
    uint8_t blue_bits = 0;
};

// The pixel value for `color` in fb's format. Each channel keeps its most
// significant bits: 0xFF becomes 0x1F in a 5-bit field.
constexpr uint32_t pack_rgb(const FramebufferInfo& fb, Rgb color) {
    auto field = [](uint8_t value, uint8_t bits, uint8_t shift) -> uint32_t {
        if (bits == 0 || shift >= 32) return 0;
        const uint32_t scaled = bits >= 8 ? uint32_t{value} << (bits - 8) : uint32_t{value} >> (8 - bits);
        return scaled << shift;
    };
    return field(color.red, fb.red_bits, fb.red_shift) | field(color.green, fb.green_bits, fb.green_shift) |
           field(color.blue, fb.blue_bits, fb.blue_shift);
}

class FbConsole {
public:
    static constexpr uint32_t kTabWidth = 8;

    // An unattached console ignores writes, so the kernel can log through it
    // before (or without) a framebuffer. Constant-initialised: a global
    // FbConsole needs no constructor to run.
    constexpr FbConsole() = default;
    FbConsole(const FbConsole&) = delete;
    FbConsole& operator=(const FbConsole&) = delete;

    // Attaches to a framebuffer, clears it to the background colour and puts
    // the cursor at the top left. EINVAL if the description is unusable (no
    // base, unsupported depth, a colour field outside the pixel, a pitch too
    // small, or less than one character cell); the console then stays
    // unattached.
    [[nodiscard]] k::Result<void> init(const FramebufferInfo& fb);
    bool ready() const { return base_ != nullptr; }

    // Colours for text written from now on; what is on screen keeps its own.
    void set_colors(Rgb foreground, Rgb background);

    // Fills the whole framebuffer with the background colour; cursor to (0, 0).
    void clear();

    // Draws n bytes of text. Understood: '\n' (to the start of the next line,
    // scrolling at the bottom), '\r' (to the start of this line), '\t' (to the
    // next multiple of kTabWidth), '\b' (one column left, not erasing: send
    // "\b \b" to rub a character out). Everything else is drawn with its
    // glyph, or the replacement box if the font has none.
    void write(const char* text, size_t n);
    void put_char(char c);

    // The text grid: whole character cells that fit on the screen.
    uint32_t columns() const { return columns_; }
    uint32_t rows() const { return rows_; }

    // Where the next character goes. cursor_column() == columns() means the
    // last line is full and the next printable character starts a new line
    // (a VT100's "pending wrap"), so a line of exactly columns() characters
    // followed by '\n' does not leave an empty line behind.
    uint32_t cursor_column() const { return column_; }
    uint32_t cursor_row() const { return row_; }
    // Moves the cursor, clamped to the grid.
    void set_cursor(uint32_t column, uint32_t row);

private:
    void draw_glyph(uint32_t column, uint32_t row, const uint8_t* glyph);
    void fill_pixel_rows(uint32_t first_y, uint32_t count);
    void new_line();
    void scroll_up();

    uint8_t* base_ = nullptr;  // nullptr while unattached
    FramebufferInfo info_{};
    uint32_t bytes_per_pixel_ = 0;
    uint32_t columns_ = 0;
    uint32_t rows_ = 0;
    uint32_t column_ = 0;
    uint32_t row_ = 0;
    Rgb foreground_ = kColorInfo;
    Rgb background_ = kColorBlack;
    // The two colours already packed into pixel bytes, lowest byte first (the
    // framebuffer is little-endian like the CPU), so drawing only copies.
    uint8_t foreground_pixel_[4] = {};
    uint8_t background_pixel_[4] = {};
};

}  // namespace drivers
