// What the loader handed over arrived intact, whichever way we booted.
// Some checks need the runner to say what to expect on the command line
// (expect_protocol=, expect_initrd=, expect_framebuffer); without it they
// are skipped, not passed.
#include "kernel/boot_info.h"
#include "kernel/console.h"
#include "kernel/ksyms.h"
#include "kernel/mm/layout.h"
#include "kernel/test/ktest.h"
#include "libk/cpio.h"
#include "libk/string.h"

KTEST(boot, memory_map_has_usable_ram) {
    const k::BootInfo& info = kernel::boot_info();
    KASSERT(info.memory_region_count > 0);
    uint64_t usable = 0;
    for (uint32_t i = 0; i < info.memory_region_count; ++i) {
        if (info.memory_regions[i].type == k::MemoryType::Usable) usable += info.memory_regions[i].length;
    }
    KEXPECT(usable >= (uint64_t{32} << 20));
}

KTEST(boot, protocol_is_the_expected_one) {
    k::StringView expected;
    if (!kernel::command_line().get("expect_protocol", expected)) KSKIP("no expect_protocol= on the command line");
    const k::BootProtocol protocol = kernel::boot_info().protocol;
    const k::StringView actual = protocol == k::BootProtocol::Multiboot2 ? k::StringView("multiboot2")
                                 : protocol == k::BootProtocol::Pvh      ? k::StringView("pvh")
                                                                         : k::StringView("none");
    KEXPECT(actual == expected);
}

KTEST(boot, initrd_module_holds_the_expected_file) {
    k::StringView name;
    if (!kernel::command_line().get("expect_initrd", name)) KSKIP("no expect_initrd= on the command line");
    const k::BootInfo& info = kernel::boot_info();
    KASSERT(info.module_count >= 1);
    const k::BootModule& module = info.modules[0];
    k::CpioReader archive(mm::phys_to_virt(module.phys_start), module.phys_end - module.phys_start);
    auto entry = archive.find(name);
    KASSERT(entry.ok());
    // tools/qemu_run.py writes this text into every fixture file it adds.
    const char expected[] = "teachos initrd fixture\n";
    KASSERT(entry.value().size >= sizeof expected - 1);
    KEXPECT(memcmp(entry.value().data, expected, sizeof expected - 1) == 0);
}

KTEST(boot, framebuffer_console_attached) {
    if (!kernel::command_line().has("expect_framebuffer")) KSKIP("no expect_framebuffer on the command line");
    KEXPECT(kernel::boot_info().framebuffer.present);
    KEXPECT(kernel::console_has_framebuffer());
}

KTEST(boot, acpi_rsdp_found) {
    if (!kernel::command_line().has("expect_acpi")) KSKIP("no expect_acpi on the command line");
    KEXPECT(kernel::boot_info().acpi_rsdp.source != k::RsdpSource::None);
}

KTEST(boot, symbol_table_names_functions) {
    k::KsymsTable::Symbol symbol;
    const auto address = reinterpret_cast<uint64_t>(&kernel::symbolize) + 3;
    KASSERT(kernel::symbolize(address, symbol));
    KEXPECT_EQ(symbol.offset, 3);
    KEXPECT(k::StringView(symbol.name).find(k::StringView("symbolize")) != k::StringView::npos);
}
