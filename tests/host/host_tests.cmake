# Host GoogleTest suites: the portable kernel pieces compiled with the host
# compiler under AddressSanitizer and UBSan, registered with CTest.
find_package(GTest REQUIRED)
enable_testing()
include(GoogleTest)

set(TEACHOS_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

add_library(portable STATIC ${TEACHOS_PORTABLE_SOURCES})
target_include_directories(portable PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/generated)
target_compile_options(portable PUBLIC ${TEACHOS_WARNINGS} ${TEACHOS_SANITIZE} -g)
target_link_options(portable PUBLIC ${TEACHOS_SANITIZE})

file(GLOB TEACHOS_HOST_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/host/*_test.cpp)
list(APPEND TEACHOS_HOST_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/tests/host/host_support.cpp)
add_executable(host_tests ${TEACHOS_HOST_TESTS})
target_link_libraries(host_tests PRIVATE portable GTest::gtest_main)
gtest_discover_tests(host_tests DISCOVERY_TIMEOUT 60)
