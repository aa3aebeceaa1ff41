// director: drives simulated time. Bulk-synchronous: it opens tick t by handing control
// to the scenario's tick_program, which exchanges messages with the role actors (in
// parallel where they are independent) and reports the tick's metric rows; the director
// records them, then opens t + 1. Nothing sleeps and nothing reads the wall clock: an
// expert's latency is a delivery at a later tick.
//
// Determinism: a tick_program gathers replies into slots indexed by sender (gather()
// below), never in arrival order, so a run is bit-identical whatever the thread count.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/protocol.hpp"
#include "runtime/run_context.hpp"

namespace oversight {

/// How a tick ends: exactly one of the two, once. Scenario code never calls these
/// directly; tick_handle does.
struct tick_done {
  std::function<void(std::vector<metric_row>)> ok;
  std::function<void(const caf::error&)> fail;
};

/// A reply that will arrive: a slot the tick_handle fills, and optionally what to do
/// with it. Read it (`*r`, `r->x`) only after the phase it was asked in has ended
/// (inside tick.then(...)), or inside its own `then`.
template <class T>
class reply {
 public:
  struct slot {
    T value{};
    bool ready = false;
    std::function<void(T&)> next;
  };
  explicit reply(std::shared_ptr<slot> s) : s_(std::move(s)) {}
  T& operator*() const { return s_->value; }
  T* operator->() const { return &s_->value; }
  /// Runs k(value) as soon as the reply is in (at once when it already is). Requests
  /// that k asks belong to the same phase: the phase ends after them.
  void then(std::function<void(T&)> k) const {
    if (s_->ready) k(s_->value);
    else s_->next = std::move(k);
  }

 private:
  std::shared_ptr<slot> s_;
};

/// The tick in flight, as a scenario's program sees it. It sends requests, counts the
/// replies, and binds the failure path: a request that fails (an actor died, an
/// exception in a handler) ends the tick, and with it the run, naming the cause. So no
/// scenario counts replies or writes an error handler.
///
/// A tick is a sequence of phases. Every request asked in a phase runs in parallel with
/// the others; `then(k)` starts the next phase once all of them (and the requests their
/// own `then` continuations asked) have replied. `finish()` ends the tick with the
/// metric rows recorded. The handle is cheap to copy; capture it by value (its methods
/// are const, so a copy captured by a lambda can ask).
///
/// Requests wait without a timeout: simulated time never reads the clock, and a role
/// that cannot answer fails its request instead of hanging it.
class tick_handle {
 public:
  tick_handle(caf::event_based_actor* self, int64_t t, tick_done done)
      : st_(std::make_shared<state>(self, t, std::move(done))) {}

  /// The tick's number, from 0.
  int64_t t() const { return st_->t; }

  /// Asks `to` with `xs...`; the reply (of type Reply, checked against `to`'s typed
  /// interface at compile time) lands in the returned slot.
  template <class Reply, class Handle, class... Ts>
  reply<Reply> ask(const Handle& to, Ts&&... xs) const {
    auto out = std::make_shared<typename reply<Reply>::slot>();
    auto st = st_;
    ++st->outstanding;
    st->self->request(to, caf::infinite, std::forward<Ts>(xs)...)
        .then(
            [st, out](Reply& v) {
              if (st->over) return;
              out->value = std::move(v);
              out->ready = true;
              if (out->next) out->next(out->value);
              st->replied();
            },
            [st](caf::error& e) { st->fail(e); });
    return reply<Reply>(out);
  }

  /// Asks every target the same request; replies in target order (never in arrival
  /// order: the determinism contract).
  template <class Reply, class Handle, class... Ts>
  reply<std::vector<Reply>> gather(const std::vector<Handle>& targets, const Ts&... xs) const {
    return collect<Reply>(targets.size(),
                          [&](size_t i) { return st_->self->request(targets[i], caf::infinite, xs...); });
  }

  /// Like gather, but target i gets its own last argument, payloads[i] (after the
  /// shared leading arguments `xs`): a batch routed to each shard.
  template <class Reply, class Handle, class Payload, class... Ts>
  reply<std::vector<Reply>> scatter(const std::vector<Handle>& targets, std::vector<Payload> payloads,
                                    const Ts&... xs) const {
    if (payloads.size() != targets.size())
      throw std::logic_error("tick_handle::scatter: " + std::to_string(payloads.size()) + " payloads for " +
                             std::to_string(targets.size()) + " targets");
    return collect<Reply>(targets.size(), [&](size_t i) {
      return st_->self->request(targets[i], caf::infinite, xs..., std::move(payloads[i]));
    });
  }

  /// Sends a request whose reply the tick does not wait for (a training step that may
  /// land during a later tick). A failure still ends the run.
  template <class Reply, class Handle, class... Ts>
  void ask_detached(const Handle& to, Ts&&... xs) const {
    auto st = st_;
    st->self->request(to, caf::infinite, std::forward<Ts>(xs)...).then([](Reply&) {}, [st](caf::error& e) {
      st->fail(e);
    });
  }

  /// Runs k once every request asked so far has replied (at once when none is
  /// outstanding). One continuation may wait at a time.
  void then(std::function<void()> k) const {
    if (st_->next) throw std::logic_error("tick_handle::then: a continuation is already waiting");
    if (st_->outstanding == 0) k();
    else st_->next = std::move(k);
  }

  /// A metric row for this tick.
  void record(std::string actor, std::string name, double value) const {
    st_->rows.push_back(metric_row{st_->t, std::move(actor), std::move(name), value});
  }
  /// Ends the tick with the rows recorded (and `more`, appended).
  void finish(std::vector<metric_row> more = {}) const {
    if (st_->over) return;
    st_->over = true;
    auto rows = std::move(st_->rows);
    rows.insert(rows.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    st_->done.ok(std::move(rows));
  }

  /// The director's actor, for the rare program that must talk CAF directly; such a
  /// program ends the tick with fail(error) when a request of its own fails.
  caf::event_based_actor* self() const { return st_->self; }
  void fail(const caf::error& e) const { st_->fail(e); }

 private:
  struct state {
    state(caf::event_based_actor* s, int64_t tick, tick_done d) : self(s), t(tick), done(std::move(d)) {}
    caf::event_based_actor* self;
    int64_t t;
    tick_done done;
    size_t outstanding = 0;
    bool over = false;
    std::function<void()> next;
    std::vector<metric_row> rows;

    void replied() {
      if (--outstanding == 0 && next && !over) {
        auto k = std::move(next);
        next = nullptr;
        k();
      }
    }
    void fail(const caf::error& e) {
      if (over) return;
      over = true;
      done.fail(e);
    }
  };

  template <class Reply, class Send>
  reply<std::vector<Reply>> collect(size_t n, Send send) const {
    auto out = std::make_shared<typename reply<std::vector<Reply>>::slot>();
    out->value.resize(n);
    if (n == 0) {
      out->ready = true;
      return reply<std::vector<Reply>>(out);
    }
    auto st = st_;
    auto left = std::make_shared<size_t>(n);
    ++st->outstanding;
    for (size_t i = 0; i < n; ++i)
      send(i).then(
          [st, out, left, i](Reply& v) {
            if (st->over) return;
            out->value[i] = std::move(v);
            if (--*left > 0) return;
            out->ready = true;
            if (out->next) out->next(out->value);
            st->replied();
          },
          [st](caf::error& e) { st->fail(e); });
    return reply<std::vector<Reply>>(out);
  }

  std::shared_ptr<state> st_;
};

class tick_program {
 public:
  virtual ~tick_program() = default;
  virtual int64_t ticks() const = 0;
  /// Runs one tick: asks the role actors through `tick`, then tick.finish().
  virtual void run_tick(tick_handle tick) {
    run_tick(tick.self(), tick.t(), tick_done{[tick](std::vector<metric_row> rows) { tick.finish(std::move(rows)); },
                                              [tick](const caf::error& e) { tick.fail(e); }});
  }
  /// Legacy form, kept while programs move to run_tick(tick_handle).
  virtual void run_tick(caf::event_based_actor*, int64_t, tick_done) {
    throw std::logic_error("tick_program: run_tick not implemented");
  }
  /// Every role actor the program spawned; the director stops them at the end.
  virtual std::vector<caf::actor> actors() const = 0;
};

/// The base of a scenario's program: it keeps every actor the program spawned (wrap
/// each spawn in keep()) so the director can stop them at the end.
class scenario_program : public tick_program {
 public:
  std::vector<caf::actor> actors() const final { return actors_; }

 protected:
  template <class Handle>
  Handle keep(Handle h) {
    actors_.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

 private:
  std::vector<caf::actor> actors_;
};

/// Spawns the director, runs every tick, flushes the recorder, stops the role actors.
/// Blocks the calling thread (the command line's) until done; throws
/// std::runtime_error with the reason when an actor failed.
void drive(run_context& ctx, std::shared_ptr<tick_program> program);

/// A scenario's factory, for its registration: constructs Program(params, seed, actor
/// system), which spawns the roles, and drives it.
template <class Program>
void run_program(run_context& ctx) {
  drive(ctx, std::make_shared<Program>(ctx.params(), ctx.seed(), ctx.system()));
}

/// Issues n requests, send(i) for i in [0, n) (each returns the request's response
/// handle), and calls `done` with the replies in index order once all have answered, or
/// `fail` with the first error. The one place replies from many senders are put in order.
template <class Reply, class Send>
void collect(size_t n, Send send, std::function<void(std::vector<Reply>)> done,
             std::function<void(const caf::error&)> fail) {
  if (n == 0) {
    done({});
    return;
  }
  struct state {
    std::vector<Reply> replies;
    size_t left;
    bool failed = false;
  };
  auto st = std::make_shared<state>();
  st->replies.resize(n);
  st->left = n;
  for (size_t i = 0; i < n; ++i)
    send(i).then(
        [=](Reply& r) {
          st->replies[i] = std::move(r);
          if (--st->left == 0 && !st->failed) done(std::move(st->replies));
        },
        [=](caf::error& e) {
          if (!st->failed) {
            st->failed = true;
            fail(e);
          }
        });
}

/// Sends the same request to every target; replies in target order (see collect).
template <class Reply, class Handle, class... Ts>
void gather(caf::event_based_actor* self, const std::vector<Handle>& targets,
            std::function<void(std::vector<Reply>)> done, std::function<void(const caf::error&)> fail,
            const Ts&... xs) {
  collect<Reply>(
      targets.size(), [&](size_t i) { return self->request(targets[i], caf::infinite, xs...); }, std::move(done),
      std::move(fail));
}

/// Like gather, but target i gets its own last argument, payloads[i] (the same leading
/// arguments `xs` for all): a batch routed to each shard. Replies in target order.
template <class Reply, class Handle, class Payload, class... Ts>
void scatter(caf::event_based_actor* self, const std::vector<Handle>& targets, std::vector<Payload> payloads,
             std::function<void(std::vector<Reply>)> done, std::function<void(const caf::error&)> fail,
             const Ts&... xs) {
  collect<Reply>(
      targets.size(),
      [&](size_t i) { return self->request(targets[i], caf::infinite, xs..., std::move(payloads[i])); },
      std::move(done), std::move(fail));
}

/// Calls `then` once `n` branches have called the returned function.
inline std::function<void()> join(size_t n, std::function<void()> then) {
  auto left = std::make_shared<size_t>(n);
  return [=] {
    if (--*left == 0) then();
  };
}

}  // namespace oversight
