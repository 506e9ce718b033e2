// Paging under the kernel's own tables: protections hold (text read-only,
// data not executable, guard pages and the null page unmapped), huge pages
// map and split correctly, and page tables are given back.
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/fault_catcher.h"
#include "arch/x86_64/interrupt_frame.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kernel_stack.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/test/ktest.h"
#include "libk/string.h"

extern "C" const char __text_start[];
extern "C" const char __rodata_start[];
extern "C" const char boot_stack_guard[];

namespace {

using mm::PageProt;
using mm::PageSize;

constexpr PageProt kReadWrite{.writable = true, .user = false, .executable = false, .global = false, .uncached = false};
constexpr PageProt kReadOnly{.writable = false, .user = false, .executable = false, .global = false, .uncached = false};
constexpr PageProt kExecutable{.writable = false, .user = false, .executable = true, .global = false, .uncached = false};

arch::CaughtFault write_byte(uint64_t address) {
    return arch::call_catching_faults([address] { *reinterpret_cast<volatile uint8_t*>(address) = 0x90; });
}
arch::CaughtFault read_byte(uint64_t address) {
    return arch::call_catching_faults([address] { (void)*reinterpret_cast<volatile uint8_t*>(address); });
}
arch::CaughtFault call_at(uint64_t address) {
    return arch::call_catching_faults([address] { reinterpret_cast<void (*)()>(address)(); });
}

bool is_page_fault(const arch::CaughtFault& f, uint64_t required_bits, uint64_t address) {
    return f.faulted && f.vector == arch::kPageFault && (f.error_code & required_bits) == required_bits &&
           f.address == address;
}

}  // namespace

KTEST(paging, fault_catcher_sees_a_clean_run) {
    volatile int value = 0;
    arch::CaughtFault f = arch::call_catching_faults([&value] { value = 42; });
    KEXPECT(!f.faulted);
    KEXPECT_EQ(value, 42);
}

KTEST(paging, null_page_is_unmapped) {
    arch::CaughtFault f = read_byte(0);
    KEXPECT(is_page_fault(f, 0, 0));
    KEXPECT((f.error_code & arch::kPfPresent) == 0);
}

KTEST(paging, kernel_text_is_read_only) {
    const uint64_t text = reinterpret_cast<uint64_t>(__text_start) + 64;
    KEXPECT(is_page_fault(write_byte(text), arch::kPfPresent | arch::kPfWrite, text));
    // The direct-map alias of the same frame is read-only as well.
    const uint64_t alias = reinterpret_cast<uint64_t>(mm::phys_to_virt(mm::image_virt_to_phys(__text_start))) + 64;
    KEXPECT(is_page_fault(write_byte(alias), arch::kPfPresent | arch::kPfWrite, alias));
    const uint64_t rodata = reinterpret_cast<uint64_t>(__rodata_start);
    KEXPECT(is_page_fault(write_byte(rodata), arch::kPfPresent | arch::kPfWrite, rodata));
    // Reading them is fine.
    KEXPECT(!read_byte(text).faulted);
}

KTEST(paging, data_is_not_executable) {
    if (!arch::cpu_features().no_execute) KSKIP("CPU without NX");
    // A `ret` in a heap page: present, but mapped NX through the direct map.
    mm::Page* page = mm::allocate_pages(0);
    KASSERT(page != nullptr);
    auto code = mm::phys_to_virt<uint8_t>(mm::page_to_phys(page));
    code[0] = 0xc3;
    const uint64_t address = reinterpret_cast<uint64_t>(code);
    KEXPECT(is_page_fault(call_at(address), arch::kPfPresent | arch::kPfInstructionFetch, address));
    // Same frame mapped executable at a scratch address: it runs. Then NX
    // again with protect(): it faults. Then unmapped: not present.
    const uint64_t scratch = mm::kTestScratchBase;
    KASSERT(mm::kernel_mapper().map(scratch, mm::page_to_phys(page), PageSize::k4K, kExecutable).ok());
    KEXPECT(!call_at(scratch).faulted);
    KASSERT(mm::kernel_mapper().protect(scratch, mm::kPageSize, kReadOnly).ok());
    KEXPECT(is_page_fault(call_at(scratch), arch::kPfPresent | arch::kPfInstructionFetch, scratch));
    KASSERT(mm::kernel_mapper().unmap(scratch, mm::kPageSize).ok());
    arch::CaughtFault gone = read_byte(scratch);
    KEXPECT(is_page_fault(gone, 0, scratch) && (gone.error_code & arch::kPfPresent) == 0);
    mm::free_pages(page, 0);
}

KTEST(paging, direct_map_uses_largest_page_size) {
    // The first GiB holds the kernel image, whose read-only alias split the
    // huge page there; the direct map always covers [3 GiB, 4 GiB) whole.
    const uint64_t phys = (uint64_t{3} << 30) + 0x1234;
    auto t = mm::kernel_mapper().translate(mm::kDirectMapBase + phys);
    KASSERT(t.ok());
    KEXPECT_EQ(t.value().phys, phys);
    const PageSize expected = arch::cpu_features().huge_1g_pages ? PageSize::k1G : PageSize::k2M;
    KEXPECT_EQ(static_cast<int>(t.value().size), static_cast<int>(expected));
    KEXPECT(!t.value().prot.executable || !arch::cpu_features().no_execute);
}

// A 2 MiB page made of real RAM: written through its scratch mapping, seen
// through the direct map; one 4 KiB piece made read-only (splitting it);
// then unmapped, with every page-table frame given back.
KTEST(paging, huge_2m_page_map_split_unmap) {
    const uint64_t free_before = mm::memory_stats().free_frames;
    mm::Page* block = mm::allocate_pages(9);
    KASSERT(block != nullptr);
    const uint64_t phys = mm::page_to_phys(block);
    const uint64_t scratch = mm::kTestScratchBase + (uint64_t{1} << 30);
    auto& mapper = mm::kernel_mapper();
    KASSERT(mapper.map(scratch, phys, PageSize::k2M, kReadWrite).ok());
    KEXPECT(mapper.map(scratch + 0x1000, phys, PageSize::k4K, kReadWrite).error() == k::Errno::eexist);
    auto t = mapper.translate(scratch + 0x12345);
    KASSERT(t.ok());
    KEXPECT_EQ(static_cast<int>(t.value().size), static_cast<int>(PageSize::k2M));
    KEXPECT_EQ(t.value().phys, phys + 0x12345);

    *reinterpret_cast<volatile uint64_t*>(scratch + 0x5000) = 0xfeedfacecafebeefull;
    KEXPECT_EQ(*mm::phys_to_virt<volatile uint64_t>(phys + 0x5000), 0xfeedfacecafebeefull);

    KASSERT(mapper.protect(scratch + 0x5000, mm::kPageSize, kReadOnly).ok());
    KEXPECT(is_page_fault(write_byte(scratch + 0x5000), arch::kPfPresent | arch::kPfWrite, scratch + 0x5000));
    KEXPECT(!write_byte(scratch + 0x4000).faulted);
    KEXPECT(!write_byte(scratch + 0x6000).faulted);
    auto neighbour = mapper.translate(scratch + 0x6008);
    KASSERT(neighbour.ok());
    KEXPECT_EQ(static_cast<int>(neighbour.value().size), static_cast<int>(PageSize::k4K));
    KEXPECT_EQ(neighbour.value().phys, phys + 0x6008);

    KASSERT(mapper.unmap(scratch, uint64_t{2} << 20).ok());
    KEXPECT(!mapper.translate(scratch).ok());
    mm::free_pages(block, 9);
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before);
}

// A 1 GiB page over physical [0, 1 GiB): the kernel image lies there, so
// its bytes must read the same through the new mapping. A 4 KiB hole in the
// middle splits it 1 GiB -> 2 MiB -> 4 KiB, and the rest still translates.
KTEST(paging, huge_1g_page_split_by_a_hole) {
    if (!arch::cpu_features().huge_1g_pages) KSKIP("CPU without 1 GiB pages");
    const uint64_t free_before = mm::memory_stats().free_frames;
    const uint64_t scratch = mm::kTestScratchBase + (uint64_t{4} << 30);
    auto& mapper = mm::kernel_mapper();
    KASSERT(mapper.map(scratch, 0, PageSize::k1G, kReadOnly).ok());
    const uint64_t text_phys = mm::image_virt_to_phys(__text_start);
    KEXPECT_EQ(*reinterpret_cast<volatile uint64_t*>(scratch + text_phys), *reinterpret_cast<const uint64_t*>(__text_start));

    const uint64_t hole = scratch + (uint64_t{300} << 20) + 0x3000;
    KASSERT(mapper.unmap(hole, mm::kPageSize).ok());
    KEXPECT(!mapper.translate(hole).ok());
    KEXPECT(is_page_fault(read_byte(hole), 0, hole));
    auto below = mapper.translate(hole - 8);
    auto above = mapper.translate(hole + mm::kPageSize);
    auto far = mapper.translate(scratch + (uint64_t{900} << 20));
    KASSERT(below.ok() && above.ok() && far.ok());
    KEXPECT_EQ(below.value().phys, (uint64_t{300} << 20) + 0x3000 - 8);
    KEXPECT_EQ(above.value().phys, (uint64_t{300} << 20) + 0x4000);
    KEXPECT_EQ(static_cast<int>(far.value().size), static_cast<int>(PageSize::k2M));
    KEXPECT_EQ(*reinterpret_cast<volatile uint64_t*>(scratch + text_phys), *reinterpret_cast<const uint64_t*>(__text_start));

    KASSERT(mapper.unmap(scratch, uint64_t{1} << 30).ok());
    KEXPECT(!mapper.translate(scratch + text_phys).ok());
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before);
}

KTEST(paging, kernel_stacks_have_guard_pages) {
    const uint64_t free_before = mm::memory_stats().free_frames;
    auto stack = mm::allocate_kernel_stack();
    KASSERT(stack.ok());
    KEXPECT(!write_byte(stack.value().top - 1).faulted);
    KEXPECT(!write_byte(stack.value().base).faulted);
    const uint64_t guard_top = stack.value().base - 1;
    arch::CaughtFault f = write_byte(guard_top);
    KEXPECT(is_page_fault(f, arch::kPfWrite, guard_top) && (f.error_code & arch::kPfPresent) == 0);
    mm::free_kernel_stack(stack.value());
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before);
    // The boot CPU's first stack has one too.
    const uint64_t boot_guard = reinterpret_cast<uint64_t>(boot_stack_guard) + mm::kPageSize - 8;
    KEXPECT(is_page_fault(read_byte(boot_guard), 0, boot_guard));
}
