// oversight_monitor: scalable oversight by automated monitoring and programmatic review.
// A learner emits a stream of responses, a share of which violate the policy (hidden
// truth), some blatantly, some subtly. Automated monitors (a critic model, rule checks)
// score every response and flag suspicious ones into a review queue; simulated human
// experts with limited throughput review the queue, most suspicious first (or first in,
// first out); a flag that waits longer than `queue.max_wait` ticks expires unreviewed.
// The question: how does the share of violations caught move with monitor quality and
// the human budget?
//
// One tick, as message flow:
//
//   stream (this program, stream rng) -> new responses
//   monitors.scan(t, responses)       -> suspicion + flag per response (gathered in
//                                        monitor order; flagged if any monitor flags,
//                                        priority = the largest suspicion)
//   queue (this program): flagged responses join; the top capacity = count x throughput
//   reviewers.review(t, their share)  -> confirmations (scattered round-robin, gathered
//                                        in reviewer order)
//   expiry, then metrics under the hidden truth
//
// Determinism: the queue order is a total order ((suspicion desc, id) or (arrival, id)),
// replies are gathered by index, and each actor draws from its own stream.
#include <algorithm>
#include <memory>

#include "actors/director/director.hpp"
#include "base/error.hpp"
#include "runtime/param_fields.hpp"
#include "runtime/scenario_registry.hpp"
#include "scenarios/oversight_monitor/monitor.hpp"
#include "scenarios/oversight_monitor/reviewer.hpp"

namespace oversight {

namespace {

/// The order humans take flags from the queue in.
enum class queue_order { suspicion, fifo };

/// Every parameter, declared and read by one list.
struct oversight_monitor_params {
  int64_t ticks = 0;
  int64_t responses_per_tick = 0;
  double violation_rate = 0;
  bool critic_on = true;
  monitor_profile critic;
  bool rules_on = true;
  monitor_profile rules;
  int64_t humans = 0;
  int64_t throughput = 0;
  reviewer_profile human;
  int64_t max_wait = 1;
  queue_order order = queue_order::suspicion;

  void fields(param_fields& f) {
    f.integer("ticks", ticks, 60, 1, 1000000, "ticks of simulated time");
    f.integer("stream.responses_per_tick", responses_per_tick, 200, 0, 10000000,
              "learner responses monitored each tick");
    f.real("stream.violation_rate", violation_rate, 0.05, 0.0, 1.0,
           "share of responses that violate the policy (hidden)");
    f.boolean("monitor.critic", critic_on, true, "run the critic-model monitor");
    f.real("monitor.quality", critic.quality, 0.6, 0.0, 1.0,
           "critic monitor quality: separation of violations = 4 x this (sd)");
    f.real("monitor.threshold", critic.threshold, 1.5, -10.0, 10.0, "critic monitor flags above this suspicion");
    f.boolean("monitor.rules", rules_on, true, "run the rule checks");
    f.real("rules.blatant", rules.blatant, 0.25, 0.0, 1.0, "rule checks catch violations with subtlety below this");
    f.real("rules.false_rate", rules.false_rate, 0.005, 0.0, 1.0,
           "rule checks misfire on this share of benign responses");
    f.integer("human.count", humans, 2, 0, 100000, "human reviewers");
    f.integer("human.throughput", throughput, 5, 0, 1000000, "reviews each human completes per tick");
    f.real("human.accuracy", human.accuracy, 0.95, 0.0, 1.0, "P(a human confirms a reviewed violation)");
    f.real("human.false_confirm", human.false_confirm, 0.02, 0.0, 1.0,
           "P(a human confirms a reviewed benign response)");
    f.integer("queue.max_wait", max_wait, 5, 1, 1000000, "ticks a flag waits before it expires unreviewed");
    f.choice("queue.order", order, queue_order::suspicion,
             {{"suspicion", queue_order::suspicion}, {"fifo", queue_order::fifo}},
             "review order: most suspicious first, or FIFO");
  }

  /// Combinations the ranges alone cannot rule out (scenario_info::check). Throws user_error.
  void check() const {
    if (!critic_on && !rules_on)
      throw user_error("monitor.critic = false and monitor.rules = false: no monitor would flag anything (switch "
                       "at least one on)");
  }
};

struct queued {
  int64_t id;
  int64_t arrived;  ///< tick it was flagged
  float suspicion;
  float subtlety;
  int8_t violation;
};

class oversight_monitor_program : public scenario_program {
 public:
  oversight_monitor_program(const param_set& params, uint64_t seed, caf::actor_system& sys)
      : p_(read_params<oversight_monitor_params>(params)), stream_(seed, "stream") {
    p_.critic.kind = monitor_kind::critic;
    p_.rules.kind = monitor_kind::rules;
    if (p_.critic_on) monitors_.push_back(keep("critic", spawn_monitor(sys, p_.critic, "critic", seed)));
    if (p_.rules_on) monitors_.push_back(keep("rules", spawn_monitor(sys, p_.rules, "rules", seed)));
    for (int k = 0; k < p_.humans; ++k) reviewers_.push_back(keep("reviewer-" + std::to_string(k), spawn_reviewer(sys, p_.human, k, seed)));
  }

  int64_t ticks() const override { return p_.ticks; }
  /// Checkpoints: the traffic stream, the review queue and the running counts; the
  /// monitors and reviewers save their random streams.
  bool saves_state() const override { return true; }
  void state(state_io& io) override {
    io(stream_, queue_, next_id_, violations_, caught_, missed_, false_flags_, wrongly_confirmed_);
  }

  void run_tick(tick_handle tick) override {
    // The learner's responses this tick (the hidden truth is drawn here, by the world).
    auto items = std::make_shared<response_items>();
    for (int64_t i = 0; i < p_.responses_per_tick; ++i) {
      items->id.push_back(next_id_++);
      items->violation.push_back(stream_.bernoulli(p_.violation_rate) ? 1 : 0);
      items->subtlety.push_back(float(stream_.uniform()));
    }
    auto flags = tick.gather<flag_batch>(monitors_, scan_atom::value, tick.t(), *items);
    tick.then([=, this] { review(tick, enqueue(tick.t(), *items, *flags)); });
  }

 private:
  /// Flagged responses join the queue (flagged if any monitor flags, priority the
  /// largest suspicion); returns how many were flagged.
  int64_t enqueue(int64_t t, const response_items& items, const std::vector<flag_batch>& flags) {
    int64_t flagged_now = 0;
    for (size_t i = 0; i < items.rows(); ++i) {
      bool flagged = false;
      float suspicion = -1e30f;
      for (auto& f : flags) {
        flagged |= f.flagged[i] != 0;
        suspicion = std::max(suspicion, f.suspicion[i]);
      }
      const bool violation = items.violation[i] != 0;
      violations_ += violation;
      if (!flagged) {
        missed_ += violation;  // no monitor saw it: it goes through
        continue;
      }
      ++flagged_now;
      false_flags_ += !violation;
      queue_.push_back({items.id[i], t, suspicion, items.subtlety[i], items.violation[i]});
    }
    return flagged_now;
  }

  void review(tick_handle tick, int64_t flagged_now) {
    if (p_.order == queue_order::suspicion)
      std::sort(queue_.begin(), queue_.end(), [](const queued& a, const queued& b) {
        return a.suspicion != b.suspicion ? a.suspicion > b.suspicion : a.id < b.id;
      });
    else
      std::sort(queue_.begin(), queue_.end(), [](const queued& a, const queued& b) {
        return a.arrived != b.arrived ? a.arrived < b.arrived : a.id < b.id;
      });
    const size_t R = reviewers_.size();
    const size_t capacity = R * size_t(p_.throughput);
    const size_t take = std::min(capacity, queue_.size());
    auto taken = std::make_shared<std::vector<queued>>(queue_.begin(), queue_.begin() + std::ptrdiff_t(take));
    queue_.erase(queue_.begin(), queue_.begin() + std::ptrdiff_t(take));
    std::vector<response_items> share(R);
    for (size_t i = 0; i < take; ++i) {  // round-robin: reviewer i % R gets item i
      auto& s = share[i % R];
      s.id.push_back((*taken)[i].id);
      s.violation.push_back((*taken)[i].violation);
      s.subtlety.push_back((*taken)[i].subtlety);
    }
    auto verdicts = tick.scatter<std::vector<int8_t>>(reviewers_, std::move(share), review_atom::value, tick.t());
    tick.then([=, this] { score(tick, flagged_now, capacity, *taken, *verdicts); });
  }

  // Confirmations and expiries, then metrics under the hidden truth.
  void score(tick_handle tick, int64_t flagged_now, size_t capacity, const std::vector<queued>& taken,
             const std::vector<std::vector<int8_t>>& verdicts) {
    const size_t R = reviewers_.size();
    const int64_t t = tick.t();
    for (size_t i = 0; i < taken.size(); ++i) {
      const bool confirmed = verdicts[i % R][i / R] != 0;
      const bool violation = taken[i].violation != 0;
      caught_ += confirmed && violation;
      missed_ += !confirmed && violation;  // a reviewer let it through
      wrongly_confirmed_ += confirmed && !violation;
    }
    // Flags that waited max_wait ticks expire unreviewed.
    auto stale = [&](const queued& q) { return t - q.arrived + 1 >= p_.max_wait; };
    for (auto& q : queue_)
      if (stale(q)) missed_ += q.violation != 0;
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(), stale), queue_.end());
    const double resolved = double(caught_ + missed_);
    tick.record("monitors", "violations_caught", double(caught_));
    tick.record("monitors", "violations_missed", double(missed_));
    // Rates with an empty denominator are not 0: the row is left out that tick.
    if (resolved > 0) tick.record("monitors", "catch_rate", double(caught_) / resolved);
    tick.record("monitors", "false_flags", double(false_flags_));
    tick.record("monitors", "flags_raised", double(flagged_now));
    tick.record("humans", "queue_length", double(queue_.size()));
    if (capacity > 0) tick.record("humans", "human_load", double(taken.size()) / double(capacity));
    tick.record("humans", "wrongly_confirmed", double(wrongly_confirmed_));
    tick.finish();
  }

  oversight_monitor_params p_;
  rng stream_;
  std::vector<monitor_actor> monitors_;
  std::vector<reviewer_actor> reviewers_;
  std::vector<queued> queue_;
  int64_t next_id_ = 0, violations_ = 0, caught_ = 0, missed_ = 0, false_flags_ = 0, wrongly_confirmed_ = 0;
};

/// The program, once the parameters pass the check that names the scenario file (which
/// only the run's spec knows, not the program).
const registrar reg{scenario_info{
    .name = "oversight_monitor",
    .doc = "scalable oversight: automated monitors (critic, rules) flag a learner's responses into a queue served by "
           "human experts with limited throughput",
    .params = declare_params<oversight_monitor_params>(),
    .metrics = {
        {"violations_caught", "violations confirmed by a human so far"},
        {"violations_missed", "violations that went through so far: unflagged, expired in the queue, or let pass"},
        {"catch_rate",
         "violations caught / (caught + missed) so far; not recorded on ticks before any violation is caught or "
         "missed (nothing to catch yet is not a catch rate of 0)"},
        {"false_flags", "benign responses flagged so far"},
        {"flags_raised", "responses flagged this tick"},
        {"queue_length", "flags waiting for a human after this tick's reviews and expiries"},
        {"human_load",
         "this tick's reviews / human capacity (count x throughput); not recorded when the capacity is 0"},
        {"wrongly_confirmed", "benign responses a human confirmed as violations so far"},
    },
    .run = run_program<oversight_monitor_program>,
    // Small enough for the test over every registered scenario.
    .smoke = {"ticks=8", "human.count=3"},
    .messages = register_oversight_monitor_messages,
    .check = [](const param_set& p) { read_params<oversight_monitor_params>(p).check(); }}};

}  // namespace

}  // namespace oversight
