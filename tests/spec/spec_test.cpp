// load_spec(): every kind of bad input is a user_error whose message says where it came
// from (FILE:LINE:COL for the file, "--set KEY=VALUE" for an override) and names the
// offending key and value; a valid file gets the declared defaults for what it leaves out.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>
#include <stdexcept>

#include "base/error.hpp"
#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using oversight::testing::temp_dir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

// A scenario registered only in the test binary, so that every parameter type (red_team
// has no boolean) and exact ranges are covered independently of red_team's tuning.
using P = param_decl;
const registrar spec_test_scenario{scenario_info{
    "spec_test",
    "load_spec() tests only; not runnable",
    {
        P::integer("count", 5, 1, 1000000, "an integer"),
        P::real("rate", 0.25, 0.0, 1.0, "a number"),
        P::boolean("verbose", false, "a boolean"),
        P::text("mode", "fast", {"fast", "slow"}, "a string with choices"),
        P::text("label", "x", {}, "a free string"),
        P::integer("nested.depth", 3, -10, 10, "a nested integer"),
    },
    {},
    [](run_context&) { throw std::runtime_error("spec_test is not runnable"); },
    {}}};

const scenario_info& red_team() {
  const scenario_info* info = find_scenario("red_team");
  REQUIRE(info != nullptr);
  return *info;
}

const param_decl& decl(const scenario_info& info, const std::string& key) {
  for (auto& d : info.params)
    if (d.key == key) return d;
  FAIL("scenario '" << info.name << "' declares no parameter '" << key << "'");
  throw std::logic_error("unreachable");
}

/// The user_error message load_spec() gives; fails the test when it throws none.
std::string spec_error(const fs::path& file, const std::vector<std::string>& overrides = {},
                       std::optional<uint64_t> seed = std::nullopt) {
  try {
    load_spec(file, overrides, seed);
  } catch (const user_error& e) {
    return e.what();
  }
  FAIL("load_spec accepted " << file << " (expected a user_error)");
  return {};
}

struct location {
  int line = 0;
  int column = 0;
  std::string rest;  ///< the message after "FILE:LINE:COL: "
};

/// Splits "FILE:LINE:COL: rest"; fails the test when the message does not start so.
location located(const std::string& msg, const fs::path& file) {
  INFO("message: " << msg);
  const std::string prefix = file.string() + ":";
  REQUIRE_THAT(msg, StartsWith(prefix));
  const std::string tail = msg.substr(prefix.size());
  std::smatch m;
  REQUIRE(std::regex_search(tail, m, std::regex("^([0-9]+):([0-9]+): ")));
  location loc{std::stoi(m[1].str()), std::stoi(m[2].str()), m.suffix().str()};
  CHECK(loc.line >= 1);
  CHECK(loc.column >= 1);
  return loc;
}

std::string range_of(const param_decl& d) {
  REQUIRE(d.type == param_type::integer);
  auto exact = [](double b) {  // the bounds are stored as doubles; INT64_MAX becomes 2^63
    return b >= 9223372036854775807.0 ? INT64_MAX : b <= -9223372036854775808.0 ? INT64_MIN : int64_t(b);
  };
  std::ostringstream os;  // (not "[" + std::to_string(...): GCC 12 warns falsely, -Wrestrict)
  os << '[' << exact(*d.min) << ", " << exact(*d.max) << ']';
  return os.str();
}

}  // namespace

TEST_CASE("load_spec: malformed TOML is reported at FILE:LINE:COL of the parse error", "[spec]") {
  temp_dir tmp("spec");
  struct bad {
    const char* what;
    const char* text;
    int line;
  };
  const bad cases[] = {
      {"unclosed table header", "scenario = \"red_team\"\nticks = 3\n\n[attacker\nstrategy = \"random\"\n", 4},
      {"duplicate key", "scenario = \"red_team\"\nticks = 3\n[world]\ndim = 8\nticks = 4\ndim = 9\n", 6},
      {"unterminated string", "# comment\nscenario = \"red_team\nticks = 3\n", 2},
      {"missing value", "scenario = \"red_team\"\n\n\nticks =\n", 4},
      {"bare word value", "scenario = \"red_team\"\n[attacker]\nstrategy = random\n", 3},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto file = tmp.write("bad.toml", c.text);
      auto msg = spec_error(file);
      INFO("message: " << msg);
      auto loc = located(msg, file);
      CHECK(loc.line == c.line);
      CHECK_THAT(loc.rest, StartsWith("invalid TOML: "));
      CHECK(msg.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("load_spec: an unknown key is reported at its position with a did-you-mean", "[spec]") {
  temp_dir tmp("spec");
  SECTION("misspelt key in a table") {
    auto file = tmp.write("unknown.toml", "scenario = \"red_team\"\nticks = 3\n\n[attacker]\nstratgy = \"random\"\n");
    auto msg = spec_error(file);
    auto loc = located(msg, file);
    CHECK(loc.line == 5);
    CHECK(loc.column == 1);
    CHECK_THAT(loc.rest, Contains("unknown parameter 'attacker.stratgy'"));
    CHECK_THAT(loc.rest, Contains("did you mean 'attacker.strategy'?"));
  }
  SECTION("misspelt top-level key") {
    auto file = tmp.write("unknown.toml", "scenario = \"red_team\"\ntiks = 3\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 2);
    CHECK(loc.column == 1);
    CHECK_THAT(loc.rest, Contains("'tiks'"));
    CHECK_THAT(loc.rest, Contains("did you mean 'ticks'?"));
  }
  SECTION("a leaf name without its table") {
    auto file = tmp.write("unknown.toml", "scenario = \"red_team\"\n\nstrategy = \"random\"\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 3);
    CHECK_THAT(loc.rest, Contains("did you mean 'attacker.strategy'?"));
  }
  SECTION("nothing close: points at `oversight list`") {
    auto file = tmp.write("unknown.toml", "scenario = \"red_team\"\nzzzzzzzzzzzzzzzzzzzz = 1\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 2);
    CHECK_THAT(loc.rest, Contains("'zzzzzzzzzzzzzzzzzzzz'"));
    CHECK_THAT(loc.rest, !Contains("did you mean"));
    CHECK_THAT(loc.rest, Contains("oversight list"));
  }
  SECTION("did_you_mean itself") {
    CHECK(did_you_mean("attacker.stratgy", red_team().params) == "attacker.strategy");
    CHECK(did_you_mean("strategy", red_team().params) == "attacker.strategy");
    CHECK(did_you_mean("zzzzzzzzzzzzzzzzzzzz", red_team().params).empty());
  }
}

TEST_CASE("load_spec: a value of the wrong type names the key and the expected type", "[spec]") {
  temp_dir tmp("spec");
  struct bad {
    const char* what;
    const char* text;
    int line;
    const char* key;
    const char* expected;
    const char* got;
  };
  const bad cases[] = {
      {"string for integer", "scenario = \"red_team\"\n\nticks = \"ten\"\n", 3, "'ticks'", "must be an integer",
       "string \"ten\""},
      {"real for integer", "scenario = \"red_team\"\nticks = 2.5\n", 2, "'ticks'", "must be an integer",
       "number 2.5"},
      {"integral real for integer", "scenario = \"red_team\"\n[world]\ndim = 8.0\n", 3, "'world.dim'",
       "must be an integer", "number 8.0"},
      {"array for integer", "scenario = \"red_team\"\nticks = [1, 2]\n", 2, "'ticks'", "must be an integer",
       "an array"},
      {"string for real", "scenario = \"red_team\"\n[learner]\nlr = \"fast\"\n", 3, "'learner.lr'",
       "must be a number", "string \"fast\""},
      {"integer for string", "scenario = \"red_team\"\n[attacker]\nstrategy = 3\n", 3, "'attacker.strategy'",
       "must be a string", "integer 3"},
      {"string for boolean", "scenario = \"spec_test\"\nverbose = \"yes\"\n", 2, "'verbose'", "must be a boolean",
       "string \"yes\""},
      {"integer for boolean", "scenario = \"spec_test\"\nverbose = 1\n", 2, "'verbose'", "must be a boolean",
       "integer 1"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto file = tmp.write("type.toml", c.text);
      auto loc = located(spec_error(file), file);
      CHECK(loc.line == c.line);
      CHECK_THAT(loc.rest, Contains(c.key));
      CHECK_THAT(loc.rest, Contains(c.expected));
      CHECK_THAT(loc.rest, Contains(c.got));
    }
  }
}

TEST_CASE("load_spec: an out-of-range value names the key, the value and the range", "[spec]") {
  temp_dir tmp("spec");
  SECTION("integer below its minimum") {
    auto file = tmp.write("range.toml", "scenario = \"red_team\"\nticks = 0\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 2);
    CHECK_THAT(loc.rest, Contains("'ticks' = 0 is out of range " + range_of(decl(red_team(), "ticks"))));
  }
  SECTION("integer above its maximum is printed exactly") {
    auto file = tmp.write("range.toml", "scenario = \"spec_test\"\ncount = 2000001\n");
    auto loc = located(spec_error(file), file);
    CHECK_THAT(loc.rest, Contains("'count' = 2000001 is out of range [1, 1000000]"));
  }
  SECTION("negative seed") {
    auto file = tmp.write("range.toml", "scenario = \"red_team\"\nseed = -1\n");
    auto loc = located(spec_error(file), file);
    CHECK_THAT(loc.rest, Contains("'seed' = -1 is out of range [0, 9223372036854775807]"));
  }
  SECTION("nested integer") {
    auto file = tmp.write("range.toml", "scenario = \"spec_test\"\n[nested]\ndepth = -11\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 3);
    CHECK_THAT(loc.rest, Contains("'nested.depth' = -11 is out of range [-10, 10]"));
  }
  SECTION("real just above its maximum is printed exactly") {
    auto file = tmp.write("range.toml", "scenario = \"spec_test\"\nrate = 1.0000001\n");
    auto loc = located(spec_error(file), file);
    CHECK_THAT(loc.rest, Contains("'rate' = 1.0000001 is out of range [0, 1]"));
  }
  SECTION("real below its minimum") {
    auto file = tmp.write("range.toml", "scenario = \"red_team\"\n[world]\npocket_share = -0.5\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 3);
    CHECK_THAT(loc.rest, Contains("'world.pocket_share' = -0.5 is out of range ["));
  }
  SECTION("non-finite real") {
    auto file = tmp.write("range.toml", "scenario = \"spec_test\"\nrate = nan\n");
    auto loc = located(spec_error(file), file);
    CHECK_THAT(loc.rest, Contains("'rate'"));
    CHECK_THAT(loc.rest, Contains("finite"));
  }
}

TEST_CASE("load_spec: a string not among the choices lists the choices", "[spec]") {
  temp_dir tmp("spec");
  auto file = tmp.write("choice.toml", "scenario = \"red_team\"\n[attacker]\nstrategy = \"nuke\"\n");
  auto loc = located(spec_error(file), file);
  CHECK(loc.line == 3);
  CHECK_THAT(loc.rest, Contains("'attacker.strategy' = \"nuke\" is not one of: "));
  const auto& choices = decl(red_team(), "attacker.strategy").choices;
  REQUIRE(!choices.empty());
  for (auto& c : choices) CHECK_THAT(loc.rest, Contains(c));

  SECTION("a text parameter without choices takes any string") {
    auto ok = tmp.write("free.toml", "scenario = \"spec_test\"\nlabel = \"anything at all\"\n");
    CHECK(load_spec(ok, {}, std::nullopt).params.text("label") == "anything at all");
  }
}

TEST_CASE("load_spec: a missing scenario file is named", "[spec]") {
  temp_dir tmp("spec");
  SECTION("no such file") {
    auto file = tmp / "no_such_file.toml";
    auto msg = spec_error(file);
    CHECK_THAT(msg, StartsWith(file.string() + ": "));
    CHECK_THAT(msg, Contains("not found"));
  }
  SECTION("a directory") {
    auto msg = spec_error(tmp.path());
    CHECK_THAT(msg, StartsWith(tmp.path().string() + ": "));
    CHECK_THAT(msg, Contains("directory"));
  }
}

TEST_CASE("load_spec: the top-level 'scenario' key is required and must be a string", "[spec]") {
  temp_dir tmp("spec");
  SECTION("missing") {
    auto file = tmp.write("noscen.toml", "seed = 1\nticks = 3\n");
    auto msg = spec_error(file);
    CHECK_THAT(msg, StartsWith(file.string() + ": "));
    CHECK_THAT(msg, Contains("missing"));
    CHECK_THAT(msg, Contains("'scenario'"));
  }
  SECTION("empty file") {
    auto file = tmp.write("empty.toml", "");
    auto msg = spec_error(file);
    CHECK_THAT(msg, StartsWith(file.string() + ": "));
    CHECK_THAT(msg, Contains("'scenario'"));
  }
  SECTION("not a string") {
    auto file = tmp.write("intscen.toml", "ticks = 3\nscenario = 3\n");
    auto loc = located(spec_error(file), file);
    CHECK(loc.line == 2);
    CHECK_THAT(loc.rest, Contains("'scenario' must be a string"));
  }
}

TEST_CASE("load_spec: an unknown scenario name is reported with the known ones", "[spec]") {
  temp_dir tmp("spec");
  auto file = tmp.write("unkscen.toml", "# a comment\nscenario = \"blue_team\"\nticks = 3\n");
  auto loc = located(spec_error(file), file);
  CHECK(loc.line == 2);
  CHECK_THAT(loc.rest, Contains("unknown scenario 'blue_team'"));
  CHECK_THAT(loc.rest, Contains("red_team"));
}

TEST_CASE("load_spec: --set overrides are applied with their declared types", "[spec]") {
  temp_dir tmp("spec");
  auto file = tmp.write("base.toml",
                        "scenario = \"red_team\"\nseed = 3\nticks = 40\n[attacker]\nstrategy = \"evolutionary\"\n");
  SECTION("integer, real, bare and quoted strings") {
    auto spec = load_spec(file,
                          {"ticks=7", "learner.lr=0.01", "attacker.strategy=random", "critic.label_mode=\"pairwise\"",
                           "world.pocket_share=0"},
                          std::nullopt);
    CHECK(spec.scenario == "red_team");
    CHECK(spec.source == file.string());
    const auto& all = spec.params.all();
    REQUIRE(std::holds_alternative<int64_t>(all.at("ticks")));
    CHECK(spec.params.integer("ticks") == 7);
    REQUIRE(std::holds_alternative<double>(all.at("learner.lr")));
    CHECK(spec.params.real("learner.lr") == 0.01);
    CHECK(spec.params.text("attacker.strategy") == "random");
    CHECK(spec.params.text("critic.label_mode") == "pairwise");
    REQUIRE(std::holds_alternative<double>(all.at("world.pocket_share")));  // an integer literal for a real
    CHECK(spec.params.real("world.pocket_share") == 0.0);
    CHECK(spec.seed == 3);
  }
  SECTION("booleans and free strings") {
    auto spec_file = tmp.write("spec_test.toml", "scenario = \"spec_test\"\nverbose = false\n");
    auto on = load_spec(spec_file, {"verbose=true", "label=hello world", "mode=slow", "rate=1", "count=1000000"},
                        std::nullopt);
    REQUIRE(std::holds_alternative<bool>(on.params.all().at("verbose")));
    CHECK(on.params.boolean("verbose"));
    CHECK(on.params.text("label") == "hello world");
    CHECK(on.params.text("mode") == "slow");
    CHECK(on.params.real("rate") == 1.0);
    CHECK(on.params.integer("count") == 1000000);
    auto off = load_spec(spec_file, {"verbose=true", "verbose=false"}, std::nullopt);
    CHECK_FALSE(off.params.boolean("verbose"));
  }
  SECTION("the last override of a key wins") {
    auto spec = load_spec(file, {"ticks=5", "ticks=6"}, std::nullopt);
    CHECK(spec.params.integer("ticks") == 6);
  }
  SECTION("seed: from the file, from --set seed=, from --seed") {
    CHECK(load_spec(file, {}, std::nullopt).seed == 3);
    auto via_set = load_spec(file, {"seed=11"}, std::nullopt);
    CHECK(via_set.seed == 11);
    CHECK(via_set.params.integer("seed") == 11);
    auto via_flag = load_spec(file, {}, uint64_t(9));
    CHECK(via_flag.seed == 9);
    CHECK(via_flag.params.integer("seed") == 9);
  }
}

TEST_CASE("load_spec: a bad --set is reported as '--set KEY=VALUE: ...'", "[spec]") {
  temp_dir tmp("spec");
  auto file = tmp.write("base.toml", "scenario = \"red_team\"\nticks = 4\n");
  auto spec_file = tmp.write("spec_test.toml", "scenario = \"spec_test\"\n");
  struct bad {
    const char* what;
    bool spec_test;
    const char* set;
    std::vector<std::string> contains;
  };
  const std::string ticks_range = range_of(decl(red_team(), "ticks"));
  const bad cases[] = {
      {"unknown key", false, "attacker.stratgy=random",
       {"unknown parameter 'attacker.stratgy'", "did you mean 'attacker.strategy'?"}},
      {"the scenario cannot be overridden", false, "scenario=spec_test", {"unknown parameter 'scenario'"}},
      {"no '='", false, "ticks", {"key.path=value"}},
      {"empty key", false, "=3", {"key.path=value"}},
      {"word for integer", false, "ticks=ten", {"'ticks'", "must be an integer", "string \"ten\""}},
      {"real for integer", false, "ticks=1.5", {"'ticks'", "must be an integer", "number 1.5"}},
      {"empty value", false, "ticks=", {"'ticks'", "must be an integer"}},
      {"word for real", false, "learner.lr=abc", {"'learner.lr'", "must be a number", "\"abc\""}},
      {"integer for string", false, "critic.label_mode=3", {"'critic.label_mode'", "must be a string"}},
      {"word for boolean", true, "verbose=maybe", {"'verbose'", "must be a boolean", "\"maybe\""}},
      {"integer for boolean", true, "verbose=1", {"'verbose'", "must be a boolean", "integer 1"}},
      {"integer out of range", false, "ticks=0", {"'ticks' = 0 is out of range " + ticks_range}},
      {"real out of range", true, "rate=1.5", {"'rate' = 1.5 is out of range [0, 1]"}},
      {"negative seed", false, "seed=-5", {"'seed' = -5 is out of range [0, 9223372036854775807]"}},
      {"not a choice", false, "attacker.strategy=nuke", {"'attacker.strategy' = \"nuke\" is not one of: ", "none"}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      // A valid override first: the bad one is reported even when it is not the first.
      const std::vector<std::string> sets{c.spec_test ? "count=3" : "ticks=3", c.set};
      auto msg = spec_error(c.spec_test ? spec_file : file, sets, std::nullopt);
      INFO("message: " << msg);
      CHECK_THAT(msg, StartsWith(std::string("--set ") + c.set + ": "));
      for (auto& s : c.contains) CHECK_THAT(msg, Contains(s));
      CHECK(msg.find('\n') == std::string::npos);
    }
  }
  SECTION("--seed beyond the largest seed") {
    auto msg = spec_error(file, {}, uint64_t(INT64_MAX) + 1);
    CHECK_THAT(msg, StartsWith("--seed 9223372036854775808: "));
  }
}

TEST_CASE("load_spec: keys the file does not set take their declared defaults", "[spec]") {
  temp_dir tmp("spec");
  SECTION("red_team") {
    auto file = tmp.write("partial.toml", "scenario = \"red_team\"\nticks = 12\n[attacker]\nstrategy = \"random\"\n");
    auto spec = load_spec(file, {}, std::nullopt);
    const auto& info = red_team();
    CHECK(spec.params.all().size() == info.params.size());
    for (auto& d : info.params) {
      INFO("parameter " << d.key);
      REQUIRE(spec.params.all().count(d.key) == 1);
      const auto& v = spec.params.all().at(d.key);
      if (d.key == "ticks") CHECK(v == param_value(int64_t(12)));
      else if (d.key == "attacker.strategy") CHECK(v == param_value(std::string("random")));
      else CHECK(v == d.default_value);
    }
    CHECK(spec.seed == uint64_t(std::get<int64_t>(decl(info, "seed").default_value)));
  }
  SECTION("a file with nothing but the scenario") {
    auto file = tmp.write("bare.toml", "scenario = \"spec_test\"\n");
    auto spec = load_spec(file, {}, std::nullopt);
    const scenario_info* info = find_scenario("spec_test");
    REQUIRE(info != nullptr);
    CHECK(spec.params.all().size() == info->params.size());
    for (auto& d : info->params) {
      INFO("parameter " << d.key);
      CHECK(spec.params.all().at(d.key) == d.default_value);
    }
    CHECK(spec.params.integer("count") == 5);
    CHECK_FALSE(spec.params.boolean("verbose"));
    CHECK(spec.params.text("mode") == "fast");
  }
  SECTION("the shipped red_team.toml loads") {
    auto spec = load_spec(fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml", {}, std::nullopt);
    CHECK(spec.scenario == "red_team");
    CHECK(spec.params.all().size() == red_team().params.size());
  }
}
