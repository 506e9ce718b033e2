#pragma once
// The console's line discipline in canonical mode: the line editor that sits
// between the keyboard (or serial port) and a process reading the terminal.
// Portable (host-tested); no locking here, the console wraps every call in
// its own lock.
//
// It behaves like Linux's N_TTY with the default termios flags a shell sees
// (ICANON | ECHO | ECHOE | ECHOK | ECHOKE | ECHOCTL | ISIG | ICRNL | IUTF8),
// simplified. termios(3), "Canonical and noncanonical mode":
//
//   * Input is made available line by line. A line is complete when a line
//     delimiter is typed: NL ('\n'), or EOF (Ctrl-D) at any position. The
//     newline is part of the line; the EOF character is not.
//   * Line editing is enabled: ERASE (Backspace) deletes the last character,
//     KILL (Ctrl-U) the whole line being typed.
//   * A read returns at most one line. If it asks for fewer bytes than the
//     line has, it gets the start of the line and the rest stays for the next
//     read.
//   * The maximum line length is 4096 bytes including the delimiter. Input
//     after 4095 characters, up to the terminating newline, is discarded
//     (editing and signal characters still work), so the terminal can always
//     take the newline that makes the line readable.
//
// Two fixed-size buffers, nothing allocated:
//
//   keyboard ──feed()──► edit buffer (the line being typed, ≤ 4095 bytes)
//                            │ '\n' or Ctrl-D
//                            ▼
//                        ready ring (completed lines, 4096 bytes) ──read()──► reader
//
// Characters (after ICRNL turns '\r' into '\n'):
//
//   '\n'            completes the line (newline included), echoed.
//   0x7f, 0x08      ERASE: deletes the last character (a whole UTF-8 sequence,
//                   IUTF8), echoing "\b \b" per column it took. Nothing at the
//                   start of the line.
//   0x15 (Ctrl-U)   KILL: erases the whole line, character by character (ECHOKE).
//   0x03 (Ctrl-C)   INTR: flushes the input, echoes "^C\n", returns Interrupt;
//                   the kernel sends SIGINT to the foreground process group.
//   0x1c (Ctrl-\)   QUIT: the same with "^\\\n" and Quit (SIGQUIT).
//   0x04 (Ctrl-D)   EOF: completes the line without a newline and without an
//                   echo. On an empty line the next read() returns 0, which
//                   programs take as end of file.
//   0x1a (Ctrl-Z)   SUSP: ignored (no job control yet).
//   '\t', printable and bytes ≥ 0x80 (UTF-8): stored and echoed as they are.
//   any other control character: stored and echoed as ^X (ECHOCTL).
//
// Differences from Linux worth knowing:
//   * Linux echoes just "^C" and leaves the newline to the shell; this kernel
//     echoes "^C\n" so the interrupted line is visibly over.
//   * Linux keeps input it has no room for in the driver (flow control) until
//     a reader makes room; here a byte that does not fit is dropped, counted,
//     and answered with a bell (BEL, as the "excess characters will be
//     beeped" of Linux's n_tty.c and older Linuxes did).
//   * Erasing a tab moves back to the previous tab stop counted from where the
//     line began, as if the line began on a tab stop: Linux knows the column
//     the prompt left the cursor at, this code does not see the output.
//   * No WERASE (Ctrl-W), REPRINT (Ctrl-R), LNEXT (Ctrl-V) or flow control
//     (Ctrl-S/Ctrl-Q): those are stored as ordinary control characters.
#include <stddef.h>
#include <stdint.h>

namespace drivers {

// Where echoed input goes (the console's output).
class EchoSink {
public:
    virtual void echo(const char* s, size_t n) = 0;

protected:
    // Never deleted through this interface, so no virtual destructor (which
    // would drag operator delete into the freestanding kernel).
    ~EchoSink() = default;
};

// What the caller of feed() has to do next.
enum class InputResult : uint8_t {
    None,       // nothing (the byte was stored, edited the line, or was dropped)
    Readable,   // a line or an EOF became readable: wake the readers
    Interrupt,  // Ctrl-C: send SIGINT to the foreground process group
    Quit,       // Ctrl-\: send SIGQUIT to the foreground process group
};

class LineDiscipline {
public:
    // Linux's N_TTY_BUF_SIZE: a line and its delimiter fit exactly.
    static constexpr size_t kReadyCapacity = 4096;
    static constexpr size_t kMaxLineLength = kReadyCapacity - 1;

    // The special characters, fixed here (termios c_cc[] defaults).
    static constexpr char kErase = 0x7f;      // VERASE (DEL, what most terminals send for Backspace)
    static constexpr char kBackspace = 0x08;  // BS, what a PC keyboard's decoder yields; also erases
    static constexpr char kKill = 0x15;       // VKILL, Ctrl-U
    static constexpr char kIntr = 0x03;       // VINTR, Ctrl-C
    static constexpr char kQuit = 0x1c;       // VQUIT, Ctrl-backslash
    static constexpr char kEof = 0x04;        // VEOF, Ctrl-D
    static constexpr char kSusp = 0x1a;       // VSUSP, Ctrl-Z

    constexpr LineDiscipline() = default;
    LineDiscipline(const LineDiscipline&) = delete;
    LineDiscipline& operator=(const LineDiscipline&) = delete;

    // Processes one typed byte, echoing through `echo`.
    InputResult feed(char c, EchoSink& echo);

    // True when read() has something to return: a complete line or an EOF.
    bool readable() const { return lines_ > 0; }

    // Takes the oldest complete line, or its start if it is longer than
    // `max`. Returns the number of bytes copied; 0 means end of file (the EOF
    // marker of a Ctrl-D on an empty line, consumed by this call). A line
    // ended by Ctrl-D is returned without a delimiter; when its last bytes are
    // returned, the EOF marker goes with them (so "abc" Ctrl-D reads as 3
    // bytes, not 3 and then 0). Call only when readable() (the caller sleeps
    // until then); with max == 0 it returns 0 and takes nothing, like
    // read(2) with a count of 0.
    size_t read(char* out, size_t max);

    // Throws away the line being typed and every unread line (tcflush(fd,
    // TCIFLUSH); also what Ctrl-C and Ctrl-\ do).
    void flush();

    // Bytes in the line being typed; bytes (delimiters included) waiting in
    // the ready ring; bytes dropped because they did not fit.
    size_t line_length() const { return line_length_; }
    size_t ready_bytes() const { return ready_tail_ - ready_head_; }
    uint64_t dropped() const { return dropped_; }

private:
    // The EOF marker stored in the ready ring at the end of a line ended by
    // Ctrl-D (Linux stores __DISABLED_CHAR there and skips it when copying).
    // Neither it nor '\n' can be part of a line's text (both always end a
    // line), so either byte in the ring marks the end of a line.
    static constexpr char kEofMarker = kEof;

    void store(char c, EchoSink& echo);
    InputResult complete_line(char delimiter, EchoSink& echo);
    void erase_one(EchoSink& echo);
    InputResult signal(InputResult result, const char* echo_text, size_t echo_length, EchoSink& echo);
    void drop(EchoSink& echo);
    // Screen columns the first `end` bytes of the line take on screen,
    // counted as if the line began at column 0 (a tab stop).
    size_t columns_before(size_t end) const;
    size_t ready_free() const { return kReadyCapacity - ready_bytes(); }
    void push_ready(char c);

    char edit_[kMaxLineLength] = {};
    size_t line_length_ = 0;

    char ready_[kReadyCapacity] = {};
    uint32_t ready_head_ = 0;  // next byte to read; both indices only grow, taken % kReadyCapacity
    uint32_t ready_tail_ = 0;  // next byte to fill
    size_t lines_ = 0;         // complete lines (delimiters) in the ring

    uint64_t dropped_ = 0;
};

}  // namespace drivers
