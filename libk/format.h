#pragma once
// printf-style formatting for a kernel with no C library and no FPU use.
//
// Supported: %d %i %u %x %X %o %c %s %p %%, the flags - 0 + space #, a
// width and a precision (either may be '*'), and the length modifiers
// hh h l ll z j t. They mean what C17 7.21.6.1 says, with three kernel
// choices:
//   - %p prints "0x" and exactly 16 hex digits, so addresses line up in logs;
//   - %s with a null pointer prints "(null)" (cut by a precision like any string);
//   - anything else after '%' (%f, %n, %q, a '%' at the very end) is copied to
//     the output verbatim instead of being interpreted: a typo in a panic
//     message must not crash the panic. Floating point is deliberately absent:
//     the kernel is built without SSE and must not touch FPU state.
#include <stdarg.h>
#include <stddef.h>

namespace k {

// Where formatted text goes: the serial port, the framebuffer console, a
// fixed buffer. The formatter hands over text in small chunks (it buffers a
// few dozen bytes on the stack), so a sink may be slow per call but is not
// called once per character.
class FormatSink {
public:
    virtual void write(const char* text, size_t length) = 0;

protected:
    // Sinks are never deleted through a FormatSink*, so no virtual destructor
    // (which would drag operator delete into the freestanding kernel).
    ~FormatSink() = default;
};

void vformat(FormatSink& sink, const char* format_string, va_list args) __attribute__((format(printf, 2, 0)));
void format(FormatSink& sink, const char* format_string, ...) __attribute__((format(printf, 2, 3)));

// C's snprintf semantics: writes at most size - 1 characters and a NUL
// (nothing at all when size is 0, where buffer may be null) and returns the
// length the whole output would have had, so `n >= size` means "truncated".
// A length above INT_MAX is reported as INT_MAX.
int vsnprintf(char* buffer, size_t size, const char* format_string, va_list args) __attribute__((format(printf, 3, 0)));
int snprintf(char* buffer, size_t size, const char* format_string, ...) __attribute__((format(printf, 3, 4)));

}  // namespace k
