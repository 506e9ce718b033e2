// The few C++ runtime hooks a freestanding kernel must provide itself.
#include "kernel/panic.h"

extern "C" {

// Called through a vtable slot of a pure virtual function: only possible if
// an object is used during its construction or after its destruction.
[[noreturn]] void __cxa_pure_virtual() { kernel::panic("pure virtual function called"); }

}  // extern "C"
