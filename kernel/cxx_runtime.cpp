// The few C++ and compiler runtime hooks a freestanding kernel must provide
// itself.
#include "kernel/panic.h"

extern "C" {

// Called through a vtable slot of a pure virtual function: only possible if
// an object is used during its construction or after its destruction.
[[noreturn]] void __cxa_pure_virtual() { kernel::panic("pure virtual function called"); }

}  // extern "C"

// 128-bit unsigned division, which clang lowers to a call into its runtime
// library (compiler-rt), absent in a freestanding kernel. Used rarely (clock
// calibration and conversions), so a plain shift-and-subtract long division
// is fast enough and obviously right.
extern "C" unsigned __int128 __udivti3(unsigned __int128 dividend, unsigned __int128 divisor) {
    if (divisor == 0) kernel::panic("128-bit division by zero");
    unsigned __int128 quotient = 0, remainder = 0;
    for (int bit = 127; bit >= 0; --bit) {
        remainder = (remainder << 1) | ((dividend >> bit) & 1);
        if (remainder >= divisor) {
            remainder -= divisor;
            quotient |= static_cast<unsigned __int128>(1) << bit;
        }
    }
    return quotient;
}
