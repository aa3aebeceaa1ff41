// director: drives simulated time. Bulk-synchronous: it opens tick t by handing control
// to the scenario's tick_program, which exchanges messages with the role actors (in
// parallel where they are independent) and reports the tick's metric rows; the director
// records them, then opens t + 1. Nothing sleeps and nothing reads the wall clock: an
// expert's latency is a delivery at a later tick.
//
// Determinism: a tick_program gathers replies into slots indexed by sender
// (tick_handle::gather), never in arrival order, so a run is bit-identical whatever the
// thread count.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/director/conversation.hpp"
#include "base/state_io.hpp"
#include "runtime/protocol.hpp"
#include "runtime/run_context.hpp"

namespace oversight {

/// How a tick ends: exactly one of the two, once. Scenario code never calls these
/// directly; tick_handle does.
struct tick_done {
  std::function<void(std::vector<metric_row>)> ok;
  std::function<void(const caf::error&)> fail;
};

/// The tick in flight, as a scenario's program sees it: a conversation (ask, gather,
/// scatter, then; actors/director/conversation.hpp) whose failure ends the tick, and
/// with it the run, naming the cause; plus the tick's number and its metric rows. So no
/// scenario counts replies or writes an error handler.
///
/// A tick is a sequence of phases. Every request asked in a phase runs in parallel with
/// the others; `then(k)` starts the next phase once all of them (and the requests their
/// own `then` continuations asked) have replied. `finish()` ends the tick with the
/// metric rows recorded. The handle is cheap to copy; capture it by value (its methods
/// are const, so a copy captured by a lambda can ask).
class tick_handle : public conversation<caf::event_based_actor> {
 public:
  tick_handle(caf::event_based_actor* self, int64_t t, tick_done done)
      : conversation(self, done.fail, open_tick(self, t)), tick_(std::make_shared<tick_state>(t, std::move(done.ok))) {}

  /// The tick's number, from 0.
  int64_t t() const { return tick_->t; }

  /// A metric row for this tick.
  void record(std::string actor, std::string name, double value) const {
    tick_->rows.push_back(metric_row{tick_->t, std::move(actor), std::move(name), value});
  }
  /// Ends the tick with the rows recorded (and `more`, appended), writing its event log
  /// records (a write error fails the tick). Replies still in flight (ask_detached) are
  /// dropped, failures included.
  void finish(std::vector<metric_row> more = {}) const {
    if (auto* log = event_log_of(self()->system()); log && !log->end_tick()) {
      fail(caf::make_error(caf::sec::runtime_error, log->failure()));
      return;
    }
    if (!close()) return;
    auto rows = std::move(tick_->rows);
    rows.insert(rows.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    tick_->ok(std::move(rows));
  }

 private:
  struct tick_state {
    tick_state(int64_t tick, std::function<void(std::vector<metric_row>)> k) : t(tick), ok(std::move(k)) {}
    int64_t t;
    std::function<void(std::vector<metric_row>)> ok;
    std::vector<metric_row> rows;
  };
  static int64_t open_tick(caf::event_based_actor* self, int64_t t) {
    if (auto* log = event_log_of(self->system())) log->open_tick(t);
    return t;
  }
  std::shared_ptr<tick_state> tick_;
};

class tick_program {
 public:
  virtual ~tick_program() = default;
  virtual int64_t ticks() const = 0;
  /// Runs one tick: asks the role actors through `tick`, then tick.finish().
  virtual void run_tick(tick_handle tick) = 0;
  /// Every role actor the program spawned; the director stops them at the end.
  virtual std::vector<caf::actor> actors() const = 0;

  /// Checkpoints. A program that returns true describes its own state in state() (what
  /// changes from tick to tick: counters, its random streams, running sums; what the
  /// constructor rebuilds from the parameters and the seed need not be saved), and every
  /// role in actors() answers save/restore (runtime/protocol.hpp: checkpointable). The
  /// director takes a checkpoint between two ticks, when no request is in flight, every
  /// `checkpoint.every` ticks, and a resumed run starts from it. A program that returns
  /// false is resumed by recomputing its stored ticks from the start (checked row by row).
  virtual bool saves_state() const { return false; }
  virtual void state(state_io&) {}
  /// The role names of actors(), in the same order ("" where unnamed): the event log's
  /// `from` and `to`.
  virtual std::vector<std::string> actor_names() const { return {}; }
};

/// The placement a program being constructed on this thread places its roles by
/// (runtime/placement.hpp); null outside run_program or in a single-process run.
placement*& placement_in_construction();

/// The base of a scenario's program: it keeps every actor the program spawned (wrap
/// each spawn in keep(name, ...)) so the director can stop them at the end; the name is
/// the role's in the event log ("expert-3", "agent/2"), unique within the program.
class scenario_program : public tick_program {
 public:
  std::vector<caf::actor> actors() const final { return actors_; }
  std::vector<std::string> actor_names() const final { return names_; }

 protected:
  template <class Handle>
  Handle keep(std::string name, Handle h) {
    actors_.push_back(caf::actor_cast<caf::actor>(h));
    names_.push_back(std::move(name));
    return h;
  }

  /// keep(name, spawn()) for a role that may run on another node of a run spread over
  /// nodes (`oversight run --nodes`): in a single process it is exactly that; otherwise
  /// the run's placement says which process spawns it, and the others get its handle
  /// (the coordinator) or an invalid one (a node that does not host it). Contract: the
  /// program places its roles in the same order whatever the placement, and `spawn`
  /// builds the role from the parameters, the seed and the constructor's own data, never
  /// from the handle of another placed role.
  template <class Spawn>
  auto place(std::string name, Spawn&& spawn, placement_hint hint = placement_hint::spread) -> decltype(spawn()) {
    using handle = decltype(spawn());
    placement* p = placement_;
    if (!p) return keep(std::move(name), spawn());
    const int at = p->next(hint);
    if (p->role() == placement::mode::coordinator) {
      if (at < 0) return keep(std::move(name), spawn());
      auto h = caf::actor_cast<handle>(p->remote(name, at));
      return keep(std::move(name), std::move(h));
    }
    if (at != p->self_node()) return handle{};
    auto h = spawn();
    p->add_hosted(name, caf::actor_cast<caf::actor>(h));
    return keep(std::move(name), std::move(h));
  }

 private:
  std::vector<caf::actor> actors_;
  std::vector<std::string> names_;
  placement* placement_ = placement_in_construction();
};

/// What drive()'s error says after a role's name when the role (or an actor linked to it)
/// threw: CAF hands the exception's what() to its printer, not to the director, so the
/// caller waits for it there (actors/director/run.cpp).
inline constexpr const char* role_threw_exception = " threw an exception";

/// Spawns the director, runs every tick, flushes the recorder, stops the role actors.
/// Blocks the calling thread (the command line's) until done; throws
/// std::runtime_error with the reason when an actor failed.
void drive(run_context& ctx, std::shared_ptr<tick_program> program);

/// A scenario's factory, for its registration: constructs Program(params, seed, actor
/// system), which spawns the roles, and drives it.
/// On a node (ctx.hosting()) the program is built with the node's placement and handed
/// to the node, which keeps it while it hosts the run; the director runs elsewhere.
template <class Program>
void run_program(run_context& ctx) {
  struct scope {
    explicit scope(placement* p) { placement_in_construction() = p; }
    ~scope() { placement_in_construction() = nullptr; }
  };
  std::shared_ptr<Program> program;
  {
    scope s(ctx.places());
    program = std::make_shared<Program>(ctx.params(), ctx.seed(), ctx.system());
  }
  if (ctx.hosting()) ctx.host(program, program->actors());
  else drive(ctx, std::move(program));
}

}  // namespace oversight
