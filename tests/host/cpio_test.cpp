#include "libk/cpio.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using k::CpioEntry;
using k::CpioReader;
using k::Errno;

// --- building archives -------------------------------------------------------

struct File {
    std::string name;  // as stored in the archive
    uint32_t mode;
    std::string data;
    uint32_t ino = 0;
    uint32_t nlink = 1;
};

void pad_to_4(std::string& archive) {
    while (archive.size() % 4 != 0) archive += '\0';
}

// One newc header: "070701" and 13 fields of 8 hex digits.
std::string header(uint32_t ino, uint32_t mode, uint32_t nlink, uint32_t file_size, uint32_t name_size,
                   const char* magic = "070701") {
    char text[111];
    std::snprintf(text, sizeof(text), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, ino, mode,
                  0u /*uid*/, 0u /*gid*/, nlink, 0x5f000000u /*mtime*/, file_size, 0u, 0u, 0u, 0u, name_size,
                  0u /*check*/);
    return std::string(text, 110);
}

void append_entry(std::string& archive, const File& file) {
    archive += header(file.ino, file.mode, file.nlink, static_cast<uint32_t>(file.data.size()),
                      static_cast<uint32_t>(file.name.size() + 1));
    archive += file.name;
    archive += '\0';
    pad_to_4(archive);
    archive += file.data;
    pad_to_4(archive);
}

void append_trailer(std::string& archive) { append_entry(archive, File{"TRAILER!!!", 0, "", 0, 1}); }

std::string build(const std::vector<File>& files, bool trailer = true) {
    std::string archive;
    for (const File& file : files) append_entry(archive, file);
    if (trailer) append_trailer(archive);
    return archive;
}

// Sample contents: names of every length modulo 4 and data sizes 0 to 5,
// so every padding case occurs.
std::vector<File> sample_files() {
    return {
        {".", 0040755, "", 1, 3},
        {"./bin", 0040755, "", 2, 2},
        {"./bin/sh", 0100755, "#!shell binary\x7f" "ELF", 3, 1},
        {"./etc/motd", 0100644, "welcome\n", 4, 1},
        {"./empty", 0100644, "", 5, 1},
        {"./a", 0100644, "1", 6, 1},
        {"./bb", 0100644, "22", 7, 1},
        {"./ccc", 0100644, "333", 8, 1},
        {"./dddd", 0100644, "4444", 9, 1},
        {"./eeeee", 0100644, "55555", 10, 1},
        {"./lib/link", 0120777, "../bin/sh", 11, 1},
    };
}

std::string expected_name(const std::string& stored) {
    if (stored.rfind("./", 0) == 0) return stored.substr(2);
    if (stored.rfind("/", 0) == 0) return stored.substr(1);
    return stored;
}

std::string str(k::StringView view) { return std::string(view.data() ? view.data() : "", view.size()); }

// An exact-size heap copy of (a prefix of) an archive: ASan reports any read
// beyond `size`.
std::unique_ptr<uint8_t[]> exact_copy(const std::string& archive, size_t size) {
    auto bytes = std::make_unique<uint8_t[]>(size);
    if (size > 0) std::memcpy(bytes.get(), archive.data(), size);
    return bytes;
}

// Reads every entry until next() says false or fails.
struct Walk {
    std::vector<CpioEntry> entries;
    bool ended_cleanly = false;  // next() returned false (not an error)
    Errno error = Errno::eperm;
};

Walk walk(const uint8_t* data, size_t size) {
    Walk result;
    CpioReader reader(data, size);
    // Each entry takes at least 112 bytes: more steps than that is a bug.
    for (size_t steps = 0; steps <= size / 112 + 1; ++steps) {
        CpioEntry entry;
        auto next = reader.next(entry);
        if (!next.ok()) {
            result.error = next.error();
            return result;
        }
        if (!next.value()) {
            result.ended_cleanly = true;
            return result;
        }
        // Whatever it says, the entry lies inside the archive.
        EXPECT_GE(entry.data, data);
        EXPECT_LE(entry.data + entry.size, data + size);
        EXPECT_GE(reinterpret_cast<const uint8_t*>(entry.name.data()), data);
        EXPECT_LE(reinterpret_cast<const uint8_t*>(entry.name.data() + entry.name.size()), data + size);
        result.entries.push_back(entry);
    }
    ADD_FAILURE() << "iteration did not end";
    return result;
}

void expect_entry(const CpioEntry& entry, const File& file) {
    EXPECT_EQ(str(entry.name), expected_name(file.name));
    EXPECT_EQ(entry.mode, file.mode);
    EXPECT_EQ(entry.ino, file.ino);
    EXPECT_EQ(entry.nlink, file.nlink);
    ASSERT_EQ(entry.size, file.data.size());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(entry.data), entry.size), file.data);
}

// --- well-formed archives ------------------------------------------------------

TEST(Cpio, ReadsEveryEntryInOrder) {
    std::vector<File> files = sample_files();
    std::string archive = build(files);
    auto bytes = exact_copy(archive, archive.size());
    Walk result = walk(bytes.get(), archive.size());
    EXPECT_TRUE(result.ended_cleanly);
    ASSERT_EQ(result.entries.size(), files.size());
    for (size_t i = 0; i < files.size(); ++i) {
        SCOPED_TRACE(files[i].name);
        expect_entry(result.entries[i], files[i]);
    }
    EXPECT_TRUE(result.entries[0].is_directory());
    EXPECT_EQ(str(result.entries[0].name), ".");
    EXPECT_TRUE(result.entries[2].is_regular());
    EXPECT_FALSE(result.entries[2].is_directory());
    EXPECT_TRUE(result.entries[10].is_symlink());
    // Data starts on a 4-byte boundary of the archive.
    for (const CpioEntry& entry : result.entries) EXPECT_EQ((entry.data - bytes.get()) % 4, 0);
}

TEST(Cpio, HandWrittenArchive) {
    // Spelled out byte by byte, independent of the builder above.
    static const char archive[] =
        "070701"
        "00000011" "000081A4" "00000000" "00000000" "00000001" "00000000"
        "00000003" "00000000" "00000000" "00000000" "00000000" "00000006" "00000000"
        "hello\0"        // 110 + 6 = 116, already a multiple of 4
        "hi\n\0"         // 3 bytes of data and one of padding
        "070701"
        "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
        "00000000" "00000000" "00000000" "00000000" "00000000" "0000000b" "00000000"
        "TRAILER!!!\0";
    CpioReader reader(archive, sizeof(archive) - 1);
    CpioEntry entry;
    auto first = reader.next(entry);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first.value());
    EXPECT_EQ(str(entry.name), "hello");
    EXPECT_EQ(entry.ino, 0x11u);
    EXPECT_EQ(entry.mode, 0100644u);
    EXPECT_EQ(entry.size, 3u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(entry.data), 3), "hi\n");
    auto second = reader.next(entry);
    ASSERT_TRUE(second.ok());
    EXPECT_FALSE(second.value());
}

TEST(Cpio, StopsAtTheTrailerAndStaysStopped) {
    std::string archive = build({{"a", 0100644, "x"}});
    // Archives are usually padded with zeros after the trailer (to 512
    // bytes); and whatever follows the trailer is not read.
    archive += std::string(512 - archive.size() % 512, '\0');
    archive += "garbage after the end";
    CpioReader reader(archive.data(), archive.size());
    CpioEntry entry;
    auto first = reader.next(entry);
    ASSERT_TRUE(first.ok() && first.value());
    for (int i = 0; i < 3; ++i) {
        auto after = reader.next(entry);
        ASSERT_TRUE(after.ok());
        EXPECT_FALSE(after.value());
    }
    reader.rewind();
    auto again = reader.next(entry);
    ASSERT_TRUE(again.ok() && again.value());
    EXPECT_EQ(str(entry.name), "a");
}

TEST(Cpio, EmptyArchiveAndMissingTrailer) {
    CpioReader empty(nullptr, 0);
    CpioEntry entry;
    auto none = empty.next(entry);
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none.value());

    // Without a trailer, iteration ends at the end of the data.
    std::string archive = build({{"a", 0100644, "x"}, {"b", 0100644, "yy"}}, false);
    Walk result = walk(reinterpret_cast<const uint8_t*>(archive.data()), archive.size());
    EXPECT_TRUE(result.ended_cleanly);
    EXPECT_EQ(result.entries.size(), 2u);
}

TEST(Cpio, AcceptsTheChecksumVariantAndLowerCaseHex) {
    std::string archive = header(0xabcdef, 0100644, 1, 2, 2, "070702") + "f";
    archive += '\0';
    pad_to_4(archive);
    archive += "ok";
    pad_to_4(archive);
    for (char& c : archive) {
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    CpioReader reader(archive.data(), archive.size());
    CpioEntry entry;
    auto next = reader.next(entry);
    ASSERT_TRUE(next.ok() && next.value());
    EXPECT_EQ(entry.ino, 0xabcdefu);
    EXPECT_EQ(str(entry.name), "f");
}

TEST(Cpio, FindLooksUpByPath) {
    std::string archive = build(sample_files());
    CpioReader reader(archive.data(), archive.size());
    for (const char* path : {"bin/sh", "/bin/sh", "./bin/sh"}) {
        auto found = reader.find(path);
        ASSERT_TRUE(found.ok()) << path;
        EXPECT_EQ(str(found.value().name), "bin/sh");
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(found.value().data), found.value().size),
                  "#!shell binary\x7f" "ELF");
    }
    auto motd = reader.find("etc/motd");
    ASSERT_TRUE(motd.ok());
    EXPECT_EQ(motd.value().size, 8u);
    auto empty = reader.find("empty");
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(empty.value().size, 0u);

    for (const char* path : {"bin/s", "bin/shell", "sh", "TRAILER!!!", "etc", "nope", ""}) {
        auto missing = reader.find(path);
        ASSERT_FALSE(missing.ok()) << path;
        EXPECT_EQ(missing.error(), Errno::enoent) << path;
    }
    auto root = reader.find(".");
    ASSERT_TRUE(root.ok());
    EXPECT_TRUE(root.value().is_directory());

    // find() does not move the iteration.
    CpioEntry entry;
    auto first = reader.next(entry);
    ASSERT_TRUE(first.ok() && first.value());
    EXPECT_EQ(str(entry.name), ".");
    ASSERT_TRUE(reader.find("eeeee").ok());
    auto second = reader.next(entry);
    ASSERT_TRUE(second.ok() && second.value());
    EXPECT_EQ(str(entry.name), "bin");
}

TEST(Cpio, FindReportsAMalformedArchive) {
    std::string archive = build({{"a", 0100644, "1"}, {"b", 0100644, "2"}});
    // Corrupt the magic of the second entry.
    size_t second = archive.find("070701", 1);
    ASSERT_NE(second, std::string::npos);
    std::string broken = archive;
    broken[second] = 'X';
    CpioReader reader(broken.data(), broken.size());
    EXPECT_TRUE(reader.find("a").ok());  // before the damage
    auto b = reader.find("b");
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error(), Errno::einval);
    auto missing = reader.find("zzz");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), Errno::einval);
}

// --- malformed archives ----------------------------------------------------------

// The first next() on `archive` must fail with EINVAL, and keep failing.
void expect_malformed(const std::string& archive) {
    auto bytes = exact_copy(archive, archive.size());
    CpioReader reader(bytes.get(), archive.size());
    CpioEntry entry;
    for (int i = 0; i < 2; ++i) {
        auto next = reader.next(entry);
        ASSERT_FALSE(next.ok());
        EXPECT_EQ(next.error(), Errno::einval);
    }
}

std::string one_file_archive() { return build({{"file", 0100644, "contents"}}); }

TEST(Cpio, RejectsBadMagic) {
    for (const char* magic : {"070707", "070700", "070703", "170701", "07070 ", "XXXXXX"}) {
        SCOPED_TRACE(magic);
        std::string archive = one_file_archive();
        std::memcpy(&archive[0], magic, 6);
        expect_malformed(archive);
    }
    expect_malformed(std::string(200, '\0'));
}

TEST(Cpio, RejectsAnyNonHexDigitInAnyField) {
    for (size_t field = 0; field < 13; ++field) {
        for (char bad : {'g', 'G', 'x', ' ', '\0', '-', '+'}) {
            for (size_t digit : {0, 7}) {
                std::string archive = one_file_archive();
                archive[6 + field * 8 + digit] = bad;
                SCOPED_TRACE("field " + std::to_string(field) + " digit " + std::to_string(digit));
                expect_malformed(archive);
            }
        }
    }
}

TEST(Cpio, RejectsBadNameSizes) {
    auto with_name_size = [](uint32_t name_size, const std::string& rest) {
        return header(1, 0100644, 1, 0, name_size) + rest;
    };
    expect_malformed(with_name_size(0, std::string(16, '\0')));               // no name at all
    expect_malformed(with_name_size(0xffffffff, "name" + std::string(12, '\0')));  // far past the end
    expect_malformed(with_name_size(0x80000000, std::string(16, '\0')));
    expect_malformed(with_name_size(5, "name"));                           // one byte past the end
    expect_malformed(with_name_size(4, std::string("name") + '\0' + "pad"));  // NUL not where namesize says
    expect_malformed(with_name_size(5, std::string("na\0e", 4) + '\0' + "pad"));  // NUL inside the name
}

TEST(Cpio, RejectsDataRunningPastTheEnd) {
    auto archive_with_size = [](uint32_t file_size, size_t data_bytes) {
        std::string archive = header(1, 0100644, 1, file_size, 2) + "f";
        archive += '\0';  // 112 bytes: aligned
        return archive + std::string(data_bytes, 'd');
    };
    // Control: exactly enough data.
    {
        std::string archive = archive_with_size(8, 8);
        Walk result = walk(reinterpret_cast<const uint8_t*>(archive.data()), archive.size());
        EXPECT_TRUE(result.ended_cleanly);
        EXPECT_EQ(result.entries.size(), 1u);
    }
    expect_malformed(archive_with_size(9, 8));
    expect_malformed(archive_with_size(0xffffffff, 8));
    expect_malformed(archive_with_size(0xfffffffc, 8));
    expect_malformed(archive_with_size(0x80000000, 8));
}

TEST(Cpio, ErrorsAreSticky) {
    // One good entry, then a header with a non-hex field.
    std::string broken = build({{"a", 0100644, "1"}}, false) + "070701nothex";
    CpioReader reader(broken.data(), broken.size());
    CpioEntry entry;
    auto first = reader.next(entry);
    ASSERT_TRUE(first.ok() && first.value());
    for (int i = 0; i < 3; ++i) {
        auto next = reader.next(entry);
        ASSERT_FALSE(next.ok());
        EXPECT_EQ(next.error(), Errno::einval);
    }
}

// --- truncation and corruption ------------------------------------------------------

TEST(Cpio, TruncationAtEveryLength) {
    std::vector<File> files = sample_files();
    std::string archive = build(files);

    // Where each entry's data ends and where the next entry starts.
    std::vector<size_t> data_end;
    std::vector<size_t> entry_start;
    std::string prefix;
    for (const File& file : files) {
        entry_start.push_back(prefix.size());
        append_entry(prefix, file);
        size_t padding = (4 - file.data.size() % 4) % 4;
        data_end.push_back(prefix.size() - padding);
    }
    size_t trailer_start = prefix.size();
    size_t trailer_name_end = trailer_start + 110 + 11;

    for (size_t length = 0; length <= archive.size(); ++length) {
        SCOPED_TRACE("length " + std::to_string(length));
        auto bytes = exact_copy(archive, length);
        Walk result = walk(bytes.get(), length);

        // Exactly the entries whose data is wholly present are returned,
        // each correct.
        size_t complete = 0;
        while (complete < files.size() && data_end[complete] <= length) ++complete;
        ASSERT_EQ(result.entries.size(), complete);
        for (size_t i = 0; i < complete; ++i) expect_entry(result.entries[i], files[i]);

        // It ends cleanly only if nothing of a following header is present
        // (a cut between entries, or in the last one's padding) or the
        // trailer was read; otherwise the archive is reported malformed.
        size_t next_start = complete < files.size() ? entry_start[complete] : trailer_start;
        bool clean = length <= next_start || length >= trailer_name_end;
        EXPECT_EQ(result.ended_cleanly, clean);
        if (!clean) {
            EXPECT_EQ(result.error, Errno::einval);
        }

        // find() on the truncated archive never returns a damaged file.
        CpioReader reader(bytes.get(), length);
        for (size_t i = 0; i < files.size(); ++i) {
            auto found = reader.find(files[i].name.c_str());
            if (i < complete) {
                ASSERT_TRUE(found.ok()) << files[i].name;
                expect_entry(found.value(), files[i]);
            } else {
                ASSERT_FALSE(found.ok()) << files[i].name;
                EXPECT_EQ(found.error(), clean ? Errno::enoent : Errno::einval);
            }
        }
    }
}

TEST(Cpio, RandomCorruptionNeverReadsOutOfBounds) {
    std::vector<File> files = sample_files();
    std::string archive = build(files);
    std::mt19937 random(31337);
    const char replacements[] = "0123456789abcdefABCDEFgxX \xff";
    int errors = 0;
    for (int iteration = 0; iteration < 20000; ++iteration) {
        std::string damaged = archive;
        for (int i = static_cast<int>(random() % 4) + 1; i > 0; --i) {
            size_t where = random() % damaged.size();
            damaged[where] = random() % 2 ? replacements[random() % (sizeof(replacements) - 1)]
                                          : static_cast<char>(random());
        }
        size_t length = random() % 3 == 0 ? random() % (damaged.size() + 1) : damaged.size();
        auto bytes = exact_copy(damaged, length);
        // walk() checks every entry lies inside the buffer and that
        // iteration ends; ASan checks every read.
        Walk result = walk(bytes.get(), length);
        if (!result.ended_cleanly) {
            ++errors;
            EXPECT_EQ(result.error, Errno::einval);
        }
        if (HasFailure()) return;
    }
    EXPECT_GT(errors, 1000) << "the corruption should often be detected";
}

}  // namespace
