#include "runtime/scenario_registry.hpp"

#include <algorithm>
#include <map>

namespace oversight {

namespace {
std::map<std::string, scenario_info>& registry() {
  static std::map<std::string, scenario_info> r;  // function-local: safe from static-init order
  return r;
}

std::function<void()>& loader() {
  static std::function<void()> l;
  return l;
}
bool loaded = false;
}  // namespace

void register_scenario(scenario_info info) {
  info.params.insert(info.params.begin(),
                     param_decl::integer("seed", 1, 0, INT64_MAX, "run seed: every RNG stream derives from it"));
  info.params.push_back(param_decl::integer(
      "checkpoint.every", 10, 0, INT64_MAX,
      "ticks between two checkpoints, which `oversight resume` continues from (0: none); a scenario whose roles do "
      "not save their state is resumed by recomputing its stored ticks"));
  info.params.push_back(param_decl::boolean(
      "events.log", true, "write events.msgpack: every message between actors (oversight replay DIR prints it)"));
  info.params.push_back(param_decl::boolean(
      "placement.coordinator", false,
      "with --nodes: the process running the director also hosts a share of the placed roles (else the nodes "
      "share them round robin)"));
  auto name = info.name;
  registry()[name] = std::move(info);
}

const scenario_info* find_scenario(const std::string& name) {
  auto i = registry().find(name);
  return i == registry().end() ? nullptr : &i->second;
}

void set_scenario_loader(std::function<void()> load) {
  loader() = std::move(load);
  loaded = false;
}

void load_all_scenarios() {
  if (loaded) return;
  if (loader()) loader()();  // registers while it runs; a throw leaves `loaded` false
  loaded = true;
}

const scenario_info* ensure_scenario(const std::string& name) {
  if (const auto* info = find_scenario(name)) return info;
  load_all_scenarios();
  return find_scenario(name);
}

std::vector<const scenario_info*> all_scenarios() {
  std::vector<const scenario_info*> out;
  for (auto& [k, v] : registry()) out.push_back(&v);
  return out;
}

}  // namespace oversight
