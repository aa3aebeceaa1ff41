// uninitialized_vector<T>: a std::vector whose resize() leaves new elements of a trivial
// type unwritten, for buffers a caller fills in full right after sizing them (a tick's
// message batches: zeroing them first would write every byte twice). Everything else
// (copies, equality, serialization, growth by push_back) is std::vector's.
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace oversight {

template <class T>
struct uninitialized_allocator : std::allocator<T> {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = uninitialized_allocator<U>;
  };
  uninitialized_allocator() noexcept = default;
  template <class U>
  uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {}

  /// Value-initialization (what resize() asks for) becomes default-initialization.
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  friend bool operator==(const uninitialized_allocator&, const uninitialized_allocator&) noexcept { return true; }
};

template <class T>
using uninitialized_vector = std::vector<T, uninitialized_allocator<T>>;

}  // namespace oversight
