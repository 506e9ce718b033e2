// execve(2) and the program loader.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/user_mode.h"
#include "kernel/fs/initrd_fs.h"
#include "kernel/log.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/proc/user_entry.h"
#include "kernel/random.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "libk/elf.h"
#include "libk/initial_stack.h"
#include "libk/string.h"

namespace proc {

namespace {

// Where things go in a new address space (like Linux's defaults, without
// randomisation): the stack just below the top of the user half, mmap
// below a gap under the stack limit, static-PIE programs at 0x555555554000
// as Linux puts PIE binaries.
constexpr uint64_t kStackTop = 0x0000'7fff'ffff'e000;
constexpr uint64_t kStackGap = uint64_t{16} << 20;
constexpr uint64_t kPieBase = 0x0000'5555'5555'4000;
constexpr size_t kArgumentSpace = 256 * 1024;  // argv + envp + auxv, bytes (Linux: a quarter of the stack)

uint32_t prot_of(const k::ElfSegment& segment) {
    uint32_t prot = 0;
    if (segment.readable()) prot |= mm::kProtRead;
    if (segment.writable()) prot |= mm::kProtWrite;
    if (segment.executable()) prot |= mm::kProtExec;
    return prot;
}

k::Result<void> map_segment(mm::AddressSpace& space, const k::ElfSegment& segment, uint64_t bias,
                            const uint8_t* file) {
    const uint64_t vaddr = segment.vaddr + bias;
    const uint64_t start = k::align_down(vaddr, mm::kPageSize);
    const uint64_t lead = vaddr - start;
    const uint64_t file_end = k::align_up(vaddr + segment.filesz, mm::kPageSize);
    const uint64_t memory_end = k::align_up(vaddr + segment.memsz, mm::kPageSize);
    const uint32_t prot = prot_of(segment);
    if (segment.filesz > 0) {
        // The pages holding file bytes are filled from the file on first
        // touch; the object ends at p_filesz, so the rest of the last page
        // (the start of .bss) reads as zero.
        mm::MemoryObject* object = TRY(mm::create_file_object(file + segment.offset - lead, lead + segment.filesz));
        auto mapped = space.map(start, file_end - start, prot, 0, object, 0, true);
        mm::object_put(object);
        TRY(mapped);
    }
    const uint64_t zero_start = segment.filesz > 0 ? file_end : start;
    if (memory_end > zero_start) {
        TRY(space.map(zero_start, memory_end - zero_start, prot, mm::kRegionAnonymous, nullptr, 0, true));
    }
    return {};
}

const char* base_name(const char* path) {
    const char* name = path;
    for (const char* p = path; *p != '\0'; ++p) {
        if (*p == '/' && p[1] != '\0') name = p + 1;
    }
    return name;
}

// The thread's user state for the first instruction of a new program: the
// entry frame, no TLS, a clean FPU, and the process named after the file.
void begin_program(Process& process, UserThread& thread, const LoadedProgram& program, const char* path,
                   arch::InterruptFrame& frame) {
    frame = arch::make_user_frame(program.entry, program.stack_pointer);
    thread.fs_base = 0;
    thread.clear_child_tid = 0;
    thread.robust_list = 0;
    arch::fpu_state_init(thread.fpu_state);
    const char* name = base_name(path);
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < sizeof process.name; ++i) process.name[i] = name[i];
    process.name[i] = '\0';
}

}  // namespace

k::Result<LoadedProgram> load_program(const char* path, const char* const* argv, size_t argc,
                                      const char* const* envp, size_t envc, uint64_t stack_limit) {
    const k::InitrdNode* node = TRY(fs::lookup(path));
    if (node->is_directory()) return k::error(k::Errno::eacces);
    if (!node->is_regular() || (node->mode & 0111) == 0) return k::error(k::Errno::eacces);
    const k::ElfImage image = TRY(k::parse_elf_executable(node->data, node->size));

    mm::AddressSpace* space = TRY(mm::AddressSpace::create());
    auto fail = [space](k::Errno error) -> k::Result<LoadedProgram> {
        space->put();
        return k::error(error);
    };
    space->lock().down_write();
    const uint64_t bias = image.needs_load_bias ? kPieBase : 0;
    uint64_t highest = 0;
    for (size_t i = 0; i < image.segment_count; ++i) {
        auto mapped = map_segment(*space, image.segments[i], bias, node->data);
        if (!mapped.ok()) {
            space->lock().up_write();
            return fail(mapped.error() == k::Errno::enomem ? k::Errno::enomem : k::Errno::enoexec);
        }
        highest = k::max(highest, image.segments[i].end() + bias);
    }
    // The stack: RLIMIT_STACK of demand-zero memory below kStackTop.
    const uint64_t stack_size = k::align_up(k::min<uint64_t>(stack_limit, uint64_t{1} << 30), mm::kPageSize);
    const uint64_t stack_bottom = kStackTop - stack_size;
    auto stack = space->map(stack_bottom, stack_size, mm::kProtRead | mm::kProtWrite,
                            mm::kRegionAnonymous | mm::kRegionGrowsDown, nullptr, 0, true);
    space->brk_start = space->brk_end = k::align_up(highest, mm::kPageSize);
    space->mmap_top = stack_bottom - kStackGap;
    space->lock().up_write();
    if (!stack.ok()) return fail(k::Errno::enomem);

    // argv, envp and the auxiliary vector (psABI §3.4.1), built in a kernel
    // buffer that mirrors the top of the new stack, then copied there.
    k::StringView* strings = static_cast<k::StringView*>(mm::kmalloc((argc + envc + 1) * sizeof(k::StringView)));
    uint8_t* buffer = static_cast<uint8_t*>(mm::kmalloc(kArgumentSpace));
    if (strings == nullptr || buffer == nullptr) {
        mm::kfree(strings);
        mm::kfree(buffer);
        return fail(k::Errno::enomem);
    }
    for (size_t i = 0; i < argc; ++i) strings[i] = k::StringView(argv[i]);
    for (size_t i = 0; i < envc; ++i) strings[argc + i] = k::StringView(envp[i]);
    uint8_t random[k::kAtRandomSize];
    kernel::random_bytes(random, sizeof random);
    const uint64_t hwcap = arch::cpuid(1).edx;
    const k::AuxvEntry auxv[] = {
        {k::kAtPhdr, image.phdr_in_memory ? image.phdr_vaddr + bias : 0},
        {k::kAtPhent, image.phentsize},
        {k::kAtPhnum, image.phnum},
        {k::kAtPagesz, mm::kPageSize},
        {k::kAtBase, 0},
        {k::kAtFlags, 0},
        {k::kAtEntry, image.entry + bias},
        {k::kAtUid, 0},
        {k::kAtEuid, 0},
        {k::kAtGid, 0},
        {k::kAtEgid, 0},
        {k::kAtHwcap, hwcap},
        {k::kAtClktck, 100},
        {k::kAtSecure, 0},
    };
    k::InitialStackContents contents{};
    contents.argv = strings;
    contents.argc = argc;
    contents.envp = strings + argc;
    contents.envc = envc;
    contents.auxv = auxv;
    contents.auxc = sizeof auxv / sizeof auxv[0];
    contents.random_bytes = random;
    contents.execfn = k::StringView(path);
    contents.platform = "x86_64";
    auto built = k::build_initial_stack(kStackTop, buffer, kArgumentSpace, contents);
    k::Result<void> written{};
    if (built.ok()) {
        const k::InitialStack& layout = built.value();
        written = space->write_remote(layout.rsp, buffer + kArgumentSpace - layout.size, layout.size);
    }
    mm::kfree(strings);
    mm::kfree(buffer);
    if (!built.ok()) return fail(built.error());
    if (!written.ok()) return fail(k::Errno::enomem);
    return LoadedProgram{space, image.entry + bias, built.value().rsp};
}

k::Result<void> load_program(Process& process, UserThread& thread, const char* path, const char* const* argv,
                             size_t argc, const char* const* envp, size_t envc, arch::InterruptFrame& frame) {
    LoadedProgram program = TRY(load_program(path, argv, argc, envp, envc, process.limits[kRlimitStack].current));
    if (process.address_space != nullptr) process.address_space->put();
    process.address_space = program.space;
    program.space->address_space_limit = process.limits[kRlimitAs].current;
    begin_program(process, thread, program, path, frame);
    return {};
}

// execve in a multi-threaded process: every other thread exits first, and
// the caller takes over the process id as its thread id (Linux's de_thread).
k::Result<void> end_other_threads(Process& process, UserThread& self) {
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(tree_lock());
        if (process.live_threads == 1) return {};
        if (process.exec_thread != nullptr || process.group_exiting) return k::error(k::Errno::eagain);
        __atomic_store_n(&process.exec_thread, &self, __ATOMIC_RELEASE);
        for (UserThread& thread : process.threads) {
            if (&thread != &self && thread.thread != nullptr) sched::wake_up(thread.thread);
        }
    }
    process.thread_exits.wait_until([&process] { return __atomic_load_n(&process.live_threads, __ATOMIC_ACQUIRE) == 1; });
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    __atomic_store_n(&process.exec_thread, static_cast<UserThread*>(nullptr), __ATOMIC_RELEASE);
    if (self.tid != process.pid) {
        release_thread_id(self.tid);
        self.tid = process.pid;
    }
    return {};
}

k::Result<void> execve(const char* path, const char* const* argv, size_t argc, const char* const* envp, size_t envc,
                       arch::InterruptFrame& frame) {
    UserThread* self = current_user_thread();
    Process* process = self->process;
    LoadedProgram program = TRY(load_program(path, argv, argc, envp, envc, process->limits[kRlimitStack].current));
    program.space->address_space_limit = process->limits[kRlimitAs].current;
    // Handlers shared with another process (CLONE_SIGHAND without
    // CLONE_THREAD) are unshared, since they are about to be reset: the copy
    // is made now, while failing is still possible.
    SignalHandlers* own_handlers = nullptr;
    if (__atomic_load_n(&process->handlers->references, __ATOMIC_ACQUIRE) > 1) {
        auto copy = copy_handlers(process->handlers);
        if (!copy.ok()) {
            program.space->put();
            return k::error(copy.error());
        }
        own_handlers = copy.value();
    }
    if (auto alone = end_other_threads(*process, *self); !alone.ok()) {
        program.space->put();
        if (own_handlers != nullptr) put_handlers(own_handlers);
        return alone;
    }

    // The point of no return: switch this thread to the new program.
    sched::Thread* thread = sched::current_thread();
    mm::AddressSpace* old = thread->address_space;
    program.space->get();  // the thread's reference; the process holds the creation one
    {
        kernel::IrqSaveGuard irq;
        old->deactivate_on_this_cpu();
        thread->address_space = program.space;
        program.space->activate_on_this_cpu();
    }
    mm::AddressSpace* process_old = process->address_space;
    process->address_space = program.space;
    old->put();
    process_old->put();

    process->files->close_all_on_exec();
    // Caught signals return to SIG_DFL, ignored ones stay ignored (execve(2)).
    if (own_handlers != nullptr) {
        put_handlers(process->handlers);
        process->handlers = own_handlers;
    }
    for (SignalAction& action : process->handlers->actions) {
        if (action.handler != kSigIgnore) action = SignalAction{};
    }
    begin_program(*process, *self, program, path, frame);
    // This thread is running: load what begin_program reset.
    arch::set_fs_base(0);
    arch::fpu_restore(self->fpu_state);
    // A vfork parent may go on now.
    __atomic_store_n(&process->vfork_done, 1, __ATOMIC_RELEASE);
    process->vfork_waiters.wake_all();
    return {};
}

}  // namespace proc
