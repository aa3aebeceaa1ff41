// The abstention scenario: its decision rule, its labellers' error rate, its messages,
// and its two claims over 8 seeds.
#include <catch2/catch.hpp>

#include "runtime/protocol.hpp"
#include "scenarios/abstention/learner.hpp"
#include "scenarios/abstention/world.hpp"
#include "tests/support/claim_run.hpp"
#include "tests/support/round_trip.hpp"

using namespace oversight;
using namespace oversight::abstention;

namespace {

std::filesystem::path claim_file(const char* name) {
  return std::filesystem::path(OVERSIGHT_SOURCE_DIR) / "scenarios/abstention/claims" / name;
}

/// Harm and coverage of `a` on n traffic items of `w`.
std::pair<double, double> harm_coverage(const world& w, const abstainer& a, int64_t first, size_t n) {
  std::vector<float> x;
  std::vector<int32_t> truth;
  for (size_t i = 0; i < n; ++i) truth.push_back(w.item(first + int64_t(i), x));
  std::vector<int32_t> choice;
  std::vector<float> unsure;
  a.classify(x, choice, unsure);
  double novel = 0, harm = 0, known = 0, acted = 0;
  for (size_t i = 0; i < n; ++i) {
    if (truth[i] == kAbstain) novel += 1, harm += choice[i] != kAbstain;
    else known += 1, acted += choice[i] != kAbstain;
  }
  return {harm / novel, acted / known};
}

std::vector<item_label> pretraining(const world& w, int per_class) {
  rng r(7, "pretrain");
  std::vector<item_label> out;
  for (int32_t k = 0; k < w.config().classes; ++k)
    for (int i = 0; i < per_class; ++i) {
      item_label l;
      l.label = k;
      w.known_item(r, k, l.x);
      out.push_back(std::move(l));
    }
  return out;
}

}  // namespace

TEST_CASE("abstention: labelled novel items teach the learner to abstain on them", "[scenario][abstention]") {
  const world w(world_config{}, 3);
  abstainer a(learner_config{});
  a.teach(pretraining(w, 20));
  const auto [harm0, cover0] = harm_coverage(w, a, 0, 4000);
  INFO("known classes only: harm " << harm0 << ", coverage " << cover0);
  // Each novel cluster sits 3 from a class whose items lie about 2.4 from its centre:
  // most novel items fall inside the learner's radius and are taken for that class.
  CHECK(harm0 > 0.4);
  CHECK(cover0 > 0.95);
  // 400 correct labels of traffic items (none of the scored ones).
  std::vector<item_label> labels;
  for (int64_t id = 100000; id < 100400; ++id) {
    item_label l;
    l.id = id;
    l.label = w.item(id, l.x);
    labels.push_back(std::move(l));
  }
  a.teach(labels);
  const auto [harm1, cover1] = harm_coverage(w, a, 0, 4000);
  INFO("with 400 labels: harm " << harm1 << ", coverage " << cover1);
  CHECK(harm1 < 0.5 * harm0);
  CHECK(cover1 > 0.9);
}

TEST_CASE("abstention: an item is the same wherever it is drawn, and novel items are the declared share",
          "[scenario][abstention]") {
  world_config c;
  c.abstain_share = 0.3;
  const world a(c, 5), b(c, 5);
  double novel = 0;
  for (int64_t id = 0; id < 20000; ++id) {
    std::vector<float> xa, xb;
    const int32_t ta = a.item(id, xa), tb = b.item(id, xb);
    REQUIRE(ta == tb);
    REQUIRE(xa == xb);
    novel += ta == kAbstain;
  }
  CHECK(novel / 20000 == Approx(0.3).margin(0.015));
}

TEST_CASE("abstention: its messages round-trip", "[scenario][abstention][protocol]") {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  caf::actor_system sys{cfg};
  const item_batch items{2, {4, 9}, {1.f, 2.f, 3.f, 4.f}};
  CHECK(oversight::testing::message_round_trip(sys, items) == items);
  const label_list labels{{item_label{4, {1.f, 2.f}, kAbstain}, item_label{9, {3.f, 4.f}, 2}}};
  CHECK(oversight::testing::message_round_trip(sys, labels) == labels);
  const choice_batch choices{{kAbstain, 1}};
  CHECK(oversight::testing::message_round_trip(sys, choices) == choices);
}

TEST_CASE("abstention: labels buy safety, and asking about what it is unsure of buys more than asking at random",
          "[scenario][abstention][claims]") {
  for (const char* name : {"budget_buys_safety.toml", "unsure_picks.toml"}) {
    const auto v = oversight::testing::run_claim_file(claim_file(name), {}, "1..8");
    INFO(oversight::testing::describe(v));
    CHECK(v.holds);
  }
}
