// The preference trainers' checkpoint state (policies/preference.hpp): a trainer restored
// from another's saved state continues exactly as the original does.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/state_io.hpp"
#include "policies/preference.hpp"

using namespace oversight;

namespace {

response_features small_features(rng& r) {
  response_features io;
  io.dim = 3;
  io.options = 5;
  io.features = 2;
  for (int i = 0; i < io.options * io.features; ++i) io.f.push_back(float(r.normal()));
  return io;
}

pref_policy_config small_policy(rng& r) {
  pref_policy_config cfg;
  cfg.io = small_features(r);
  for (int i = 0; i < cfg.io.features * cfg.io.dim; ++i) cfg.base_w.push_back(float(r.normal()));
  for (int i = 0; i < cfg.io.options; ++i) cfg.base_c.push_back(float(r.normal(0.0, 0.5)));
  cfg.hidden = 8;
  cfg.lr = 1e-2;  // large steps, so a state left behind shows within one
  cfg.epochs = 2;
  cfg.minibatch = 4;  // several minibatches per epoch: the order stream matters
  return cfg;
}

/// `rows` rows of random prompts, a and b two different responses, target[0] a reward
/// (ppo) or a 0/1 preference (bt).
train_batch random_batch(const response_features& io, size_t rows, bool binary, rng& r) {
  train_batch b;
  b.dim = io.dim;
  b.width = 1;
  for (size_t i = 0; i < rows; ++i) {
    for (int d = 0; d < io.dim; ++d) b.x.push_back(float(r.normal()));
    const int32_t a = int32_t(r.below(uint64_t(io.options)));
    const int32_t o = int32_t((size_t(a) + 1 + r.below(uint64_t(io.options - 1))) % size_t(io.options));
    b.a.push_back(a);
    b.b.push_back(o);
    b.target.push_back(binary ? float(r.bernoulli(0.5)) : float(r.normal()));
  }
  return b;
}

std::vector<char> saved(trainable& t) {
  auto out = state_io::writer();
  t.state(out);
  return out.take();
}

void restore(trainable& t, std::vector<char> bytes) {
  auto in = state_io::reader(std::move(bytes), "trainer");
  t.state(in);
  in.finish();
}

/// Steps `original` twice, restores its saved state into `copy` (a fresh trainer from the
/// same initial weights but another seed: empty buffers, zero moments, other streams),
/// and checks that the next two steps of both agree bit for bit, while `fresh` (built as
/// `copy` was, never restored) does not.
void check_resumes(const std::function<std::unique_ptr<trainable>(uint64_t)>& make, const response_features& io,
                   bool binary) {
  rng data(7, "batches");
  auto original = make(1);
  for (int s = 0; s < 2; ++s) original->step(random_batch(io, 10, binary, data));
  auto copy = make(2);
  auto fresh = make(2);
  restore(*copy, saved(*original));
  for (int s = 0; s < 2; ++s) {
    const auto b = random_batch(io, 10, binary, data);
    const auto want = original->step(b);
    const auto got = copy->step(b);
    const auto other = fresh->step(b);
    INFO("step " << s << " after the restore");
    REQUIRE(got == want);
    CHECK(other != want);  // the saved state matters: the comparison above could fail
  }
}

}  // namespace

TEST_CASE("preference trainers resume from their saved state bit for bit", "[preference][unit][resume-state]") {
  rng r(3, "preference-state");
  const auto cfg = small_policy(r);
  rng init(3, "init");
  const pref_policy policy(cfg, init);
  const auto start = policy.params();

  SECTION("ppo") {
    check_resumes([&](uint64_t seed) { return make_ppo_trainer(cfg, start, seed); }, cfg.io, false);
  }
  SECTION("dpo") {
    check_resumes([&](uint64_t seed) { return make_dpo_trainer(cfg, start, seed); }, cfg.io, false);
  }
  SECTION("bt") {
    pref_rm_config rc;
    rc.io = cfg.io;
    rc.hidden = 8;
    rc.ensemble = 2;
    rc.prior_scale = 0.5;
    rc.prior_seed = 11;
    rc.updates = 3;
    rc.minibatch = 4;
    rng rm_init(3, "rm-init");
    const pref_reward_model rm(rc, rm_init);
    const auto rm_start = rm.params();
    check_resumes([&](uint64_t seed) { return make_bt_trainer(rc, rm_start, seed); }, rc.io, true);
  }
}
