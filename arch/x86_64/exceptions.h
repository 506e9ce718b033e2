#pragma once

namespace arch {

// Routes vectors 0-31 to the exception handler and everything else, until
// a driver claims it, to "unexpected interrupt".
void install_exception_handlers();

}  // namespace arch
