// The canonical-mode line discipline: line editing, echo (byte for byte),
// signals, EOF, the read rules, and the buffer limits.
#include "kernel/drivers/line_discipline.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <string>

using drivers::EchoSink;
using drivers::InputResult;
using drivers::LineDiscipline;

namespace {

class StringSink final : public EchoSink {
public:
    void echo(const char* s, size_t n) override { out.append(s, n); }
    // What was echoed since the last take().
    std::string take() {
        std::string result;
        result.swap(out);
        return result;
    }
    std::string out;
};

constexpr char kDel = 0x7f;
constexpr char kBs = 0x08;
constexpr char kCtrlU = 0x15;
constexpr char kCtrlC = 0x03;
constexpr char kCtrlBackslash = 0x1c;
constexpr char kCtrlD = 0x04;
constexpr char kCtrlZ = 0x1a;

class LineDisciplineTest : public ::testing::Test {
protected:
    // Feeds every byte; returns the result of the last one.
    InputResult type(const std::string& text) {
        InputResult result = InputResult::None;
        for (char c : text) result = ld->feed(c, sink);
        return result;
    }
    InputResult type(char c) { return ld->feed(c, sink); }

    // One read() with a buffer of `max` bytes.
    std::string read(size_t max = 8192) {
        std::string buffer(max, '\0');
        const size_t n = ld->read(buffer.data(), max);
        EXPECT_LE(n, max);
        buffer.resize(n);
        return buffer;
    }

    // The object is 8 KiB; keep it off the test's stack.
    std::unique_ptr<LineDiscipline> ld = std::make_unique<LineDiscipline>();
    StringSink sink;
};

TEST_F(LineDisciplineTest, StartsEmpty) {
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_EQ(ld->ready_bytes(), 0u);
    EXPECT_EQ(ld->dropped(), 0u);
}

TEST_F(LineDisciplineTest, TypedCharactersAreEchoedAndHeldUntilNewline) {
    EXPECT_EQ(type("hello"), InputResult::None);
    EXPECT_EQ(sink.take(), "hello");
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->line_length(), 5u);

    EXPECT_EQ(type('\n'), InputResult::Readable);
    EXPECT_EQ(sink.take(), "\n");
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_EQ(ld->ready_bytes(), 6u);

    EXPECT_EQ(read(), "hello\n");
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->ready_bytes(), 0u);
}

TEST_F(LineDisciplineTest, CarriageReturnBecomesNewline) {
    EXPECT_EQ(type("ls\r"), InputResult::Readable);
    EXPECT_EQ(sink.take(), "ls\n");
    EXPECT_EQ(read(), "ls\n");
}

TEST_F(LineDisciplineTest, EmptyLineIsANewlineNotEndOfFile) {
    EXPECT_EQ(type('\n'), InputResult::Readable);
    EXPECT_EQ(read(), "\n");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, TabsAndHighBytesAreStoredAsTheyAre) {
    const std::string text = "a\tb \xc3\xa9~";
    type(text + "\n");
    EXPECT_EQ(sink.take(), text + "\n");
    EXPECT_EQ(read(), text + "\n");
}

TEST_F(LineDisciplineTest, ControlCharactersEchoAsCaretNotation) {
    const std::string text = std::string("\x01\x1b", 2) + std::string(1, '\0') + "\x1f";
    type(text);
    EXPECT_EQ(sink.take(), "^A^[^@^_");
    type('\n');
    EXPECT_EQ(read(), text + "\n");
}

TEST_F(LineDisciplineTest, BackspaceErasesTheLastCharacter) {
    type("heli");
    type(kDel);
    type("lo");
    type(kBs);  // BS erases like DEL
    type("o\n");
    EXPECT_EQ(sink.take(), "heli\b \blo\b \bo\n");
    EXPECT_EQ(read(), "hello\n");
}

TEST_F(LineDisciplineTest, BackspaceOnAnEmptyLineDoesNothing) {
    type(kDel);
    type(kBs);
    EXPECT_EQ(sink.take(), "");
    type("ab");
    type(std::string(5, kDel));
    EXPECT_EQ(sink.take(), "ab\b \b\b \b");
    EXPECT_EQ(ld->line_length(), 0u);
}

TEST_F(LineDisciplineTest, BackspaceNeverReachesIntoACompletedLine) {
    type("one\n");
    type(kDel);
    EXPECT_EQ(sink.take(), "one\n");
    EXPECT_EQ(read(), "one\n");
}

TEST_F(LineDisciplineTest, ErasingAControlCharacterClearsBothColumns) {
    type("a\x01");
    type(kDel);
    EXPECT_EQ(sink.take(), "a^A\b \b\b \b");
    type('\n');
    EXPECT_EQ(read(), "a\n");
}

TEST_F(LineDisciplineTest, ErasingAUtf8CharacterTakesAllItsBytes) {
    type("x\xe2\x82\xac");  // "x€": the euro sign is 3 bytes, one column
    sink.take();
    type(kDel);
    EXPECT_EQ(sink.take(), "\b \b");
    EXPECT_EQ(ld->line_length(), 1u);
    type('\n');
    EXPECT_EQ(read(), "x\n");
}

TEST_F(LineDisciplineTest, ErasingATabGoesBackToThePreviousTabStop) {
    type("ab\t");
    sink.take();
    type(kDel);
    EXPECT_EQ(sink.take(), std::string(6, '\b'));  // columns 2..7

    type("\t");
    sink.take();
    type(kDel);
    EXPECT_EQ(sink.take(), std::string(6, '\b'));

    // A control character counts two columns, a UTF-8 sequence one.
    type(std::string("\x01\xc3\xa9\t", 4));
    sink.take();
    type(kDel);
    EXPECT_EQ(sink.take(), std::string(3, '\b'));  // "ab^Aé" ends at column 5

    type(kCtrlU);
    type("\t");
    sink.take();
    type(kDel);
    EXPECT_EQ(sink.take(), std::string(8, '\b'));
}

TEST_F(LineDisciplineTest, CtrlUErasesTheWholeLine) {
    type("abc");
    sink.take();
    EXPECT_EQ(type(kCtrlU), InputResult::None);
    EXPECT_EQ(sink.take(), "\b \b\b \b\b \b");
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_FALSE(ld->readable());

    type("x\n");
    EXPECT_EQ(read(), "x\n");
}

TEST_F(LineDisciplineTest, CtrlUErasesCharacterByCharacterWithTheirWidths) {
    type("a\x02\xc3\xa9");
    sink.take();
    type(kCtrlU);
    EXPECT_EQ(sink.take(), "\b \b" "\b \b\b \b" "\b \b");
}

TEST_F(LineDisciplineTest, CtrlUOnAnEmptyLineEchoesNothing) {
    type(kCtrlU);
    EXPECT_EQ(sink.take(), "");
}

TEST_F(LineDisciplineTest, CtrlUKeepsCompletedLines) {
    type("keep\ndrop");
    type(kCtrlU);
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(read(), "keep\n");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, CtrlCDiscardsTheLineAndInterrupts) {
    type("sleep 100");
    EXPECT_EQ(type(kCtrlC), InputResult::Interrupt);
    EXPECT_EQ(sink.take(), "sleep 100^C\n");
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_FALSE(ld->readable());

    type("ok\n");
    EXPECT_EQ(read(), "ok\n");
}

TEST_F(LineDisciplineTest, CtrlCFlushesUnreadLinesToo) {
    // ISIG without NOFLSH flushes the whole input queue.
    type("typed ahead\n");
    type(kCtrlD);
    type("partial");
    EXPECT_EQ(type(kCtrlC), InputResult::Interrupt);
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->ready_bytes(), 0u);
}

TEST_F(LineDisciplineTest, CtrlCOnAnEmptyLine) {
    EXPECT_EQ(type(kCtrlC), InputResult::Interrupt);
    EXPECT_EQ(sink.take(), "^C\n");
}

TEST_F(LineDisciplineTest, CtrlBackslashDiscardsTheLineAndQuits) {
    type("abc");
    EXPECT_EQ(type(kCtrlBackslash), InputResult::Quit);
    EXPECT_EQ(sink.take(), "abc^\\\n");
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, CtrlDOnAnEmptyLineIsEndOfFile) {
    EXPECT_EQ(type(kCtrlD), InputResult::Readable);
    EXPECT_EQ(sink.take(), "");  // not echoed
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(ld->read(nullptr, 0), 0u);  // a zero-length read takes nothing...
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(read(), "");  // ...a real one gets the end of file
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->ready_bytes(), 0u);
}

TEST_F(LineDisciplineTest, CtrlDAfterTextPushesTheLineWithoutNewline) {
    type("abc");
    EXPECT_EQ(type(kCtrlD), InputResult::Readable);
    EXPECT_EQ(sink.take(), "abc");
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_EQ(read(), "abc");
    // The EOF marker went with the text: no extra end of file.
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->ready_bytes(), 0u);
}

TEST_F(LineDisciplineTest, CtrlDLineReadInPiecesConsumesTheMarkerWithTheLastPiece) {
    type("abcde");
    type(kCtrlD);
    EXPECT_EQ(read(2), "ab");
    EXPECT_EQ(read(2), "cd");
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(read(2), "e");
    EXPECT_FALSE(ld->readable());

    // A buffer exactly as long as the text also takes the marker.
    type("xyz");
    type(kCtrlD);
    EXPECT_EQ(read(3), "xyz");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, TwoCtrlDsGiveTextThenEndOfFile) {
    // What `cat` sees when one types "abc", Ctrl-D, Ctrl-D.
    type("abc");
    type(kCtrlD);
    type(kCtrlD);
    EXPECT_EQ(read(), "abc");
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(read(), "");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, EndOfFileBetweenLinesKeepsItsPlace) {
    type("a\n");
    type(kCtrlD);
    type("b\n");
    EXPECT_EQ(read(), "a\n");
    EXPECT_EQ(read(), "");
    EXPECT_EQ(read(), "b\n");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, CtrlZIsIgnored) {
    type("a");
    EXPECT_EQ(type(kCtrlZ), InputResult::None);
    type("b\n");
    EXPECT_EQ(sink.take(), "ab\n");
    EXPECT_EQ(read(), "ab\n");
}

TEST_F(LineDisciplineTest, AReadReturnsOneLineAtATime) {
    type("one\ntwo\n\nthree\n");
    EXPECT_EQ(sink.take(), "one\ntwo\n\nthree\n");
    EXPECT_EQ(read(), "one\n");
    EXPECT_EQ(read(), "two\n");
    EXPECT_EQ(read(), "\n");
    EXPECT_EQ(read(), "three\n");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, ALineBeingTypedIsNotReadable) {
    type("done\npending");
    EXPECT_EQ(read(), "done\n");
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->line_length(), 7u);
}

TEST_F(LineDisciplineTest, PartialReadsLeaveTheRestOfTheLine) {
    type("abcdefgh\nxy\n");
    EXPECT_EQ(read(3), "abc");
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(read(3), "def");
    EXPECT_EQ(read(3), "gh\n");
    // The rest of a line never runs into the next one.
    EXPECT_EQ(read(1), "x");
    EXPECT_EQ(read(100), "y\n");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, PartialReadCanStopJustBeforeTheNewline) {
    type("abc\n");
    EXPECT_EQ(read(3), "abc");
    EXPECT_TRUE(ld->readable());
    EXPECT_EQ(read(3), "\n");
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, ReadingWithNothingReadableIsABug) {
    char buffer[4];
    EXPECT_DEATH(ld->read(buffer, sizeof buffer), "readable");
}

TEST_F(LineDisciplineTest, TheRingWrapsAround) {
    // Far more than 4096 bytes through the ring, lines of varying length.
    for (int i = 0; i < 3000; ++i) {
        const std::string line = "line " + std::to_string(i) + std::string(i % 13, '.') + "\n";
        type(line);
        if (i % 3 == 2) {
            // Three lines queued at a time.
            for (int j = i - 2; j <= i; ++j)
                EXPECT_EQ(read(), "line " + std::to_string(j) + std::string(j % 13, '.') + "\n");
        }
    }
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->dropped(), 0u);
}

TEST_F(LineDisciplineTest, ALineHoldsAtMost4095Characters) {
    const std::string full(LineDiscipline::kMaxLineLength, 'a');
    type(full);
    EXPECT_EQ(sink.take(), full);
    EXPECT_EQ(ld->line_length(), 4095u);

    // Further characters are dropped with a bell.
    type("bc");
    EXPECT_EQ(sink.take(), "\a\a");
    EXPECT_EQ(ld->dropped(), 2u);
    EXPECT_EQ(ld->line_length(), 4095u);

    // The newline still fits: the line is 4096 bytes with it.
    EXPECT_EQ(type('\n'), InputResult::Readable);
    EXPECT_EQ(sink.take(), "\n");
    EXPECT_EQ(ld->ready_bytes(), 4096u);
    EXPECT_EQ(read(), full + "\n");
}

TEST_F(LineDisciplineTest, EditingStillWorksOnAFullLine) {
    type(std::string(4095, 'a'));
    type("zz");
    sink.take();
    type(kDel);
    EXPECT_EQ(sink.take(), "\b \b");
    type("z");
    EXPECT_EQ(sink.take(), "z");
    type("z");
    EXPECT_EQ(sink.take(), "\a");
    type('\n');
    EXPECT_EQ(read(), std::string(4094, 'a') + "z\n");

    // A full line can be killed or interrupted.
    type(std::string(5000, 'q'));
    type(kCtrlU);
    EXPECT_EQ(ld->line_length(), 0u);
    type(std::string(5000, 'q'));
    EXPECT_EQ(type(kCtrlC), InputResult::Interrupt);
    EXPECT_EQ(ld->line_length(), 0u);
}

TEST_F(LineDisciplineTest, CtrlDEndsAFullLine) {
    type(std::string(4100, 'a'));
    EXPECT_EQ(type(kCtrlD), InputResult::Readable);
    EXPECT_EQ(read(), std::string(4095, 'a'));
    EXPECT_FALSE(ld->readable());
}

TEST_F(LineDisciplineTest, UnreadLinesLeaveLessRoomForTheNextOne) {
    // 4001 bytes wait unread; of the 95 left, the next line gets 94
    // characters and keeps one byte for its newline.
    type(std::string(4000, 'a') + "\n");
    sink.take();
    type(std::string(100, 'b'));
    EXPECT_EQ(ld->line_length(), 94u);
    EXPECT_EQ(ld->dropped(), 6u);
    EXPECT_EQ(sink.take(), std::string(94, 'b') + std::string(6, '\a'));
    EXPECT_EQ(type('\n'), InputResult::Readable);
    EXPECT_EQ(ld->ready_bytes(), 4096u);

    // The ring is full: even an empty line or an EOF has no room.
    EXPECT_EQ(type('\n'), InputResult::None);
    EXPECT_EQ(type(kCtrlD), InputResult::None);
    type("c");
    EXPECT_EQ(sink.take(), "\n\a\a\a");
    EXPECT_EQ(ld->dropped(), 9u);

    EXPECT_EQ(read(), std::string(4000, 'a') + "\n");
    EXPECT_EQ(read(), std::string(94, 'b') + "\n");
    EXPECT_FALSE(ld->readable());

    // Reading made room again.
    type("d\n");
    EXPECT_EQ(read(), "d\n");
}

TEST_F(LineDisciplineTest, FlushForgetsEverything) {
    type("a\nb\n");
    type(kCtrlD);
    type("c");
    ld->flush();
    EXPECT_FALSE(ld->readable());
    EXPECT_EQ(ld->line_length(), 0u);
    EXPECT_EQ(ld->ready_bytes(), 0u);
    type("d\n");
    EXPECT_EQ(read(), "d\n");
}

// Random typing against a simple model: a std::string for the line being
// typed and a queue of completed lines (the EOF marker as an empty optional
// text). Checks the text of every read, not the echo.
TEST_F(LineDisciplineTest, RandomTypingMatchesAModel) {
    struct Line {
        std::string text;  // including '\n' when it has one
        bool eof_marker;
    };
    std::mt19937 rng(12345);
    std::string edit;
    std::deque<Line> ready;
    size_t ready_bytes = 0;

    auto erase_model = [&] {
        if (edit.empty()) return;
        size_t start = edit.size() - 1;
        while (start > 0 && (static_cast<unsigned char>(edit[start]) & 0xc0) == 0x80) --start;
        edit.resize(start);
    };

    for (int step = 0; step < 200000; ++step) {
        const unsigned roll = rng() % 100;
        if (roll < 60) {
            const char choices[] = {'a', 'z', ' ', '\t', '\x01', '\xc3', '\xa9', '~'};
            const char c = choices[rng() % sizeof choices];
            ld->feed(c, sink);
            if (edit.size() < 4095 && edit.size() + 2 <= 4096 - ready_bytes) edit += c;
        } else if (roll < 70) {
            ld->feed(rng() % 2 ? kDel : kBs, sink);
            erase_model();
        } else if (roll < 71) {
            ld->feed(kCtrlU, sink);
            edit.clear();
        } else if (roll < 72) {
            EXPECT_EQ(ld->feed(kCtrlC, sink), InputResult::Interrupt);
            edit.clear();
            ready.clear();
            ready_bytes = 0;
        } else if (roll < 80) {
            const char c = rng() % 2 ? '\n' : '\r';
            const InputResult result = ld->feed(c, sink);
            if (edit.size() + 1 <= 4096 - ready_bytes) {
                EXPECT_EQ(result, InputResult::Readable);
                ready.push_back({edit + "\n", false});
                ready_bytes += edit.size() + 1;
                edit.clear();
            } else {
                EXPECT_EQ(result, InputResult::None);
            }
        } else if (roll < 82) {
            const InputResult result = ld->feed(kCtrlD, sink);
            if (edit.size() + 1 <= 4096 - ready_bytes) {
                EXPECT_EQ(result, InputResult::Readable);
                ready.push_back({edit, true});
                ready_bytes += edit.size() + 1;
                edit.clear();
            } else {
                EXPECT_EQ(result, InputResult::None);
            }
        } else {
            ASSERT_EQ(ld->readable(), !ready.empty());
            if (ready.empty()) continue;
            const size_t max = 1 + rng() % 40;
            Line& line = ready.front();
            const size_t n = std::min(max, line.text.size());
            ASSERT_EQ(read(max), line.text.substr(0, n)) << "step " << step;
            line.text.erase(0, n);
            ready_bytes -= n;
            if (line.text.empty()) {
                if (line.eof_marker) --ready_bytes;
                ready.pop_front();
            }
        }
        ASSERT_EQ(ld->line_length(), edit.size()) << "step " << step;
        ASSERT_EQ(ld->ready_bytes(), ready_bytes) << "step " << step;
        sink.out.clear();
    }
}

}  // namespace
