#include "tools/torch_module.hpp"

#include <dlfcn.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>

#include "base/address_space.hpp"
#include "base/log.hpp"

namespace oversight {

namespace {
void* module_handle = nullptr;
std::mutex loading;  // a trainer may load the module from an actor's thread

std::string last_dlerror() {
  const char* e = dlerror();
  return e ? e : "unknown error";
}
}  // namespace

std::filesystem::path torch_module_path() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the oversight executable (/proc/self/exe): " + ec.message());
  return exe.parent_path() / "liboversight_torch.so";
}

void load_torch_module() {
  std::lock_guard<std::mutex> lock(loading);
  if (module_handle) return;
  const auto path = torch_module_path();
  const auto t0 = std::chrono::steady_clock::now();
  // RTLD_LAZY, as libtorch is bound when linked: RTLD_NOW binds all of libtorch's
  // functions too, 0.03 s more per start. A function the module needs and the executable
  // lacks would fail at its first call; tests/cli/torch_module_test.cpp loads the
  // module with LD_BIND_NOW=1 to find one at test time.
  module_handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (!module_handle) {
    // dlerror() names the file it failed on; say which file that is when it does not.
    std::string why = last_dlerror();
    if (why.find(path.string()) == std::string::npos) why = path.string() + ": " + why;
    // glibc's words when mmap refuses a library: say what a user can change, when a
    // limit on address space (ulimit -v) is what refused it.
    const std::string limit = address_space_limit_clause();
    if (!limit.empty() && (why.find("failed to map segment") != std::string::npos ||
                           why.find("cannot allocate memory") != std::string::npos))
      why += "; its libraries do not fit" + limit;
    throw std::runtime_error("cannot load the libtorch module, which holds libtorch's trainers and the scenarios that need libtorch: " + why);
  }
  // The address space after loading: what a limit (ulimit -v) must leave room for.
  log().info("loaded {} in {:.3f} s; the process now holds {:.3f} GB of address space", path.string(),
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
             address_space_bytes() / 1e9);
}

void* torch_module_symbol(const char* name) {
  load_torch_module();
  std::lock_guard<std::mutex> lock(loading);
  dlerror();
  void* sym = dlsym(module_handle, name);
  if (!sym)
    throw std::runtime_error(torch_module_path().string() + " has no symbol " + name + ": " + last_dlerror());
  return sym;
}

}  // namespace oversight
