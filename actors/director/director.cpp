#include "actors/director/director.hpp"

#include <stdexcept>

namespace oversight {

namespace {
struct director_state {
  std::shared_ptr<tick_program> program;
  caf::response_promise finished;
};

caf::behavior director(caf::stateful_actor<director_state>* self, std::shared_ptr<tick_program> program,
                       run_context* ctx) {
  self->state.program = std::move(program);
  if (auto* log = event_log_of(self->system())) {
    log->name(self->id(), "director");
    auto actors = self->state.program->actors();
    auto names = self->state.program->actor_names();
    for (size_t i = 0; i < actors.size() && i < names.size(); ++i)
      if (!names[i].empty()) log->name(actors[i]->id(), names[i]);
  }
  auto stop_roles = [=] {
    for (auto& a : self->state.program->actors()) self->send_exit(a, caf::exit_reason::user_shutdown);
  };
  auto fail = [=](const caf::error& e) {
    stop_roles();
    self->state.finished.deliver(e);
    self->quit();
  };
  // next(t): run tick t, record its rows, continue; after the last tick, flush.
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
                                          self->request(ctx->recorder(), caf::infinite, record_atom::value,
                                                        metric_batch{std::move(rows)})
                                              .then(
                                                  [=](ack_atom) {
                                                    ctx->progress(t + 1, self->state.program->ticks());
                                                    (*next)(t + 1);
                                                  },
                                                  fail);
                                        },
                                        fail}));
  };
  return {
      [=](run_atom) {
        self->state.finished = self->make_response_promise();
        (*next)(0);
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
      .receive([](ack_atom) {}, [&](caf::error& e) { failure = sys.render(e); });
  if (!failure.empty()) throw std::runtime_error("run failed: " + failure);
}

}  // namespace oversight
