// How much address space this process holds, and the limit on it: what an address-space
// limit (ulimit -v, RLIMIT_AS) is counted against, mapped libraries and reserved but
// untouched memory included.
#pragma once

#include <string>

namespace oversight {

/// This process's address space in bytes (VmSize in /proc/self/status); 0 when it cannot
/// be read.
double address_space_bytes();

/// The limit on this process's address space (RLIMIT_AS) in bytes; 0 when there is none.
double address_space_limit_bytes();

/// For error messages: " under the address-space limit of 1.9 GB (ulimit -v)" when a
/// limit is set, else "".
std::string address_space_limit_clause();

}  // namespace oversight
