// base/state_io.hpp: what a writer writes reads back, and a sizer counts exactly it.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "base/rng.hpp"
#include "base/state_io.hpp"

using namespace oversight;

namespace {
struct sample {
  rng draws{7, "sample"};
  std::vector<float> big = std::vector<float>(100000, 0.5f);
  std::string name = "agent shard 3";
  std::map<std::string, std::vector<int>> table{{"a", {1, 2}}, {"b", {}}};
  int64_t tick = 41;
  void state(state_io& io) { io(big, draws, name, table, tick); }
};
}  // namespace

TEST_CASE("state_io: a sizer counts what a writer writes, and a writer sized by it never grows", "[unit][state_io]") {
  sample s;
  s.draws.next_u64();
  auto size = state_io::sizer();
  s.state(size);
  CHECK(size.bytes().empty());
  auto out = state_io::writer(size.size());
  const char* const start = out.bytes().data();
  s.state(out);
  CHECK(out.size() == size.size());
  CHECK(out.bytes().data() == start);  // the one buffer, never reallocated

  sample back;
  back.big.clear();
  back.name.clear();
  back.table.clear();
  back.tick = 0;
  auto in = state_io::reader(out.take(), "sample");
  back.state(in);
  in.finish();
  CHECK(back.big == s.big);
  CHECK(back.name == s.name);
  CHECK(back.table == s.table);
  CHECK(back.tick == 41);
  CHECK(back.draws.next_u64() == s.draws.next_u64());
}
