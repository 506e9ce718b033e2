#include "kernel/fs/console_file.h"

#include "kernel/console.h"
#include "kernel/drivers/console_input.h"
#include "kernel/drivers/line_discipline.h"
#include "kernel/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/wait_queue.h"
#include "libk/new.h"

namespace fs {

namespace {

ksync::SpinLock line_lock;  // the line discipline; interrupts off
drivers::LineDiscipline line;
ksync::WaitQueue readers;
int foreground_group = 1;

class ConsoleEcho final : public drivers::EchoSink {
public:
    void echo(const char* s, size_t n) override { kernel::console_write(kernel::LogLevel::Raw, s, n); }
};

// Moves bytes from the input queue through the line discipline. A thread,
// not the interrupt, because echoing draws on the framebuffer.
void tty_main(void*) {
    ConsoleEcho echo;
    for (;;) {
        uint8_t bytes[64];
        const size_t count = drivers::console_input().read(bytes, sizeof bytes);
        for (size_t i = 0; i < count; ++i) {
            drivers::InputResult result;
            {
                // Echo happens inside: console_write has its own lock and
                // never sleeps.
                kernel::SpinLockIrqSave guard(line_lock);
                result = line.feed(static_cast<char>(bytes[i]), echo);
            }
            if (result == drivers::InputResult::Readable) readers.wake_all();
            if (result == drivers::InputResult::Interrupt) (void)proc::send_to_group(foreground_group, proc::kSigInt, 0);
            if (result == drivers::InputResult::Quit) (void)proc::send_to_group(foreground_group, proc::kSigQuit, 0);
        }
    }
}

class ConsoleFile final : public File {
public:
    k::Result<size_t> read(const IoVec* vectors, size_t count, uint64_t&) override {
        // Canonical mode: one line per read, into the first non-empty segment
        // onwards.
        char buffer[256];
        size_t total = TRY(total_length(vectors, count));
        if (total == 0) return 0;
        proc::UserThread* self = proc::current_user_thread();
        bool interrupted = false;
        size_t got = 0;
        for (;;) {
            {
                kernel::SpinLockIrqSave guard(line_lock);
                if (line.readable()) {
                    got = line.read(buffer, total < sizeof buffer ? total : sizeof buffer);
                    break;
                }
            }
            if (non_blocking()) return k::error(k::Errno::eagain);
            readers.wait_until([self] { return line_readable() || (self != nullptr && proc::signal_pending(*self)); });
            if (self != nullptr && proc::signal_pending(*self)) {
                interrupted = true;
                break;
            }
        }
        if (interrupted) return k::error(k::Errno::eintr);
        size_t done = 0;
        for (size_t i = 0; i < count && done < got; ++i) {
            const size_t chunk = vectors[i].length < got - done ? vectors[i].length : got - done;
            TRY(mm::copy_to_user(vectors[i].base, buffer + done, chunk));
            done += chunk;
        }
        return done;
    }

    k::Result<size_t> write(const IoVec* vectors, size_t count, uint64_t&) override {
        TRY(total_length(vectors, count));
        size_t done = 0;
        char buffer[256];
        for (size_t i = 0; i < count; ++i) {
            for (uint64_t offset = 0; offset < vectors[i].length;) {
                const size_t chunk = vectors[i].length - offset < sizeof buffer ? vectors[i].length - offset
                                                                                : sizeof buffer;
                auto copied = mm::copy_from_user(buffer, vectors[i].base + offset, chunk);
                if (!copied.ok()) {
                    if (done == 0) return k::error(copied.error());
                    return done;
                }
                kernel::console_write(kernel::LogLevel::Raw, buffer, chunk);
                offset += chunk;
                done += chunk;
            }
        }
        return done;
    }

    k::Result<void> stat(Stat& out) override {
        out = Stat{};
        out.dev = 5;
        out.ino = 1;
        out.nlink = 1;
        out.mode = 0020620;  // character device, rw--w----
        out.rdev = (5u << 8) | 1;  // /dev/console
        out.blksize = 1024;
        return {};
    }

    k::Result<int64_t> ioctl(uint64_t request, uint64_t argument) override {
        constexpr uint64_t kTcgets = 0x5401, kTiocgwinsz = 0x5413, kTiocgpgrp = 0x540f, kTiocspgrp = 0x5410;
        switch (request) {
            case kTiocgwinsz: {
                // struct winsize: rows, columns, pixel sizes.
                const uint16_t size[4] = {25, 80, 0, 0};
                TRY(mm::copy_to_user(argument, size, sizeof size));
                return 0;
            }
            case kTcgets: {
                // A plausible struct termios (60 bytes) in canonical mode
                // with echo, so isatty() and line-buffered stdio work.
                uint8_t termios[60] = {};
                const uint32_t iflag = 0x500, oflag = 0x5, cflag = 0xbf, lflag = 0x8a3b;
                __builtin_memcpy(termios + 0, &iflag, 4);
                __builtin_memcpy(termios + 4, &oflag, 4);
                __builtin_memcpy(termios + 8, &cflag, 4);
                __builtin_memcpy(termios + 12, &lflag, 4);
                TRY(mm::copy_to_user(argument, termios, sizeof termios));
                return 0;
            }
            case kTiocgpgrp: {
                TRY(mm::put_user<int32_t>(argument, foreground_group));
                return 0;
            }
            case kTiocspgrp: {
                foreground_group = TRY(mm::get_user<int32_t>(argument));
                return 0;
            }
            default: return k::error(k::Errno::enotty);
        }
    }

    static bool line_readable() {
        kernel::SpinLockIrqSave guard(line_lock);
        return line.readable();
    }

private:
    void destroy() override {
        this->~ConsoleFile();
        mm::kfree(this);
    }
};

}  // namespace

void console_file_init() {
    sched::ThreadOptions options{};
    options.name = "tty";
    options.detached = true;
    if (!sched::thread_create(tty_main, nullptr, options).ok()) log_error("fs: cannot start the tty thread");
}

k::Result<File*> open_console() {
    void* memory = mm::kzalloc(sizeof(ConsoleFile));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    File* file = new (memory) ConsoleFile();
    file->status_flags = kOpenReadWrite;
    return file;
}

void set_console_foreground_group(int pgid) { foreground_group = pgid; }
int console_foreground_group() { return foreground_group; }

}  // namespace fs
