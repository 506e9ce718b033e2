#include "kernel/drivers/line_discipline.h"

#include "libk/utility.h"
#include "libk/verify.h"

namespace drivers {

namespace {

// A control character for echo purposes: C0 codes. DEL (0x7f) never gets
// stored: it is the erase character.
bool is_control(char c) { return static_cast<unsigned char>(c) < 0x20; }

// The second and later bytes of a UTF-8 sequence (10xxxxxx). With IUTF8 an
// erase removes them together with the byte that starts the character.
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

}  // namespace

InputResult LineDiscipline::feed(char c, EchoSink& echo) {
    // ICRNL: a terminal's Enter key sends CR; readers expect NL.
    if (c == '\r') c = '\n';

    switch (c) {
    case '\n':
        return complete_line('\n', echo);
    case kEof:
        return complete_line(kEofMarker, echo);
    case kErase:
    case kBackspace:
        erase_one(echo);
        return InputResult::None;
    case kKill:
        // ECHOKE: erase the line on screen character by character, not the
        // old-fashioned "echo KILL, then a newline".
        while (line_length_ > 0) erase_one(echo);
        return InputResult::None;
    case kIntr:
        return signal(InputResult::Interrupt, "^C\n", 3, echo);
    case kQuit:
        return signal(InputResult::Quit, "^\\\n", 3, echo);
    case kSusp:
        // SIGTSTP needs job control, which this kernel does not have yet.
        return InputResult::None;
    default:
        store(c, echo);
        return InputResult::None;
    }
}

void LineDiscipline::store(char c, EchoSink& echo) {
    // Room for the byte in the line, and room in the ready ring for the line
    // with it and a delimiter after it: then the newline that completes the
    // line always fits, which is the point of N_TTY's 4095 limit. With the
    // ring empty the second test is the first one again; with lines waiting
    // unread, the line being typed gets what they leave (Linux keeps both in
    // one 4096-byte buffer).
    if (line_length_ >= kMaxLineLength || line_length_ + 2 > ready_free()) {
        drop(echo);
        return;
    }
    edit_[line_length_++] = c;

    if (is_control(c) && c != '\t') {
        // ECHOCTL: a control character shows as '^' and the character 0x40
        // above it (Ctrl-A as ^A, ESC as ^[).
        const char caret[2] = {'^', static_cast<char>(c ^ 0x40)};
        echo.echo(caret, 2);
    } else {
        echo.echo(&c, 1);
    }
}

InputResult LineDiscipline::complete_line(char delimiter, EchoSink& echo) {
    // store() keeps room for the delimiter of a non-empty line, so this fails
    // only for an empty line when unread lines fill the ring completely.
    if (line_length_ + 1 > ready_free()) {
        drop(echo);
        return InputResult::None;
    }
    for (size_t i = 0; i < line_length_; ++i) push_ready(edit_[i]);
    push_ready(delimiter);
    line_length_ = 0;
    ++lines_;
    // The EOF character is not echoed (Linux neither).
    if (delimiter == '\n') echo.echo("\n", 1);
    return InputResult::Readable;
}

void LineDiscipline::erase_one(EchoSink& echo) {
    // ERASE at the start of the line does nothing, on screen either: it must
    // not eat into the prompt.
    if (line_length_ == 0) return;

    // IUTF8: a multibyte character goes as a whole.
    size_t start = line_length_ - 1;
    while (start > 0 && is_continuation(edit_[start])) --start;
    const char first = edit_[start];
    line_length_ = start;

    if (first == '\t') {
        // A tab took the cursor to the next multiple of 8; going back there is
        // only backspaces (the tab wrote nothing on the screen to blank out).
        const size_t before = columns_before(start);
        const size_t after = (before | 7) + 1;
        for (size_t i = 0; i < after - before; ++i) echo.echo("\b", 1);
        return;
    }
    // ECHOE: back over the character, overwrite it with a space, back again.
    // A control character echoed as ^X took two columns.
    const size_t columns = is_control(first) ? 2 : 1;
    for (size_t i = 0; i < columns; ++i) echo.echo("\b \b", 3);
}

size_t LineDiscipline::columns_before(size_t end) const {
    size_t column = 0;
    for (size_t i = 0; i < end; ++i) {
        const char c = edit_[i];
        if (c == '\t')
            column = (column | 7) + 1;
        else if (is_control(c))
            column += 2;
        else if (!is_continuation(c))
            column += 1;
    }
    return column;
}

InputResult LineDiscipline::signal(InputResult result, const char* echo_text, size_t echo_length,
                                   EchoSink& echo) {
    // ISIG without NOFLSH: "flush the input and output queues when
    // generating signals" (termios(3)), so the interrupted program does not
    // find stale type-ahead when it next reads.
    flush();
    echo.echo(echo_text, echo_length);
    return result;
}

void LineDiscipline::drop(EchoSink& echo) {
    ++dropped_;
    echo.echo("\a", 1);
}

void LineDiscipline::push_ready(char c) {
    DEBUG_VERIFY(ready_free() > 0);
    ready_[ready_tail_ % kReadyCapacity] = c;
    ++ready_tail_;
}

size_t LineDiscipline::read(char* out, size_t max) {
    if (max == 0) return 0;
    VERIFY(readable());

    // The oldest line runs up to the first delimiter in the ring. A newline
    // belongs to the line; an EOF marker does not.
    size_t text = 0;
    char delimiter;
    for (;;) {
        VERIFY(text < ready_bytes());
        delimiter = ready_[(ready_head_ + text) % kReadyCapacity];
        if (delimiter == '\n' || delimiter == kEofMarker) break;
        ++text;
    }
    if (delimiter == '\n') ++text;

    // Canonical mode never returns more than one line; a short buffer takes
    // the start of it and leaves the rest where it is.
    const size_t n = k::min(text, max);
    for (size_t i = 0; i < n; ++i) out[i] = ready_[(ready_head_ + i) % kReadyCapacity];
    ready_head_ += static_cast<uint32_t>(n);

    if (n == text) {
        // The whole line is gone; an EOF marker behind it goes too, so a line
        // ended by Ctrl-D reads as its bytes and an empty one as 0.
        if (delimiter == kEofMarker) ++ready_head_;
        --lines_;
    }
    return n;
}

void LineDiscipline::flush() {
    line_length_ = 0;
    ready_head_ = ready_tail_;
    lines_ = 0;
}

}  // namespace drivers
