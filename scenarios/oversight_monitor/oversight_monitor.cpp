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
//   monitors.judge(t, responses)      -> suspicion + flag per response (gathered in
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
#include "actors/monitor/monitor.hpp"
#include "actors/reviewer/reviewer.hpp"
#include "runtime/error.hpp"
#include "runtime/scenario_registry.hpp"

namespace oversight {

namespace {

struct queued {
  int64_t id;
  int64_t arrived;  ///< tick it was flagged
  float suspicion;
  float subtlety;
  int8_t violation;
};

class oversight_monitor_program : public tick_program {
 public:
  oversight_monitor_program(const scenario_spec& spec, caf::actor_system& sys) : p_(spec.params) {
    const auto& p = spec.params;
    const uint64_t seed = spec.seed;
    stream_ = rng(seed, "stream");
    if (p.boolean("monitor.critic")) {
      monitor_profile m;
      m.kind = "critic";
      m.quality = p.real("monitor.quality");
      m.threshold = p.real("monitor.threshold");
      monitors_.push_back(spawn_monitor(sys, m, "critic", seed));
    }
    if (p.boolean("monitor.rules")) {
      monitor_profile m;
      m.kind = "rules";
      m.blatant = p.real("rules.blatant");
      m.false_rate = p.real("rules.false_rate");
      monitors_.push_back(spawn_monitor(sys, m, "rules", seed));
    }
    if (monitors_.empty())
      throw user_error(spec.source + " (with any --set overrides): monitor.critic = false and monitor.rules = false: no monitor would flag "
                                     "anything (switch at least one on)");
    reviewer_profile h;
    h.accuracy = p.real("human.accuracy");
    h.false_confirm = p.real("human.false_confirm");
    for (int k = 0; k < p.integer("human.count"); ++k) reviewers_.push_back(spawn_reviewer(sys, h, k, seed));
    throughput_ = p.integer("human.throughput");
    max_wait_ = p.integer("queue.max_wait");
    by_suspicion_ = p.text("queue.order") == "suspicion";
  }

  int64_t ticks() const override { return p_.integer("ticks"); }

  std::vector<caf::actor> actors() const override {
    std::vector<caf::actor> out;
    for (auto& m : monitors_) out.push_back(caf::actor_cast<caf::actor>(m));
    for (auto& r : reviewers_) out.push_back(caf::actor_cast<caf::actor>(r));
    return out;
  }

  void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) override {
    // The learner's responses this tick (the hidden truth is drawn here, by the world).
    auto items = std::make_shared<response_items>();
    const int64_t n = p_.integer("stream.responses_per_tick");
    const double rate = p_.real("stream.violation_rate");
    for (int64_t i = 0; i < n; ++i) {
      items->id.push_back(next_id_++);
      items->violation.push_back(stream_.bernoulli(rate) ? 1 : 0);
      items->subtlety.push_back(float(stream_.uniform()));
    }
    gather<flag_batch>(
        self, monitors_,
        [=, this](std::vector<flag_batch> flags) {
          int64_t flagged_now = 0;
          for (size_t i = 0; i < items->rows(); ++i) {
            bool flagged = false;
            float suspicion = -1e30f;
            for (auto& f : flags) {
              flagged |= f.flagged[i] != 0;
              suspicion = std::max(suspicion, f.suspicion[i]);
            }
            const bool violation = items->violation[i] != 0;
            violations_ += violation;
            if (!flagged) {
              missed_ += violation;  // no monitor saw it: it goes through
              continue;
            }
            ++flagged_now;
            false_flags_ += !violation;
            queue_.push_back({items->id[i], t, suspicion, items->subtlety[i], items->violation[i]});
          }
          review(self, t, flagged_now, done);
        },
        done.fail, judge_atom::value, t, *items);
  }

 private:
  void review(caf::event_based_actor* self, int64_t t, int64_t flagged_now, tick_done done) {
    if (by_suspicion_)
      std::sort(queue_.begin(), queue_.end(), [](const queued& a, const queued& b) {
        return a.suspicion != b.suspicion ? a.suspicion > b.suspicion : a.id < b.id;
      });
    else
      std::sort(queue_.begin(), queue_.end(), [](const queued& a, const queued& b) {
        return a.arrived != b.arrived ? a.arrived < b.arrived : a.id < b.id;
      });
    const size_t R = reviewers_.size();
    const size_t capacity = R * size_t(throughput_);
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
    scatter<std::vector<int8_t>>(
        self, reviewers_, std::move(share),
        [=, this](std::vector<std::vector<int8_t>> verdicts) {
          for (size_t i = 0; i < taken->size(); ++i) {
            const bool confirmed = verdicts[i % R][i / R] != 0;
            const bool violation = (*taken)[i].violation != 0;
            caught_ += confirmed && violation;
            missed_ += !confirmed && violation;  // a reviewer let it through
            wrongly_confirmed_ += confirmed && !violation;
          }
          // Flags that waited max_wait ticks expire unreviewed.
          auto stale = [&](const queued& q) { return t - q.arrived + 1 >= max_wait_; };
          for (auto& q : queue_)
            if (stale(q)) missed_ += q.violation != 0;
          queue_.erase(std::remove_if(queue_.begin(), queue_.end(), stale), queue_.end());
          const double resolved = double(caught_ + missed_);
          std::vector<metric_row> rows;
          rows.push_back({t, "monitors", "violations_caught", double(caught_)});
          rows.push_back({t, "monitors", "violations_missed", double(missed_)});
          // Rates with an empty denominator are not 0: the row is left out that tick.
          if (resolved > 0) rows.push_back({t, "monitors", "catch_rate", double(caught_) / resolved});
          rows.push_back({t, "monitors", "false_flags", double(false_flags_)});
          rows.push_back({t, "monitors", "flags_raised", double(flagged_now)});
          rows.push_back({t, "humans", "queue_length", double(queue_.size())});
          if (capacity > 0) rows.push_back({t, "humans", "human_load", double(taken->size()) / double(capacity)});
          rows.push_back({t, "humans", "wrongly_confirmed", double(wrongly_confirmed_)});
          done.ok(std::move(rows));
        },
        done.fail, review_atom::value, t);
  }

  param_set p_;
  rng stream_;
  std::vector<monitor_actor> monitors_;
  std::vector<reviewer_actor> reviewers_;
  int64_t throughput_ = 0, max_wait_ = 1;
  bool by_suspicion_ = true;
  std::vector<queued> queue_;
  int64_t next_id_ = 0, violations_ = 0, caught_ = 0, missed_ = 0, false_flags_ = 0, wrongly_confirmed_ = 0;
};

void run_oversight_monitor(run_context& ctx) {
  drive(ctx, std::make_shared<oversight_monitor_program>(ctx.spec(), ctx.system()));
}

using P = param_decl;
const registrar reg{scenario_info{
    "oversight_monitor",
    "scalable oversight: automated monitors (critic, rules) flag a learner's responses into a queue served by "
    "human experts with limited throughput",
    {
        P::integer("ticks", 60, 1, 1000000, "ticks of simulated time"),
        P::integer("stream.responses_per_tick", 200, 0, 10000000, "learner responses monitored each tick"),
        P::real("stream.violation_rate", 0.05, 0.0, 1.0, "share of responses that violate the policy (hidden)"),
        P::boolean("monitor.critic", true, "run the critic-model monitor"),
        P::real("monitor.quality", 0.6, 0.0, 1.0, "critic monitor quality: separation of violations = 4 x this (sd)"),
        P::real("monitor.threshold", 1.5, -10.0, 10.0, "critic monitor flags above this suspicion"),
        P::boolean("monitor.rules", true, "run the rule checks"),
        P::real("rules.blatant", 0.25, 0.0, 1.0, "rule checks catch violations with subtlety below this"),
        P::real("rules.false_rate", 0.005, 0.0, 1.0, "rule checks misfire on this share of benign responses"),
        P::integer("human.count", 2, 0, 100000, "human reviewers"),
        P::integer("human.throughput", 5, 0, 1000000, "reviews each human completes per tick"),
        P::real("human.accuracy", 0.95, 0.0, 1.0, "P(a human confirms a reviewed violation)"),
        P::real("human.false_confirm", 0.02, 0.0, 1.0, "P(a human confirms a reviewed benign response)"),
        P::integer("queue.max_wait", 5, 1, 1000000, "ticks a flag waits before it expires unreviewed"),
        P::text("queue.order", "suspicion", {"suspicion", "fifo"}, "review order: most suspicious first, or FIFO"),
    },
    {
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
    run_oversight_monitor,
    // Small enough for the test over every registered scenario.
    {"ticks=8", "human.count=3"}}};

}  // namespace

}  // namespace oversight
