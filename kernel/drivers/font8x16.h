#pragma once
// The console font: one 8x16 bitmap per printable ASCII character.
//
// A glyph is 16 bytes, one per pixel row, row 0 at the top. In each byte
// bit 7 is the leftmost pixel and bit 0 the rightmost, so a row can be drawn
// by testing (row_bits & (0x80 >> x)) for x = 0..7. The glyphs themselves
// are drawn as ASCII art in font8x16.cpp; edit them there.
#include <stdint.h>

namespace drivers {

constexpr uint32_t kFontWidth = 8;    // pixels per glyph row (one byte)
constexpr uint32_t kFontHeight = 16;  // rows per glyph

// The characters that have their own glyph: printable ASCII, space to tilde.
constexpr unsigned char kFontFirstChar = 0x20;
constexpr unsigned char kFontLastChar = 0x7E;

// The kFontHeight row bytes of c's glyph. Anything outside
// kFontFirstChar..kFontLastChar (control characters, DEL, bytes >= 0x80 of
// UTF-8 text) gets the replacement box, so a stray byte shows up on screen
// instead of vanishing.
const uint8_t* font_glyph(char c);

// The box drawn for characters the font does not have.
const uint8_t* font_replacement_glyph();

}  // namespace drivers
