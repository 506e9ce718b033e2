#pragma once
// The stack a new process starts with: what execve() leaves at the top of
// the user stack for the C runtime's _start (psABI §3.4.1, Figure 3.9
// "Initial Process Stack"; Linux fs/binfmt_elf.c create_elf_tables() builds
// the same picture). From the initial RSP upwards:
//
//   rsp ->  argc                          8 bytes; rsp is a multiple of 16
//           argv[0] ... argv[argc-1]      pointers to the strings below
//           0
//           envp[0] ... envp[envc-1]
//           0
//           auxv: (type, value) pairs     the caller's, then AT_RANDOM,
//           ...                           AT_EXECFN, AT_PLATFORM (if given),
//           AT_NULL, 0                    and the terminating pair
//           padding (zeros)               so that rsp comes out 16-aligned
//           16 random bytes               AT_RANDOM points here (16-aligned)
//           platform string               AT_PLATFORM points here
//           argv strings, envp strings    each NUL-terminated, argv[0] lowest
//           exec file name                AT_EXECFN points here
//           8 zero bytes                  end marker, as Linux writes
//   stack_top
//
// The builder writes into a kernel-side buffer that mirrors the top of the
// user stack: buffer[capacity - 1] is the byte at user address stack_top - 1.
// It computes user addresses but never dereferences one, so it runs the same
// in the kernel (buffer = the stack's top pages through the direct map) and
// in the host tests (buffer = an array).
#include <stddef.h>
#include <stdint.h>

#include "libk/elf.h"
#include "libk/result.h"
#include "libk/string_view.h"

namespace k {

struct AuxvEntry {
    uint64_t type;   // kAt*
    uint64_t value;
};

struct InitialStackContents {
    // Copied as given, each followed by a NUL (so they must not contain one).
    const StringView* argv = nullptr;
    size_t argc = 0;
    const StringView* envp = nullptr;
    size_t envc = 0;
    // The entries whose values do not point into the stack (AT_PHDR,
    // AT_ENTRY, AT_PAGESZ, ...). The builder adds the pointer-valued ones
    // itself - AT_RANDOM, AT_EXECFN, AT_PLATFORM - and AT_NULL; passing any
    // of those four here is an error (EINVAL).
    const AuxvEntry* auxv = nullptr;
    size_t auxc = 0;
    const uint8_t* random_bytes = nullptr;  // 16 bytes for AT_RANDOM (the C library seeds its stack canary from them)
    StringView execfn;    // the path given to execve(), for AT_EXECFN
    StringView platform;  // for AT_PLATFORM, e.g. "x86_64"; empty: no AT_PLATFORM entry
};

constexpr size_t kAtRandomSize = 16;

struct InitialStack {
    uint64_t rsp = 0;   // user address of argc, 16-byte aligned: the new thread's RSP
    size_t size = 0;    // bytes used, stack_top - rsp; the buffer's last `size` bytes hold them
};

// Lays out `contents` below the user address `stack_top` (see above), writing
// the bytes into the last bytes of buffer[0, capacity). E2BIG if they do not
// fit in `capacity` bytes (or below stack_top); EINVAL for a missing
// random_bytes or a reserved auxv type.
Result<InitialStack> build_initial_stack(uint64_t stack_top, uint8_t* buffer, size_t capacity,
                                         const InitialStackContents& contents);

}  // namespace k
