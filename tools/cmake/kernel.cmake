# The freestanding kernel build (included by CMakeLists.txt when configured
# with toolchain.cmake).
enable_language(ASM_NASM)
set(CMAKE_ASM_NASM_FLAGS "-g -F dwarf -I${CMAKE_SOURCE_DIR}/")

set(KERNEL_CXX_FLAGS
    -ffreestanding -nostdlib -fno-exceptions -fno-rtti
    -fno-threadsafe-statics -fno-use-cxa-atexit
    -mno-red-zone -mcmodel=kernel -fno-pic -fno-pie
    -mno-sse -mno-sse2 -mno-mmx -mno-3dnow -mno-avx -msoft-float
    -fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer
    -fno-builtin-malloc -g -O2)

file(GLOB_RECURSE KERNEL_CXX_SOURCES CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/arch/x86_64/*.cpp
    ${CMAKE_SOURCE_DIR}/kernel/*.cpp
    ${CMAKE_SOURCE_DIR}/libk/*.cpp)
file(GLOB KERNEL_ASM_SOURCES CONFIGURE_DEPENDS
    ${CMAKE_SOURCE_DIR}/boot/*.asm
    ${CMAKE_SOURCE_DIR}/arch/x86_64/*.asm)

add_library(kernel_objects OBJECT ${KERNEL_CXX_SOURCES} ${KERNEL_ASM_SOURCES})
target_include_directories(kernel_objects PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/generated)
target_compile_options(kernel_objects PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:${KERNEL_CXX_FLAGS} ${TEACHOS_WARNINGS}>)

set(KERNEL_LINKER_SCRIPT ${CMAKE_SOURCE_DIR}/arch/x86_64/linker.ld)
set(KERNEL_LINK_FLAGS "-T ${KERNEL_LINKER_SCRIPT} -nostdlib -z max-page-size=4096 --no-dynamic-linker -static")

# Two links: the first has an empty symbol table; its text symbols are
# extracted into ksyms.bin, which the second link embeds in .ksyms. The table
# sits after all code (linker.ld), so no function moves between the links;
# tools/gen_ksyms.py --verify checks exactly that.
set(KSYMS_EMPTY ${CMAKE_BINARY_DIR}/ksyms_empty.asm)
file(WRITE ${KSYMS_EMPTY} "section .ksyms progbits alloc noexec nowrite align=8\n")
add_executable(kernel_stage1.elf $<TARGET_OBJECTS:kernel_objects> ${KSYMS_EMPTY})
set_target_properties(kernel_stage1.elf PROPERTIES LINK_FLAGS "${KERNEL_LINK_FLAGS}" LINK_DEPENDS ${KERNEL_LINKER_SCRIPT})

set(KSYMS_BIN ${CMAKE_BINARY_DIR}/ksyms.bin)
find_program(NM_PROGRAM NAMES llvm-nm llvm-nm-16 llvm-nm-15 llvm-nm-14 nm REQUIRED)
add_custom_command(OUTPUT ${KSYMS_BIN}
    COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/gen_ksyms.py --nm ${NM_PROGRAM} $<TARGET_FILE:kernel_stage1.elf> ${KSYMS_BIN}
    DEPENDS kernel_stage1.elf ${CMAKE_SOURCE_DIR}/tools/gen_ksyms.py
    COMMENT "Extracting the kernel symbol table")
set(KSYMS_ASM ${CMAKE_BINARY_DIR}/ksyms.asm)
file(WRITE ${KSYMS_ASM} "section .ksyms progbits alloc noexec nowrite align=8\nincbin \"${KSYMS_BIN}\"\n")
set_source_files_properties(${KSYMS_ASM} PROPERTIES OBJECT_DEPENDS ${KSYMS_BIN})

add_executable(kernel.elf $<TARGET_OBJECTS:kernel_objects> ${KSYMS_ASM})
set_target_properties(kernel.elf PROPERTIES LINK_FLAGS "${KERNEL_LINK_FLAGS}" LINK_DEPENDS ${KERNEL_LINKER_SCRIPT})
add_custom_command(TARGET kernel.elf POST_BUILD
    COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/gen_ksyms.py --nm ${NM_PROGRAM} --verify $<TARGET_FILE:kernel_stage1.elf> $<TARGET_FILE:kernel.elf>
    COMMENT "Checking that no function moved between the two links")
