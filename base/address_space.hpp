// How much address space this process holds: what an address-space limit (ulimit -v,
// RLIMIT_AS) is counted against, mapped libraries and reserved but untouched memory
// included.
#pragma once

namespace oversight {

/// This process's address space in bytes (VmSize in /proc/self/status); 0 when it cannot
/// be read.
double address_space_bytes();

}  // namespace oversight
