#include "scenarios/sandwiching/overseer.hpp"

#include <algorithm>
#include <numeric>

#include "actors/director/conversation.hpp"
#include "runtime/role_checkpoint.hpp"

namespace oversight {

namespace {

answer_batch decide_from(const std::vector<std::vector<double>>& posts) {
  answer_batch out;
  for (auto& p : posts) {
    const auto best = std::max_element(p.begin(), p.end());
    out.answer.push_back(int32_t(best - p.begin()));
    out.confidence.push_back(float(*best));
  }
  return out;
}

overseer_actor::behavior_type overseer(overseer_actor::pointer self, overseer_config cfg,
                                       std::shared_ptr<const quiz_world> w, assistant_actor model, uint64_t seed) {
  return {
      [=](solo_atom, const std::vector<int64_t>& qs) {
        std::vector<std::vector<double>> posts;
        for (auto q : qs) posts.push_back(overseer_posterior(cfg, w->nonexpert_belief(q), {}));
        return decide_from(posts);
      },
      [=](assisted_atom, const std::vector<int64_t>& qs) -> caf::result<answer_batch> {
        auto rp = self->make_response_promise<answer_batch>();
        conversation talk(self, [rp](const caf::error& e) mutable { rp.deliver(e); });
        const int asks = 1 + cfg.reasks;
        // Every answer first (in parallel; slots by attempt, so arrival order does not
        // matter), then cross-examination: the model argues for each of the overseer's
        // leading options, and the overseer checks each argument itself.
        std::vector<reply<answer_batch>> answers;
        for (int a = 0; a < asks; ++a) answers.push_back(talk.ask<answer_batch>(model, quiz_ask_atom::value, qs, int32_t(a)));
        talk.then([=]() mutable {
          std::vector<overseer_evidence> ev(qs.size());
          for (size_t i = 0; i < qs.size(); ++i)
            for (const auto& r : answers) ev[i].asks.push_back(model_reply{r->answer[i], r->confidence[i]});
          std::vector<int64_t> cq;
          std::vector<int32_t> co;
          for (size_t i = 0; i < qs.size(); ++i) {
            auto p = overseer_posterior(cfg, w->nonexpert_belief(qs[i]), ev[i]);
            std::vector<int32_t> order(p.size());
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return p[size_t(a)] > p[size_t(b)]; });
            for (int c = 0; c < std::min<int>(cfg.cross, int(order.size())); ++c) {
              cq.push_back(qs[i]);
              co.push_back(order[size_t(c)]);
            }
          }
          auto finish = [=](const argument_batch& args) mutable {
            const size_t per = size_t(std::min<int>(cfg.cross, w->options()));
            std::vector<std::vector<double>> posts;
            for (size_t i = 0; i < qs.size(); ++i) {
              auto& e = ev[i];
              for (size_t c = 0; c < per && i * per + c < co.size(); ++c) {
                const size_t j = i * per + c;
                e.checks.emplace_back(co[j], overseer_check(cfg, args.fact_holds.at(j) != 0, qs[i], co[j], seed));
              }
              posts.push_back(overseer_posterior(cfg, w->nonexpert_belief(qs[i]), e));
            }
            rp.deliver(decide_from(posts));
          };
          if (cq.empty()) return finish(argument_batch{});
          talk.ask<argument_batch>(model, quiz_argue_atom::value, cq, co).then([=](argument_batch& a) mutable {
            finish(a);
          });
        });
        return rp;
      },
      stateless_save_handler(),  // keyed randomness: nothing carries from one tick to the next
      stateless_restore_handler("overseer"),
  };
}
}  // namespace

overseer_actor spawn_overseer(caf::actor_system& sys, const overseer_config& cfg,
                              std::shared_ptr<const quiz_world> world, assistant_actor assistant, uint64_t seed) {
  return sys.spawn(overseer, cfg, std::move(world), std::move(assistant), seed);
}

}  // namespace oversight
