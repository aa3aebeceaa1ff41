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
#include <vector>

#include "runtime/protocol.hpp"
#include "runtime/run_context.hpp"

namespace oversight {

/// How a tick_program reports the end of a tick: exactly one of the two, once.
struct tick_done {
  std::function<void(std::vector<metric_row>)> ok;
  std::function<void(const caf::error&)> fail;
};

class tick_program {
 public:
  virtual ~tick_program() = default;
  virtual int64_t ticks() const = 0;
  /// Runs tick t inside the director (use self->request(...).then(...)).
  virtual void run_tick(caf::event_based_actor* self, int64_t t, tick_done done) = 0;
  /// Every role actor the program spawned; the director stops them at the end.
  virtual std::vector<caf::actor> actors() const = 0;
};

/// Spawns the director, runs every tick, flushes the recorder, stops the role actors.
/// Blocks the calling thread (the command line's) until done; throws
/// std::runtime_error with the reason when an actor failed.
void drive(run_context& ctx, std::shared_ptr<tick_program> program);

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
