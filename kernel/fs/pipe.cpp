#include "kernel/fs/pipe.h"

#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/wait_queue.h"
#include "libk/new.h"
#include "libk/utility.h"

namespace fs {

namespace {

// Shared by both ends. `lock` (a sleeping mutex: copies to and from user
// memory may fault) guards the ring and the end counts.
struct Pipe {
    ksync::Mutex lock;
    uint8_t* buffer = nullptr;
    size_t head = 0;   // next byte to read
    size_t count = 0;  // bytes in the ring
    unsigned readers = 1;
    unsigned writers = 1;
    ksync::WaitQueue can_read;
    ksync::WaitQueue can_write;
    unsigned ends = 2;  // open File objects; the last one frees the pipe

    size_t free_space() const { return kPipeCapacity - count; }
};

bool interrupted() {
    proc::UserThread* self = proc::current_user_thread();
    return self != nullptr && proc::signal_pending(*self);
}

class PipeEnd final : public File {
public:
    PipeEnd(Pipe* pipe, bool read_end) : pipe_(pipe), read_end_(read_end) {}

    k::Result<size_t> read(const IoVec* vectors, size_t count, uint64_t&) override {
        if (!read_end_) return k::error(k::Errno::ebadf);
        const size_t wanted = TRY(total_length(vectors, count));
        if (wanted == 0) return 0;
        for (;;) {
            (void)pipe_->lock.lock();
            if (pipe_->count > 0) break;
            const bool no_writers = pipe_->writers == 0;
            pipe_->lock.unlock();
            if (no_writers) return 0;  // end of file
            if (non_blocking()) return k::error(k::Errno::eagain);
            Pipe* pipe = pipe_;
            pipe_->can_read.wait_until([pipe] {
                return __atomic_load_n(&pipe->count, __ATOMIC_ACQUIRE) > 0 ||
                       __atomic_load_n(&pipe->writers, __ATOMIC_ACQUIRE) == 0 || interrupted();
            });
            if (interrupted()) return k::error(k::Errno::eintr);
        }
        // Locked, with data.
        size_t done = 0;
        k::Errno failure{};
        for (size_t i = 0; i < count && pipe_->count > 0; ++i) {
            uint64_t offset = 0;
            while (offset < vectors[i].length && pipe_->count > 0) {
                const size_t contiguous = k::min(pipe_->count, kPipeCapacity - pipe_->head);
                const size_t chunk = k::min<uint64_t>(contiguous, vectors[i].length - offset);
                auto copied = mm::copy_to_user(vectors[i].base + offset, pipe_->buffer + pipe_->head, chunk);
                if (!copied.ok()) {
                    failure = copied.error();
                    break;
                }
                pipe_->head = (pipe_->head + chunk) % kPipeCapacity;
                __atomic_store_n(&pipe_->count, pipe_->count - chunk, __ATOMIC_RELEASE);
                offset += chunk;
                done += chunk;
            }
            if (failure != k::Errno{}) break;
        }
        pipe_->lock.unlock();
        pipe_->can_write.wake_all();
        if (done == 0 && failure != k::Errno{}) return k::error(failure);
        return done;
    }

    k::Result<size_t> write(const IoVec* vectors, size_t count, uint64_t&) override {
        if (read_end_) return k::error(k::Errno::ebadf);
        const size_t total = TRY(total_length(vectors, count));
        if (total == 0) return 0;
        // Writes of at most PIPE_BUF bytes go in whole or not at all.
        const size_t atomic_need = total <= kPipeAtomicWrite ? total : 1;
        size_t done = 0;
        size_t vector = 0;
        uint64_t offset = 0;
        while (done < total) {
            (void)pipe_->lock.lock();
            if (pipe_->readers == 0) {
                pipe_->lock.unlock();
                // No reader will ever take this: SIGPIPE, and EPIPE.
                proc::UserThread* self = proc::current_user_thread();
                if (self != nullptr) (void)proc::send_to_thread(self->process->pid, self->tid, proc::kSigPipe, 0);
                if (done > 0) return done;
                return k::error(k::Errno::epipe);
            }
            if (pipe_->free_space() < (done == 0 ? atomic_need : 1)) {
                pipe_->lock.unlock();
                if (non_blocking()) {
                    if (done > 0) return done;
                    return k::error(k::Errno::eagain);
                }
                Pipe* pipe = pipe_;
                const size_t need = done == 0 ? atomic_need : 1;
                pipe_->can_write.wait_until([pipe, need] {
                    return kPipeCapacity - __atomic_load_n(&pipe->count, __ATOMIC_ACQUIRE) >= need ||
                           __atomic_load_n(&pipe->readers, __ATOMIC_ACQUIRE) == 0 || interrupted();
                });
                if (interrupted()) {
                    if (done > 0) return done;
                    return k::error(k::Errno::eintr);
                }
                continue;
            }
            while (pipe_->free_space() > 0 && vector < count) {
                if (offset == vectors[vector].length) {
                    ++vector;
                    offset = 0;
                    continue;
                }
                const size_t tail = (pipe_->head + pipe_->count) % kPipeCapacity;
                const size_t contiguous = k::min(pipe_->free_space(), kPipeCapacity - tail);
                const size_t chunk = k::min<uint64_t>(contiguous, vectors[vector].length - offset);
                auto copied = mm::copy_from_user(pipe_->buffer + tail, vectors[vector].base + offset, chunk);
                if (!copied.ok()) {
                    pipe_->lock.unlock();
                    pipe_->can_read.wake_all();
                    if (done > 0) return done;
                    return k::error(copied.error());
                }
                __atomic_store_n(&pipe_->count, pipe_->count + chunk, __ATOMIC_RELEASE);
                offset += chunk;
                done += chunk;
            }
            pipe_->lock.unlock();
            pipe_->can_read.wake_all();
        }
        return done;
    }

    k::Result<void> stat(Stat& out) override {
        out = Stat{};
        out.dev = 12;
        out.ino = reinterpret_cast<uint64_t>(pipe_) >> 4;
        out.nlink = 1;
        out.mode = 0010600;  // FIFO
        out.blksize = 4096;
        return {};
    }

private:
    void destroy() override {
        Pipe* pipe = pipe_;
        (void)pipe->lock.lock();
        if (read_end_) {
            __atomic_store_n(&pipe->readers, pipe->readers - 1, __ATOMIC_RELEASE);
        } else {
            __atomic_store_n(&pipe->writers, pipe->writers - 1, __ATOMIC_RELEASE);
        }
        pipe->lock.unlock();
        // Wake the other end's sleepers (EOF, or EPIPE) while this end still
        // counts: the pipe cannot be freed under the wake-up.
        pipe->can_read.wake_all();
        pipe->can_write.wake_all();
        (void)pipe->lock.lock();
        const bool last = --pipe->ends == 0;
        pipe->lock.unlock();
        if (last) {
            mm::kfree(pipe->buffer);
            pipe->~Pipe();
            mm::kfree(pipe);
        }
        this->~PipeEnd();
        mm::kfree(this);
    }

    Pipe* pipe_;
    bool read_end_;
};

}  // namespace

k::Result<PipeEnds> create_pipe(uint32_t flags) {
    void* memory = mm::kzalloc(sizeof(Pipe));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    Pipe* pipe = new (memory) Pipe();
    pipe->buffer = static_cast<uint8_t*>(mm::kmalloc(kPipeCapacity));
    void* read_memory = mm::kzalloc(sizeof(PipeEnd));
    void* write_memory = mm::kzalloc(sizeof(PipeEnd));
    if (pipe->buffer == nullptr || read_memory == nullptr || write_memory == nullptr) {
        mm::kfree(pipe->buffer);
        mm::kfree(read_memory);
        mm::kfree(write_memory);
        pipe->~Pipe();
        mm::kfree(pipe);
        return k::error(k::Errno::enomem);
    }
    File* read_end = new (read_memory) PipeEnd(pipe, true);
    File* write_end = new (write_memory) PipeEnd(pipe, false);
    read_end->status_flags = kOpenReadOnly | (flags & kOpenNonBlock);
    write_end->status_flags = kOpenWriteOnly | (flags & kOpenNonBlock);
    return PipeEnds{read_end, write_end};
}

}  // namespace fs
