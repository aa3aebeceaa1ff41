// The libtorch module: everything that needs libtorch (the neural policies, the critic
// role, the scenarios whose roles train networks, bench's training figures) is built into
// liboversight_torch.so, beside the `oversight` executable, which does not link libtorch.
// Loading libtorch costs about 0.4 s, so a command loads the module only when it needs
// one of its scenarios (runtime/scenario_registry.hpp: ensure_scenario,
// load_all_scenarios) or its figures. The module resolves the runtime, actor and CAF
// symbols from the executable (linked with its symbols exported); its scenarios' static
// registrars add them to the same registry while it loads, and libtorch is set up for
// deterministic runs (init_torch(1)) then too.
#pragma once

#include <filesystem>

namespace oversight {

/// liboversight_torch.so in the directory of the running executable (/proc/self/exe).
std::filesystem::path torch_module_path();

/// Loads the module, once per process (later calls do nothing). Throws
/// std::runtime_error naming the file and dlerror() when it is missing or cannot be
/// loaded.
void load_torch_module();

/// The address of `name` (an extern "C" symbol) in the module, loading it first.
/// Throws std::runtime_error when the module cannot be loaded or lacks the symbol.
void* torch_module_symbol(const char* name);

}  // namespace oversight
