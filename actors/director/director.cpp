#include "actors/director/director.hpp"

#include <stdexcept>

namespace oversight {

placement*& placement_in_construction() {
  thread_local placement* p = nullptr;
  return p;
}

namespace {
struct director_state {
  std::shared_ptr<tick_program> program;
  caf::response_promise finished;
  bool failed = false;
};

/// A checkpoint's bytes: the program's own state, then each role's, in actors() order.
struct saved_run {
  std::vector<char> program;
  std::vector<std::vector<char>> roles;
  void state(state_io& io) { io(program, roles); }
};

caf::behavior director(caf::stateful_actor<director_state>* self, std::shared_ptr<tick_program> program,
                       run_context* ctx) {
  self->state.program = std::move(program);
  if (auto* log = event_log_of(self->system())) {
    log->name(self->address(), "director");
    auto actors = self->state.program->actors();
    auto names = self->state.program->actor_names();
    for (size_t i = 0; i < actors.size() && i < names.size(); ++i)
      if (actors[i] && !names[i].empty()) log->name(actors[i].address(), names[i]);
  }
  auto stop_roles = [=] {
    for (auto& a : self->state.program->actors()) self->send_exit(a, caf::exit_reason::user_shutdown);
  };
  auto fail = [=](const caf::error& e) {
    if (self->state.failed) return;
    self->state.failed = true;
    stop_roles();
    self->state.finished.deliver(e);
    self->quit();
  };
  const int64_t every = self->state.program->saves_state() ? ctx->checkpoints().every : 0;

  // A role that stops during the run (its node died, its connection was lost, it threw)
  // ends the run naming it, instead of leaving a request unanswered forever.
  {
    auto actors = self->state.program->actors();
    auto names = self->state.program->actor_names();
    for (auto& a : actors)
      if (a) self->monitor(a);
    self->set_down_handler([=](caf::down_msg& m) {
      std::string who = "a role";
      for (size_t i = 0; i < actors.size() && i < names.size(); ++i)
        if (actors[i] && actors[i].address() == m.source) who = names[i];
      if (const placement* p = ctx->places()) who = p->where(who);
      const bool remote = m.reason == caf::exit_reason::remote_link_unreachable;
      // sec::runtime_error: CAF's exit reason for an exception thrown in the actor (or in
      // one linked to it); run.cpp waits for its what() (role_threw_exception).
      const bool threw = m.reason == caf::sec::runtime_error;
      fail(caf::make_error(caf::sec::runtime_error,
                           who + (remote  ? " is unreachable: its node died or the connection to it was lost"
                                  : threw ? std::string(role_threw_exception)
                                          : " stopped during the run (" + self->system().render(m.reason) + ")")));
    });
  }

  // save(t, k): the state at the start of tick t (every role's and the program's) goes
  // to the recorder, which writes it after committing ticks < t; then k().
  auto save = [=](int64_t t, std::function<void()> k) {
    conversation<caf::event_based_actor> talk(self, fail, unlogged);
    auto roles = talk.gather<role_state>(self->state.program->actors(), save_atom::value);
    talk.then([=] {
      auto own = state_io::writer();
      self->state.program->state(own);
      auto program = own.take();
      // saved_run's layout, written piece by piece into a buffer sized once, each role's
      // bytes freed as soon as they are copied: at a population's scale the states are
      // the largest thing in the process, so the checkpoint holds them about once.
      size_t size = 2 * sizeof(uint64_t) + program.size();
      for (auto& r : *roles) size += sizeof(uint64_t) + r.bytes.size();
      auto out = state_io::writer(size);
      out(program);
      uint64_t n = roles->size();
      out(n);
      for (auto& r : *roles) {
        out(r.bytes);
        std::vector<char>().swap(r.bytes);
      }
      self->request(ctx->recorder(), caf::infinite, save_atom::value, checkpoint_blob{t, out.take()})
          .then([=](ack_atom) { k(); }, fail);
    });
  };

  // next(t): run tick t, record its rows, checkpoint when due, continue; after the last
  // tick, flush.
  auto next = std::make_shared<std::function<void(int64_t)>>();
  *next = [=](int64_t t) {
    auto& prog = *self->state.program;
    if (t >= prog.ticks()) {
      self->request(ctx->recorder(), caf::infinite, flush_atom::value)
          .then(
              [=](ack_atom) {
                stop_roles();
                self->state.finished.deliver(ack_atom::value);
                self->quit();
              },
              fail);
      return;
    }
    prog.run_tick(tick_handle(self, t,
                              tick_done{[=](std::vector<metric_row> rows) {
                                          // The recorder writes the rows while the next tick
                                          // runs (waiting for it idled every core about a
                                          // tenth of a tick): its mailbox keeps them ahead of
                                          // a checkpoint and of the final flush, and a failed
                                          // write still ends the run, a tick later at most.
                                          self->request(ctx->recorder(), caf::infinite, record_atom::value,
                                                        metric_batch{std::move(rows)})
                                              .then([](ack_atom) {}, fail);
                                          const int64_t ticks = self->state.program->ticks();
                                          ctx->progress(t + 1, ticks);
                                          if (every > 0 && (t + 1) % every == 0 && t + 1 < ticks)
                                            save(t + 1, [=] { (*next)(t + 1); });
                                          else
                                            (*next)(t + 1);
                                        },
                                        fail}));
  };

  // restore(k): every role and the program take back the checkpoint's state, then k().
  auto restore = [=](const checkpoint_blob& cp, std::function<void()> k) {
    auto& prog = *self->state.program;
    saved_run run;
    auto in = state_io::reader(cp.bytes, "checkpoint");
    run.state(in);
    in.finish();
    const auto roles = prog.actors();
    if (!prog.saves_state() || run.roles.size() != roles.size())
      throw std::runtime_error("the checkpoint holds " + std::to_string(run.roles.size()) + " roles, the run has " +
                               std::to_string(roles.size()));
    auto own = state_io::reader(std::move(run.program), "checkpoint of the scenario's program");
    prog.state(own);
    own.finish();
    conversation<caf::event_based_actor> talk(self, fail, unlogged);
    for (size_t i = 0; i < roles.size(); ++i) talk.ask<ack_atom>(roles[i], restore_atom::value, role_state{run.roles[i]});
    talk.then(std::move(k));
  };

  return {
      [=](run_atom) {
        self->state.finished = self->make_response_promise();
        const auto& cp = ctx->checkpoints().restore;
        if (!cp) {
          (*next)(0);
          return;
        }
        const int64_t t = cp->tick;
        try {
          restore(*cp, [=] { (*next)(t); });
        } catch (const std::exception& e) {
          fail(caf::make_error(caf::sec::runtime_error, std::string("cannot restore: ") + e.what()));
        }
      },
  };
}
}  // namespace

void drive(run_context& ctx, std::shared_ptr<tick_program> program) {
  auto& sys = ctx.system();
  auto d = sys.spawn(director, std::move(program), &ctx);
  caf::scoped_actor self{sys};
  std::string failure;
  self->request(d, caf::infinite, run_atom::value)
      .receive([](ack_atom) {},
               [&](caf::error& e) {
                 // A failure the director describes in words is its one string; CAF's
                 // own errors are rendered.
                 if (e.category() == caf::atom("system") && e.context().match_elements<std::string>())
                   failure = e.context().get_as<std::string>(0);
                 else
                   failure = sys.render(e);
               });
  if (!failure.empty()) throw std::runtime_error("run failed: " + failure);
}

}  // namespace oversight
