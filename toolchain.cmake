# The freestanding x86-64 target: clang generating code for no OS, linked by
# ld.lld with the kernel's own linker script. The top-level CMakeLists.txt
# configures a second build tree with this file to build the kernel.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

find_program(TEACHOS_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(TEACHOS_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14 REQUIRED)
find_program(TEACHOS_LLD NAMES ld.lld ld.lld-16 ld.lld-15 ld.lld-14 REQUIRED)

set(CMAKE_C_COMPILER ${TEACHOS_CLANG})
set(CMAKE_CXX_COMPILER ${TEACHOS_CLANGXX})
set(CMAKE_C_COMPILER_TARGET x86_64-unknown-none-elf)
set(CMAKE_CXX_COMPILER_TARGET x86_64-unknown-none-elf)
set(CMAKE_ASM_NASM_COMPILER nasm)
set(CMAKE_ASM_NASM_OBJECT_FORMAT elf64)

# There is no C library to link test programs against.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The kernel is linked by ld.lld directly with its linker script; no crt files.
set(CMAKE_CXX_LINK_EXECUTABLE
    "${TEACHOS_LLD} <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

set(TEACHOS_FREESTANDING ON)
