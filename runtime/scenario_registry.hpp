// Scenarios register themselves (one static `registrar` in each scenario's folder, the
// OpenSpiel way): name, one-line doc, documented parameters, declared metrics, and the
// function that wires its actors and runs it. `oversight list` and load_spec() read
// this registry; nothing else needs to know which scenarios exist.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/spec.hpp"

namespace caf {
class actor_system_config;
}

namespace oversight {

class run_context;

/// A lower bound on the memory a run must hold at once, and the parameter that
/// dominates it ({0, ""} when nothing is known).
struct memory_estimate {
  double bytes = 0;
  std::string parameter;  ///< e.g. "eval.queries = 1000000"
};

struct metric_decl {
  std::string name;
  std::string doc;
};

struct scenario_info {
  std::string name;
  std::string doc;
  std::vector<param_decl> params;    ///< "seed" and "checkpoint.every" are added for every scenario
  std::vector<metric_decl> metrics;  ///< every metric name it records
  std::function<void(run_context&)> run;
  /// --set overrides that shrink a run to about a second, for the test that runs every
  /// registered scenario (1 and 4 threads, two seeds). A scenario that reads data files
  /// declares `data.dir`; that test points it at small generated images.
  std::vector<std::string> smoke;
  /// Optional: the memory a run with these parameters needs at least, for the sizes that
  /// can exceed memory. A run whose need exceeds the memory available is refused before
  /// anything is created, naming the parameter; a run that runs out of memory names it too.
  std::function<memory_estimate(const param_set&)> memory = {};
  /// Optional: registers the scenario's own message types (its messages.hpp) with an
  /// actor system's config. register_protocol() calls it for every scenario, so any
  /// process can host any scenario's actors.
  std::function<void(caf::actor_system_config&)> messages = {};
  /// Optional: a note when a run with these parameters is reproducible in distribution
  /// only, not bit for bit (e.g. a mode that does not wait for training steps); empty
  /// when it is exact. `oversight run` prints it.
  std::function<std::string(const param_set&)> inexact = {};
  /// Optional: checks of combinations the declared ranges cannot rule out (shards more
  /// than the population, ...). Throws user_error naming the keys and their values;
  /// load_spec() runs it on every resolved spec and puts the file and the --set
  /// overrides in front, so a bad combination is refused before a run starts.
  std::function<void(const param_set&)> check = {};
};

void register_scenario(scenario_info info);
/// A registered scenario; nullptr when none of that name is registered (yet).
const scenario_info* find_scenario(const std::string& name);
/// The registered scenarios, sorted by name. Those a loader has not loaded yet are
/// missing: call load_all_scenarios() first where every one counts.
std::vector<const scenario_info*> all_scenarios();

/// Scenarios that are not linked into the binary register themselves when a loader
/// loads them: the `oversight` executable sets one that loads the libtorch module
/// (tools/torch_module.hpp). A binary that links every scenario sets none. The loader
/// may throw (a missing module): the exception reaches the caller of ensure_scenario or
/// load_all_scenarios, and the next such call tries again.
void set_scenario_loader(std::function<void()> load);
/// find_scenario(name), after running the loader (once per process) when `name` is not
/// registered. nullptr when it is not registered even then.
const scenario_info* ensure_scenario(const std::string& name);
/// Runs the loader (once per process), so that all_scenarios() lists every scenario.
/// Call it before building an actor system config that must know every scenario's
/// messages (register_protocol registers those of the registered ones).
void load_all_scenarios();

struct registrar {
  explicit registrar(scenario_info info) { register_scenario(std::move(info)); }
};

}  // namespace oversight
