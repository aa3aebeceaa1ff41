// Errors of two kinds, kept apart on purpose:
//  - user_error: bad input from a user (scenario file, flag, data file, network bytes).
//    Its message names the offending value and where it came from (file:line:column or
//    key path). The command prints it on one line and exits with status 2.
//  - OVERSIGHT_CHECK: an internal invariant. Always on (also in Release); on failure it
//    aborts with both operands printed, because a silent wrong metric is worse than a crash.
#pragma once

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace oversight {

/// Bad input from outside the program. what() is the whole one-line message.
class user_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class A, class B>
[[noreturn]] void check_failed(const char* expr, const A& a, const B& b, const char* file, int line) {
  std::ostringstream os;
  os << file << ":" << line << ": invariant violated: " << expr << " (left: " << a << ", right: " << b << ")";
  std::cerr << os.str() << std::endl;
  std::abort();
}
}  // namespace detail

}  // namespace oversight

#define OVERSIGHT_CHECK_OP(a, op, b)                                                   \
  do {                                                                                 \
    const auto& ov_a_ = (a);                                                           \
    const auto& ov_b_ = (b);                                                           \
    if (!(ov_a_ op ov_b_))                                                             \
      ::oversight::detail::check_failed(#a " " #op " " #b, ov_a_, ov_b_, __FILE__, __LINE__); \
  } while (false)
#define OVERSIGHT_CHECK_EQ(a, b) OVERSIGHT_CHECK_OP(a, ==, b)
#define OVERSIGHT_CHECK_LT(a, b) OVERSIGHT_CHECK_OP(a, <, b)
#define OVERSIGHT_CHECK_LE(a, b) OVERSIGHT_CHECK_OP(a, <=, b)
#define OVERSIGHT_CHECK(cond) OVERSIGHT_CHECK_OP(static_cast<bool>(cond), ==, true)
