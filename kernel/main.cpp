// kernel_main: from the boot code's hand-off to a running kernel.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/cpu_init.h"
#include "arch/x86_64/qemu_exit.h"
#include "arch/x86_64/serial.h"
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/drivers/console_input.h"
#include "kernel/drivers/fb_console.h"
#include "kernel/irq/irq.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/panic.h"
#include "kernel/platform.h"
#include "kernel/smp.h"
#include "kernel/smp_call.h"
#include "kernel/sched/scheduler.h"
#include "kernel/test/bench_runner.h"
#include "kernel/time/timers.h"
#include "kernel/test/runner.h"
#include "kernel/proc/process.h"
#include "kernel/proc/user_entry.h"
#include "kernel/fs/initrd_fs.h"
#include "kernel/fs/console_file.h"
#include "arch/x86_64/qemu_exit.h"
#include "libk/string.h"

extern "C" void (*const __init_array_start[])();
extern "C" void (*const __init_array_end[])();

namespace {

drivers::FbConsole framebuffer_console;

void run_global_constructors() {
    for (auto constructor = __init_array_start; constructor < __init_array_end; ++constructor) (*constructor)();
}

// Text on the framebuffer the loader set up, if it is one we can draw on
// (direct colour; EGA text mode and palettes are left alone).
void attach_framebuffer_console(const k::BootInfo& info) {
    const k::FramebufferInfo& fb = info.framebuffer;
    if (!fb.present || fb.type != k::FramebufferType::Rgb) return;
    drivers::FramebufferInfo description;
    description.base = mm::phys_to_virt<uint8_t>(fb.phys_address);
    description.width = fb.width;
    description.height = fb.height;
    description.pitch = fb.pitch;
    description.bits_per_pixel = fb.bpp;
    description.red_shift = fb.red_shift;
    description.red_bits = fb.red_size;
    description.green_shift = fb.green_shift;
    description.green_bits = fb.green_size;
    description.blue_shift = fb.blue_shift;
    description.blue_bits = fb.blue_size;
    auto result = framebuffer_console.init(description);
    if (!result.ok()) {
        log_warn("console: framebuffer not usable (%s)", k::errno_name(result.error()));
        return;
    }
    framebuffer_console.clear();
    kernel::console_attach_framebuffer(&framebuffer_console);
}

// Each application processor ends its start-up here: it becomes that
// CPU's idle thread.
[[noreturn]] void application_cpu_idle() {
    sched::scheduler_init_this_cpu();
    sched::idle_loop();
}

void print_banner() {
    const arch::CpuFeatures& cpu = arch::cpu_features();
    kernel::log(kernel::LogLevel::Info, "teachos: x86-64 teaching microkernel, booting on %s (%s)",
                cpu.brand[0] ? cpu.brand : "an unnamed CPU", cpu.vendor);
}

// Pid 1: /bin/init, or the program named by init= (Linux's meaning), with
// init_args= (comma-separated) as its further arguments.
void start_user_space(const k::CommandLine& cmdline) {
    static char path[256] = "/bin/init";
    static char arguments[512];
    static const char* argv[16] = {path};
    size_t argc = 1;
    if (k::StringView init; cmdline.get("init", init) && init.size() < sizeof path) {
        memcpy(path, init.data(), init.size());
        path[init.size()] = '\0';
    }
    if (k::StringView extra; cmdline.get("init_args", extra) && extra.size() < sizeof arguments) {
        memcpy(arguments, extra.data(), extra.size());
        arguments[extra.size()] = '\0';
        char* word = arguments;
        for (char* p = arguments;; ++p) {
            if (*p == ',' || *p == '\0') {
                const bool end = *p == '\0';
                *p = '\0';
                if (*word != '\0' && argc + 1 < sizeof argv / sizeof argv[0]) argv[argc++] = word;
                if (end) break;
                word = p + 1;
            }
        }
    }
    fs::console_file_init();
    auto started = proc::start_init(path, argv, argc);
    if (!started.ok()) {
        log_error("cannot start %s: %s; nothing to run", path, k::errno_name(started.error()));
        if (cmdline.has("init")) arch::qemu_exit(arch::QemuExitStatus::kFailure);
        return;
    }
    log_info("started %s as pid 1", path);
}

[[noreturn]] void run_tests_and_benchmarks(void*) {
    const k::CommandLine& cmdline = kernel::command_line();
    bool failed = false;
    if (k::StringView benches; cmdline.get("bench", benches)) {
        unsigned count = kernel::test::run_benchmarks(benches);
        kernel::kprintf("%u benchmarks\n", count);
    }
    if (k::StringView tests; cmdline.get("test", tests)) {
        failed = kernel::test::run_tests(tests).failed != 0;
    }
    arch::qemu_exit(failed ? arch::QemuExitStatus::kFailure : arch::QemuExitStatus::kSuccess);
}

}  // namespace

extern "C" [[noreturn]] void kernel_main(unsigned protocol, unsigned info_phys) {
    arch::com1().initialize();
    run_global_constructors();
    kernel::register_cpu(&kernel::boot_cpu());
    arch::init_boot_cpu(&kernel::boot_cpu().arch);
    kernel::boot_cpu().online = true;
    kernel::boot_info_init(protocol, info_phys);
    const k::BootInfo& info = kernel::boot_info();
    const k::CommandLine& cmdline = kernel::command_line();

    k::StringView test_pattern;
    const bool test_mode = cmdline.get("test", test_pattern);
    kernel::set_panic_exits_qemu(test_mode || cmdline.has("bench"));

    // The framebuffer may lie above 4 GiB, beyond the boot tables' reach:
    // attach it only once the kernel's page tables map it.
    print_banner();
    kernel::log_boot_info();

    mm::BootMemory& boot_memory = mm::boot_memory_init(info);
    mm::kernel_page_tables_init(boot_memory, info);
    attach_framebuffer_console(info);
    mm::physical_memory_init(boot_memory, info);
    mm::kernel_page_tables_use_buddy();
    mm::kmalloc_init();
    log_info("ksyms: %u symbols for backtraces", kernel::symbol_count());

    kirq::irq_init();
    ktime::timers_init();
    kernel::smp_call_init();
    kernel::smp_set_ap_idle_loop(application_cpu_idle);
    kernel::platform_init();
    sched::scheduler_init();
    ktime::start_timer_threads();
    arch::enable_interrupts();
    drivers::start_console_input();
    proc::user_mode_init();
    fs::initrd_fs_init();

    if (k::StringView crash; cmdline.get("crash", crash)) {
        // For the runner's panic test: a deliberate kernel bug.
        log_info("crash=%.*s requested", static_cast<int>(crash.size()), crash.data());
        if (crash == k::StringView("pagefault")) *reinterpret_cast<volatile int*>(0x10) = 1;
        if (crash == k::StringView("panic")) kernel::panic("deliberate panic from the command line");
        __builtin_trap();  // ud2: invalid opcode
    }

    // Tests and benchmarks run in a kernel thread of their own (they block,
    // sleep and join, which the boot context, now this CPU's idle thread,
    // must never do); then QEMU exits with the verdict.
    if (cmdline.has("bench") || test_mode) {
        sched::ThreadOptions options{.name = "ktest", .policy = sched::Policy::Normal, .priority = 0,
                                     .affinity = k::CpuMask::all(), .detached = true};
        if (!sched::thread_create(run_tests_and_benchmarks, nullptr, options).ok()) {
            kernel::panic("cannot start the test thread");
        }
        sched::idle_loop();
    }

    start_user_space(cmdline);
    sched::idle_loop();
}
