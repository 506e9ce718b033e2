// Host tests for libk/initial_stack: build a process's first stack in a
// buffer standing in for the top of user memory, then read it back the way
// a C runtime's _start does (argc at RSP, argv after it, envp after argv's
// NULL, auxv after envp's NULL), translating each user pointer back into
// the buffer.
#include "libk/initial_stack.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using k::AuxvEntry;
using k::Errno;
using k::InitialStack;
using k::InitialStackContents;
using k::StringView;

constexpr uint64_t kStackTop = 0x7fff'ffff'f000;

const uint8_t kRandom[16] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                             0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};

// The inputs, owned by the test.
struct Inputs {
    std::vector<std::string> argv;
    std::vector<std::string> envp;
    std::vector<AuxvEntry> auxv;
    std::string execfn = "/bin/prog";
    std::string platform = "x86_64";

    std::vector<StringView> argv_views;
    std::vector<StringView> envp_views;

    InitialStackContents contents() {
        argv_views.clear();
        envp_views.clear();
        for (const std::string& s : argv) argv_views.emplace_back(s.data(), s.size());
        for (const std::string& s : envp) envp_views.emplace_back(s.data(), s.size());
        InitialStackContents c;
        c.argv = argv_views.empty() ? nullptr : argv_views.data();
        c.argc = argv_views.size();
        c.envp = envp_views.empty() ? nullptr : envp_views.data();
        c.envc = envp_views.size();
        c.auxv = auxv.empty() ? nullptr : auxv.data();
        c.auxc = auxv.size();
        c.random_bytes = kRandom;
        c.execfn = StringView(execfn.data(), execfn.size());
        c.platform = StringView(platform.data(), platform.size());
        return c;
    }
};

Inputs typical_inputs() {
    Inputs in;
    in.argv = {"prog", "-x", "hello world", ""};
    in.envp = {"HOME=/", "PATH=/bin:/usr/bin", "TERM=vt100"};
    in.auxv = {{k::kAtPhdr, 0x400040}, {k::kAtPhent, 56},       {k::kAtPhnum, 6},   {k::kAtPagesz, 4096},
               {k::kAtBase, 0},        {k::kAtFlags, 0},        {k::kAtEntry, 0x401020}, {k::kAtUid, 0},
               {k::kAtEuid, 0},        {k::kAtGid, 0},          {k::kAtEgid, 0},    {k::kAtHwcap, 0x178bfbff},
               {k::kAtClktck, 100},    {k::kAtSecure, 0}};
    return in;
}

// What a C runtime sees, read back from the buffer.
struct ProcessView {
    uint64_t argc = 0;
    std::vector<std::string> argv;
    std::vector<std::string> envp;
    std::vector<std::pair<uint64_t, uint64_t>> auxv;  // without AT_NULL
    std::map<uint64_t, uint64_t> aux;
};

class StackReader {
public:
    StackReader(uint64_t stack_top, const uint8_t* buffer, size_t capacity, uint64_t rsp)
        : top_(stack_top), end_(buffer + capacity), rsp_(rsp) {}

    // Every pointer the process follows must land inside [rsp, stack_top).
    const uint8_t* at(uint64_t address, size_t size) const {
        EXPECT_GE(address, rsp_);
        EXPECT_LE(address, top_);
        EXPECT_LE(size, top_ - address);
        return end_ - (top_ - address);
    }
    uint64_t word(uint64_t address) const {
        uint64_t value;
        std::memcpy(&value, at(address, 8), 8);
        return value;
    }
    std::string string(uint64_t address) const {
        std::string s;
        for (;;) {
            char c = static_cast<char>(*at(address, 1));
            if (c == '\0') return s;
            s += c;
            ++address;
            if (::testing::Test::HasFailure()) return s;
        }
    }

    ProcessView walk() const {
        ProcessView view;
        uint64_t sp = rsp_;
        view.argc = word(sp);
        sp += 8;
        for (uint64_t i = 0; i < view.argc; ++i, sp += 8) view.argv.push_back(string(word(sp)));
        EXPECT_EQ(word(sp), 0u) << "argv[argc] must be NULL";
        sp += 8;
        for (; word(sp) != 0; sp += 8) view.envp.push_back(string(word(sp)));
        sp += 8;
        for (; word(sp) != k::kAtNull; sp += 16) {
            view.auxv.emplace_back(word(sp), word(sp + 8));
            EXPECT_TRUE(view.aux.emplace(word(sp), word(sp + 8)).second) << "duplicate auxv type " << word(sp);
            if (::testing::Test::HasFailure()) break;
        }
        return view;
    }

private:
    uint64_t top_;
    const uint8_t* end_;
    uint64_t rsp_;
};

// A build into a heap block of exactly `capacity` bytes (ASan catches a
// write outside it), filled with 0xa5 beforehand.
struct Built {
    std::unique_ptr<uint8_t[]> buffer;
    k::Result<InitialStack> result;
};

Built build(Inputs& in, size_t capacity, uint64_t stack_top = kStackTop) {
    auto buffer = std::make_unique<uint8_t[]>(capacity == 0 ? 1 : capacity);
    std::memset(buffer.get(), 0xa5, capacity);
    auto result = k::build_initial_stack(stack_top, buffer.get(), capacity, in.contents());
    return Built{std::move(buffer), std::move(result)};
}

void expect_round_trip(Inputs& in, size_t capacity, uint64_t stack_top = kStackTop) {
    Built built = build(in, capacity, stack_top);
    ASSERT_TRUE(built.result.ok()) << k::errno_name(built.result.error());
    const InitialStack stack = built.result.value();
    const uint8_t* buffer = built.buffer.get();

    EXPECT_EQ(stack.rsp % 16, 0u) << "psABI 3.4.1: RSP 16-byte aligned at entry";
    EXPECT_EQ(stack.size, stack_top - stack.rsp);
    EXPECT_LE(stack.size, capacity);
    // Nothing written below RSP.
    for (size_t i = 0; i < capacity - stack.size; ++i) ASSERT_EQ(buffer[i], 0xa5) << i;

    StackReader reader(stack_top, buffer, capacity, stack.rsp);
    ProcessView view = reader.walk();
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_EQ(view.argc, in.argv.size());
    EXPECT_EQ(view.argv, in.argv);
    EXPECT_EQ(view.envp, in.envp);

    // The caller's entries first, in order, then the builder's.
    ASSERT_GE(view.auxv.size(), in.auxv.size());
    for (size_t i = 0; i < in.auxv.size(); ++i) {
        EXPECT_EQ(view.auxv[i].first, in.auxv[i].type);
        EXPECT_EQ(view.auxv[i].second, in.auxv[i].value);
    }
    EXPECT_EQ(view.auxv.size(), in.auxv.size() + (in.platform.empty() ? 2 : 3));
    ASSERT_EQ(view.aux.count(k::kAtRandom), 1u);
    uint64_t random = view.aux[k::kAtRandom];
    EXPECT_EQ(random % 16, 0u);
    EXPECT_EQ(std::memcmp(reader.at(random, 16), kRandom, 16), 0);
    ASSERT_EQ(view.aux.count(k::kAtExecfn), 1u);
    EXPECT_EQ(reader.string(view.aux[k::kAtExecfn]), in.execfn);
    if (in.platform.empty()) {
        EXPECT_EQ(view.aux.count(k::kAtPlatform), 0u);
    } else {
        ASSERT_EQ(view.aux.count(k::kAtPlatform), 1u);
        EXPECT_EQ(reader.string(view.aux[k::kAtPlatform]), in.platform);
    }
    // The end marker: the last 8 bytes below the top are zero.
    EXPECT_EQ(reader.word(stack_top - 8), 0u);
}

TEST(InitialStack, TypicalProcess) {
    Inputs in = typical_inputs();
    expect_round_trip(in, 4096);
}

TEST(InitialStack, ExactLayout) {
    // The layout of initial_stack.h, byte for byte, for a small case.
    Inputs in;
    in.argv = {"ab"};
    in.envp = {"X=1"};
    in.auxv = {{k::kAtPagesz, 4096}};
    in.execfn = "/e";
    in.platform = "";
    Built built = build(in, 256);
    ASSERT_TRUE(built.result.ok());
    uint64_t rsp = built.result->rsp;
    // Top: 8 zero bytes, then (downwards) "/e\0" (3), "X=1\0" (4), "ab\0" (3).
    const uint64_t strings = kStackTop - 8 - 10;
    // Random bytes 16-aligned below the strings.
    const uint64_t random = (strings & ~uint64_t{15}) - 16;
    // Vector: argc, argv[0], 0, envp[0], 0, 3 auxv pairs (PAGESZ, RANDOM,
    // EXECFN, NULL) = 5 + 8 words = 104 bytes; rsp rounds down to 16.
    EXPECT_EQ(rsp, (random - 13 * 8) & ~uint64_t{15});
    StackReader reader(kStackTop, built.buffer.get(), 256, rsp);
    const uint64_t expected[] = {1, strings, 0, strings + 3, 0, k::kAtPagesz, 4096, k::kAtRandom, random,
                                 k::kAtExecfn, strings + 7, k::kAtNull, 0};
    for (size_t i = 0; i < std::size(expected); ++i) EXPECT_EQ(reader.word(rsp + 8 * i), expected[i]) << i;
    EXPECT_EQ(std::memcmp(reader.at(strings, 10), "ab\0X=1\0/e\0", 10), 0);
    // Padding between the vector and the random bytes is zero.
    for (uint64_t a = rsp + 13 * 8; a < random; ++a) EXPECT_EQ(*reader.at(a, 1), 0) << a;
    for (uint64_t a = strings + 10; a < kStackTop; ++a) EXPECT_EQ(*reader.at(a, 1), 0) << a;
}

TEST(InitialStack, AlignmentHoldsForEveryShape) {
    // Every string length modulo 16 and every parity of word counts.
    for (size_t argc = 0; argc <= 3; ++argc) {
        for (size_t envc = 0; envc <= 2; ++envc) {
            for (size_t auxc = 0; auxc <= 1; ++auxc) {
                for (size_t length = 0; length < 20; ++length) {
                    Inputs in;
                    for (size_t i = 0; i < argc; ++i) {
                        in.argv.push_back(std::string(length + i, static_cast<char>('a' + i)));
                    }
                    for (size_t i = 0; i < envc; ++i) in.envp.push_back("E" + std::string(length, 'e'));
                    if (auxc) in.auxv.push_back({k::kAtPagesz, 4096});
                    in.platform = length % 2 ? "x86_64" : "";
                    in.execfn = std::string(length % 5, 'f');
                    expect_round_trip(in, 1024);
                    if (::testing::Test::HasFailure()) {
                        FAIL() << argc << " " << envc << " " << auxc << " " << length;
                    }
                }
            }
        }
    }
}

TEST(InitialStack, UnalignedStackTopAndBuffer) {
    for (uint64_t misalign = 1; misalign < 16; ++misalign) {
        Inputs in = typical_inputs();
        expect_round_trip(in, 1000 + misalign, kStackTop - misalign);
        if (::testing::Test::HasFailure()) FAIL() << misalign;
    }
}

TEST(InitialStack, EmptyArgvAndEnvp) {
    // execve(path, {NULL}, {NULL}) is legal: argc 0.
    Inputs in;
    expect_round_trip(in, 512);
}

TEST(InitialStack, E2bigWhenTheBufferIsOneByteShort) {
    Inputs in = typical_inputs();
    Built built = build(in, 4096);
    ASSERT_TRUE(built.result.ok());
    size_t needed = built.result->size;
    // Exactly enough works; less does not, and writes nothing.
    expect_round_trip(in, needed);
    for (size_t capacity : {needed - 1, needed / 2, size_t{8}, size_t{0}}) {
        Built small = build(in, capacity);
        ASSERT_FALSE(small.result.ok());
        EXPECT_EQ(small.result.error(), Errno::e2big);
        for (size_t i = 0; i < capacity; ++i) ASSERT_EQ(small.buffer[i], 0xa5);
    }
}

TEST(InitialStack, E2bigForAbsurdSizesWithoutTouchingMemory) {
    // The sizes are summed before any byte is read or written: a view
    // claiming SIZE_MAX bytes (or counts that overflow) only gives E2BIG.
    static const char text[] = "x";
    StringView huge(text, SIZE_MAX);
    StringView big(text, SIZE_MAX / 2 + 1);
    uint8_t buffer[64];
    InitialStackContents c;
    c.random_bytes = kRandom;
    c.argv = &huge;
    c.argc = 1;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::e2big);
    StringView two_big[2] = {big, big};
    c.argv = two_big;
    c.argc = 2;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::e2big);
    c.argc = 0;
    c.execfn = huge;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::e2big);
    c.execfn = StringView();
    c.platform = huge;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::e2big);
    // A large but representable size, far beyond the buffer.
    c.platform = StringView();
    c.envp = &big;
    c.envc = 1;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::e2big);
    // Counts whose word total overflows (the pointer arrays are never read).
    c.envc = SIZE_MAX / 4;
    c.argc = SIZE_MAX / 4;
    c.argv = two_big;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::e2big);
}

TEST(InitialStack, E2bigBelowAddressZero) {
    // A stack top so low that the layout would need negative addresses.
    Inputs in = typical_inputs();
    for (uint64_t top : {uint64_t{0}, uint64_t{8}, uint64_t{64}, uint64_t{300}}) {
        Built built = build(in, 4096, top);
        ASSERT_FALSE(built.result.ok()) << top;
        EXPECT_EQ(built.result.error(), Errno::e2big);
    }
}

TEST(InitialStack, RejectsReservedAuxvTypesAndMissingInputs) {
    for (uint64_t type : {k::kAtNull, k::kAtRandom, k::kAtExecfn, k::kAtPlatform}) {
        Inputs in = typical_inputs();
        in.auxv.push_back({type, 1});
        InitialStackContents c = in.contents();
        uint8_t buffer[4096];
        EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::einval) << type;
    }
    Inputs in = typical_inputs();
    InitialStackContents c = in.contents();
    uint8_t buffer[4096];
    c.random_bytes = nullptr;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::einval);
    c = in.contents();
    c.argv = nullptr;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::einval);
    c = in.contents();
    c.envp = nullptr;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::einval);
    c = in.contents();
    c.auxv = nullptr;
    EXPECT_EQ(k::build_initial_stack(kStackTop, buffer, sizeof(buffer), c).error(), Errno::einval);
}

TEST(InitialStack, ManyArguments) {
    Inputs in = typical_inputs();
    for (int i = 0; i < 500; ++i) in.argv.push_back("arg" + std::to_string(i));
    for (int i = 0; i < 300; ++i) in.envp.push_back("VAR" + std::to_string(i) + "=" + std::string(i % 37, 'v'));
    expect_round_trip(in, 64 * 1024);
}

}  // namespace
