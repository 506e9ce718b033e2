#pragma once
// pipe(2): a 64 KiB ring buffer with a read end and a write end.
#include "kernel/fs/file.h"
#include "libk/result.h"

namespace fs {

constexpr size_t kPipeCapacity = 65536;  // Linux's default pipe size
constexpr size_t kPipeAtomicWrite = 4096;  // PIPE_BUF: writes up to this size are not interleaved

struct PipeEnds {
    File* read_end;
    File* write_end;
};
k::Result<PipeEnds> create_pipe(uint32_t flags);

}  // namespace fs
