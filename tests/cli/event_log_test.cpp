// The event log as a user meets it: events.msgpack in a run directory, read by any
// msgpack tool (Debian's python3-msgpack here) and by `oversight replay`, whose bad input
// (a missing file, a bad --ticks, bad bytes) exits 2 with one line naming it.
#include <catch2/catch.hpp>

#include <fstream>

#include "runtime/scenario_registry.hpp"
#include "runtime/spec.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

using namespace oversight;
using namespace oversight::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

const fs::path red_team_toml = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios/red_team/red_team.toml";
const char* const python = "/usr/bin/python3";  // Debian's, where python3-msgpack installs

process_result oversight_cmd(const std::vector<std::string>& args, const temp_dir& cwd) {
  return run_process(OVERSIGHT_BIN, args, cwd.path());
}

/// A small red_team run (4 ticks, seed 3) into DIR/run.
void small_red_team_run(const temp_dir& tmp, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", red_team_toml.string(), "--seed", "3", "--threads", "2", "--out", "run"};
  for (auto& s : find_scenario("red_team")->smoke) args.insert(args.end(), {"--set", s});
  args.insert(args.end(), {"--set", "ticks=4"});
  for (auto& e : extra) args.push_back(e);
  auto r = oversight_cmd(args, tmp);
  INFO(r.err);
  REQUIRE(r.status == 0);
}

// Reads the log with python3-msgpack and checks the documented schema; prints
// "records requests replies ticks".
const char* const schema_check = R"(
import sys
import msgpack
with open(sys.argv[1], 'rb') as f:
    recs = list(msgpack.Unpacker(f, raw=False))
h = recs[0]
assert list(h.keys()) == ['format', 'version', 'scenario', 'seed'], h
assert h['format'] == 'oversight-events' and h['version'] == 2, h
assert h['scenario'] == 'red_team' and h['seed'] == 3, h
body = recs[1:]
assert body
for r in body:
    assert list(r.keys()) == ['tick', 'from', 'to', 'type', 'kind', 'payload'], r
    assert isinstance(r['tick'], int) and isinstance(r['payload'], bytes) and len(r['payload']) > 0, r
    assert all(isinstance(r[k], str) and r[k] for k in ('from', 'to', 'type')), r
    assert r['kind'] in ('request', 'reply'), r
req = sum(r['kind'] == 'request' for r in body)
rep = len(body) - req
ticks = sorted(set(r['tick'] for r in body))
assert ticks == list(range(4)), ticks
assert [r['tick'] for r in body] == sorted(r['tick'] for r in body)
assert any(r['from'] == 'director' and r['to'] == 'expert-0' and r['type'] == 'deliver' for r in body)
assert any(r['from'] == 'expert-0' and r['to'] == 'director' and r['kind'] == 'reply' for r in body)
assert any(r['from'] == 'learner' and r['to'] == 'learner/trainer' and r['type'] == 'step' for r in body)
assert any(r['from'] == 'learner/trainer' and r['to'] == 'learner' and r['type'] == 'param_blob' for r in body)
print(len(body), req, rep, len(ticks))
)";

}  // namespace

TEST_CASE("events: a shipped scenario's events.msgpack reads with python3-msgpack as documented", "[events][cli][python-msgpack]") {
  temp_dir tmp("events");
  small_red_team_run(tmp);
  const auto log = tmp / "run" / "events.msgpack";
  REQUIRE(fs::is_regular_file(log));
  {
    std::ofstream(tmp / "check.py") << schema_check;
  }
  REQUIRE(fs::exists(python));
  auto r = run_process(python, {(tmp / "check.py").string(), log.string()}, tmp.path());
  INFO("python3 (needs python3-msgpack: tools/setup installs it):\n" << r.out << r.err);
  REQUIRE(r.status == 0);
  std::istringstream counts(r.out);
  size_t records = 0, requests = 0, replies = 0, ticks = 0;
  counts >> records >> requests >> replies >> ticks;
  CHECK(ticks == 4);
  // Every request of a tick-mode run is answered within its tick, and logged with it.
  CHECK(requests == replies);
  CHECK(records == requests + replies);

  // `oversight replay` prints the header line, then one line per record.
  auto all = oversight_cmd({"replay", "run"}, tmp);
  INFO(all.err);
  REQUIRE(all.status == 0);
  const auto lines = all.out_lines();
  REQUIRE(lines.size() == records + 1);
  CHECK(lines[0] == "# red_team seed 3 (event log format 2)");
  CHECK_THAT(lines[1], StartsWith("0 director -> "));
  // Every field prints: enums by name (an expert's labels say what kind they are).
  CHECK_THAT(all.out, !Contains("<unprintable>"));
  CHECK_THAT(all.out, Contains("pointwise"));
}

TEST_CASE("events: replay selects by actor, ticks and type, and cuts long payloads", "[events][cli]") {
  temp_dir tmp("events");
  small_red_team_run(tmp);
  auto count = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"replay", "run"});
    auto r = oversight_cmd(args, tmp);
    INFO(r.err);
    REQUIRE(r.status == 0);
    auto lines = r.out_lines();
    REQUIRE(!lines.empty());
    lines.erase(lines.begin());  // the header line
    return lines;
  };
  const auto all = count({});
  const auto expert = count({"--actor", "expert-0"});
  REQUIRE(!expert.empty());
  CHECK(expert.size() < all.size());
  for (auto& l : expert) CHECK_THAT(l, Contains("expert-0"));
  const auto tick2 = count({"--ticks", "2:2"});
  REQUIRE(!tick2.empty());
  for (auto& l : tick2) CHECK_THAT(l, StartsWith("2 "));
  CHECK(count({"--ticks", "1:"}).size() + count({"--ticks", "0"}).size() == all.size());
  CHECK(count({"--ticks", ":3"}).size() == all.size());
  const auto deliver = count({"--type", "deliver", "--actor", "director", "--ticks", "1:2"});
  REQUIRE(!deliver.empty());
  for (auto& l : deliver) {
    CHECK_THAT(l, Contains(" deliver request: "));
    CHECK_THAT(l, Contains("'deliver'"));
  }
  CHECK(count({"--type", "no_such_type"}).empty());
  // The learner's training batches print long: cut, with a count of what was left out.
  const auto steps = count({"--type", "step"});
  REQUIRE(!steps.empty());
  CHECK_THAT(steps[0], Contains(" more chars)"));
}

TEST_CASE("events: replay refuses a missing log, bad --ticks and bad bytes in one line", "[events][cli]") {
  temp_dir tmp("events");
  require_user_error(oversight_cmd({"replay", "nowhere"}, tmp), {"nowhere", "no such directory"});
  fs::create_directories(tmp / "empty");
  require_user_error(oversight_cmd({"replay", "empty"}, tmp), {"empty/events.msgpack", "no event log"});

  small_red_team_run(tmp);
  for (std::string bad : {"3:1", "-1:2", "a:b", "1:2:3", ":", "", "x"}) {
    INFO("--ticks '" << bad << "'");
    require_user_error(oversight_cmd({"replay", "run", "--ticks", bad}, tmp), {"--ticks"});
  }

  const auto good = slurp(tmp / "run" / "events.msgpack");
  auto write_log = [&](const std::string& bytes) {
    fs::create_directories(tmp / "bad");
    std::ofstream(tmp / "bad" / "events.msgpack", std::ios::binary | std::ios::trunc) << bytes;
  };
  // Cut in the middle of a record: the records before it are fine, the cut one is named.
  write_log(good.substr(0, good.size() - 3));
  require_user_error(oversight_cmd({"replay", "bad"}, tmp), {"bad/events.msgpack", "bad bytes at offset ", "cut short"});
  // A byte that is not msgpack at the start of a record.
  write_log(good + std::string("\xc1", 1));
  require_user_error(oversight_cmd({"replay", "bad"}, tmp),
                     {"bad/events.msgpack", "bad bytes at offset " + std::to_string(good.size())});
  // Not an event log at all.
  write_log(std::string("\x81\xa1x\x01", 4));
  require_user_error(oversight_cmd({"replay", "bad"}, tmp), {"bad/events.msgpack", "bad bytes at offset 0"});
  write_log("");
  require_user_error(oversight_cmd({"replay", "bad"}, tmp), {"bad/events.msgpack", "no header record"});
  // A payload whose bytes are wrong is printed as undecodable, not decoded into garbage.
  {
    std::string flipped = good;
    const auto at = flipped.find("payload", 40);
    REQUIRE(at != std::string::npos);
    // 'payload', then the bin header (0xc4 N or 0xc5 N N), then the payload's bytes.
    size_t body = at + 7 + (uint8_t(flipped[at + 7]) == 0xc4 ? 2 : 3);
    for (size_t i = body; i < body + 4 && i < flipped.size(); ++i) flipped[i] = char(0xff);
    write_log(flipped);
    auto r = oversight_cmd({"replay", "bad"}, tmp);
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Contains("undecodable"));
  }
}

TEST_CASE("events: events.log = false writes no log and the population-scale files turn it off", "[events][cli]") {
  temp_dir tmp("events");
  small_red_team_run(tmp, {"--set", "events.log=false"});
  CHECK(fs::is_regular_file(tmp / "run" / "run.sqlite"));
  CHECK_FALSE(fs::exists(tmp / "run" / "events.msgpack"));
  CHECK_FALSE(load_spec(tmp / "run" / "scenario.toml", {}, std::nullopt).params.boolean("events.log"));
  const auto folder = fs::path(OVERSIGHT_SOURCE_DIR) / "scenarios";
  CHECK_FALSE(load_spec(folder / "principal_agent/principal_agent_100k.toml", {}, 1).params.boolean("events.log"));
  CHECK(load_spec(folder / "principal_agent/principal_agent.toml", {}, 1).params.boolean("events.log"));
  CHECK(load_spec(red_team_toml, {}, 1).params.boolean("events.log"));
}

TEST_CASE("events: an events.msgpack already in --out is refused and left as it was", "[events][cli]") {
  temp_dir tmp("events");
  fs::create_directories(tmp / "run");
  std::ofstream(tmp / "run" / "events.msgpack") << "mine";
  std::vector<std::string> args{"run", red_team_toml.string(), "--out", "run"};
  for (auto& s : find_scenario("red_team")->smoke) args.insert(args.end(), {"--set", s});
  require_user_error(oversight_cmd(args, tmp), {"--out", "events.msgpack"});
  CHECK(slurp(tmp / "run" / "events.msgpack") == "mine");
  CHECK_FALSE(fs::exists(tmp / "run" / "run.sqlite"));
}
