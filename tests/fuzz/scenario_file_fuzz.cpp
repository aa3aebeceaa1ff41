// libFuzzer target: the scenario-file loader and --set, as `oversight run FILE --set ...`
// and `oversight sweep` / `oversight claim` read them. The loader is the same for every
// scenario: it is fuzzed against `fuzz_world`, registered here, which declares every kind
// of parameter the real scenarios do (integers with ranges up to INT64_MAX, reals with and
// without bounds, booleans, texts with and without choices, keys one to four levels deep).
// Real scenarios cannot be linked here (libtorch does not build under clang).
//
// Input: a scenario file, optionally followed by a line "#--set" and one --set per line
// (a line may hold "\n" escapes, so that a --set with a line break is reachable).
// Contract checked: the loader either returns a spec or throws user_error; anything else
// (a crash, a sanitizer report, another exception, a hang) is a finding. A spec that
// loads must survive the round trip through resolved_toml(): the scenario.toml a run
// writes reads back as the same parameters.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include "runtime/claims.hpp"
#include "base/error.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"

namespace fs = std::filesystem;
using namespace oversight;

namespace {

using P = param_decl;
const registrar fuzz_world({"fuzz_world",
                            "every kind of parameter, for the loader's fuzzer",
                            {
                                P::integer("ticks", 60, 1, 1000000, "ticks"),
                                P::integer("population", 2000, 1, 10000000, "principals"),
                                P::integer("expert.budget", 400, 0, 1000000000, "labels"),
                                P::integer("big.count", 0, INT64_MIN + 1, INT64_MAX, "any integer"),
                                P::real("learner.lr", 3e-3, 1e-6, 1.0, "learning rate"),
                                P::real("world.noise", 0.1, 0.0, 1.0, "noise"),
                                P::real("free.real", 0.0, -1e308, 1e308, "any real"),
                                P::boolean("free_running", false, "free running"),
                                P::boolean("a.b.c.d", true, "four levels deep"),
                                P::text("attacker.strategy", "evolutionary", {"none", "random", "evolutionary"}, "strategy"),
                                P::text("world.name", "", {}, "any text"),
                            },
                            {{"x", "a metric"}},
                            [](run_context&) {}});

fs::path scratch(const char* name) {
  static const fs::path dir = [] {
    auto d = fs::temp_directory_path() / ("oversight-fuzz-spec-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir / name;
}

void write(const fs::path& f, const std::string& text) {
  std::ofstream out(f, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string unescape(const std::string& line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += line[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string file_text = input;
  std::vector<std::string> sets;
  const auto marker = input.find("\n#--set\n");
  if (marker != std::string::npos) {
    file_text = input.substr(0, marker + 1);
    size_t b = marker + 8;
    while (b <= input.size()) {
      auto e = input.find('\n', b);
      if (e == std::string::npos) e = input.size();
      if (e > b) sets.push_back(unescape(input.substr(b, e - b)));
      b = e + 1;
    }
  }
  const auto file = scratch("scenario.toml");
  write(file, file_text);
  scenario_spec spec;
  bool loaded = false;
  try {
    spec = load_spec(file, sets, std::nullopt);
    loaded = true;
  } catch (const user_error&) {
  }
  try {
    (void)load_sweep_table(file);
  } catch (const user_error&) {
  }
  try {
    (void)load_claim(file);
  } catch (const user_error&) {
  }
  if (!loaded) return 0;
  // What a run writes as scenario.toml must read back as exactly the same run.
  const auto again_file = scratch("resolved.toml");
  write(again_file, resolved_toml(spec));
  const auto again = load_spec(again_file, {}, std::nullopt);  // a user_error here is a finding too
  if (again.scenario != spec.scenario || again.seed != spec.seed || again.params.all() != spec.params.all()) {
    std::cerr << "resolved_toml does not round-trip:\n" << resolved_toml(spec) << std::endl;
    std::abort();
  }
  return 0;
}
