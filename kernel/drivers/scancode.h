#pragma once
// PS/2 keyboard scancodes to ASCII, US layout. Portable (host-tested).
//
// A PS/2 keyboard speaks "scancode set 2" by default; the 8042 controller
// usually translates that into the older "set 1" of the IBM PC/XT before
// the CPU sees it (its configuration byte says whether it does). Both sets
// encode a key press and a key release per key:
//
//            press           release           extended key (e.g. right Ctrl)
//   set 1    make            make | 0x80       E0 make / E0 (make | 0x80)
//   set 2    make            F0 make           E0 make / E0 F0 make
//
// The decoder turns set 2 into set 1 with the same table the 8042 uses, so
// one key table (indexed by set 1 make codes) serves both. It keeps the
// modifier state (Shift, Ctrl, Caps Lock, Num Lock) and yields at most one
// ASCII byte per input byte: printable characters, '\n' for Enter, 0x08 for
// Backspace, '\t', 0x1b for Escape, and Ctrl+letter as control codes 1-26.
// Keys without an ASCII meaning (arrows, F-keys, ...) and every release
// produce nothing. Any byte sequence is safe: unknown codes are ignored.
#include <stdint.h>

namespace drivers {

enum class ScancodeSet : uint8_t { Set1, Set2 };

class ScancodeDecoder {
public:
    explicit constexpr ScancodeDecoder(ScancodeSet set) : set_(set) {}

    // Feeds one byte from the keyboard. Returns true and sets `ascii` when
    // the byte completes a key press that means a character.
    bool feed(uint8_t byte, char& ascii);

    ScancodeSet set() const { return set_; }
    bool shift() const { return left_shift_ || right_shift_; }
    bool ctrl() const { return left_ctrl_ || right_ctrl_; }
    bool caps_lock() const { return caps_lock_; }
    bool num_lock() const { return num_lock_; }

private:
    // A complete key event: the set 1 make code, whether it had the E0
    // prefix, and press or release.
    bool key_event(uint8_t code, bool extended, bool released, char& ascii);

    ScancodeSet set_;
    bool extended_ = false;   // saw E0
    bool releasing_ = false;  // saw F0 (set 2 only)
    uint8_t skip_ = 0;        // bytes of the Pause key's E1 sequence still to swallow
    bool left_shift_ = false;
    bool right_shift_ = false;
    bool left_ctrl_ = false;
    bool right_ctrl_ = false;
    bool caps_lock_ = false;
    bool num_lock_ = false;
    bool caps_lock_held_ = false;  // a held key repeats its make code
    bool num_lock_held_ = false;
};

// The set 2 → set 1 make-code translation of the 8042 (0 = no such key).
uint8_t set2_to_set1(uint8_t set2_code);

}  // namespace drivers
