// A conversation: an actor asking others in parallel and continuing when they have
// replied, with the reply counting and the failure path written once, here.
//
//   conversation talk(self, on_fail);
//   auto a = talk.ask<answer_batch>(assistant, quiz_ask_atom::value, qs, 0);  // in parallel
//   auto b = talk.gather<label_batch>(experts, deliver_atom::value, t);       // replies in target order
//   talk.then([=] { ... *a ... *b ... });                                     // when all have replied
//
// The director's tick_handle is a conversation; a role that must ask other roles to
// answer a request (sandwiching's overseer) holds one too, failing into its response
// promise. Replies of a gather or scatter land in slots by target index, never in
// arrival order: the determinism contract.
//
// When the run keeps an event log (runtime/event_log.hpp), the conversation logs each
// request when it is sent and each reply when it lands, under a key that depends only on
// the program's order (its phases, its requests, the continuations of their replies),
// never on arrival order. With the log off, the cost is one null test per request.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "runtime/event_log.hpp"

namespace oversight {

/// A reply that will arrive: a slot the conversation fills, and optionally what to do
/// with it. Read it (`*r`, `r->x`) only after the phase it was asked in has ended
/// (inside then(...)), or inside its own `then`.
template <class T>
class reply {
 public:
  struct slot {
    T value{};
    bool ready = false;
    std::function<void(T&)> next;
    std::shared_ptr<event_trace> trace;  ///< nullptr: no event log
    std::vector<uint32_t> group;         ///< the log key of the request(s) it answers
    std::vector<std::string> repliers;   ///< the log names of the actors asked
  };
  explicit reply(std::shared_ptr<slot> s) : s_(std::move(s)) {}
  T& operator*() const { return s_->value; }
  T* operator->() const { return &s_->value; }
  /// Runs k(value) as soon as the reply is in (at once when it already is). Requests
  /// that k asks belong to the same phase: the phase ends after them.
  void then(std::function<void(T&)> k) const {
    if (!s_->ready) s_->next = std::move(k);
    else if (!s_->trace) k(s_->value);
    else s_->trace->within(continuation_key(s_->group), [&] { k(s_->value); });
  }

  /// The log context of the continuation of the replies to `group`: after them.
  static std::vector<uint32_t> continuation_key(std::vector<uint32_t> group) {
    group.push_back(2);
    return group;
  }
  /// Runs the slot's continuation (in its log context).
  static void run_next(slot& s) {
    if (!s.next) return;
    if (!s.trace) s.next(s.value);
    else s.trace->within(continuation_key(s.group), [&] { s.next(s.value); });
  }

 private:
  std::shared_ptr<slot> s_;
};

/// Requests from `self` (any event-based actor, typed or not), counted in phases. A
/// request that fails (an actor died, an exception in its handler) calls on_fail once
/// and ends the conversation: later replies are dropped. Requests wait without a
/// timeout: simulated time never reads the clock, and a role that cannot answer fails
/// its request instead of hanging it. Cheap to copy (shared state); methods are const
/// so that a copy captured by a lambda can ask.
/// Tag: a conversation kept out of the event log (the director's checkpoint traffic,
/// which is not part of the simulation: a resumed run's log equals an uninterrupted one's).
struct unlogged_t {};
inline constexpr unlogged_t unlogged{};

template <class Self>
class conversation {
 public:
  conversation(Self* self, std::function<void(const caf::error&)> on_fail, unlogged_t)
      : st_(std::make_shared<state>(self, std::move(on_fail))) {}
  /// `tick`: the tick its log records carry (< 0: the event log's open tick).
  conversation(Self* self, std::function<void(const caf::error&)> on_fail, int64_t tick = -1)
      : st_(std::make_shared<state>(self, std::move(on_fail))) {
    st_->trace = event_trace::make(self->system(), self->address(), tick);
  }

  /// Asks `to` with `xs...`; the reply (of type Reply, checked against `to`'s typed
  /// interface at compile time) lands in the returned slot.
  template <class Reply, class Handle, class... Ts>
  reply<Reply> ask(const Handle& to, Ts&&... xs) const {
    auto out = std::make_shared<typename reply<Reply>::slot>();
    auto st = st_;
    if (st->trace) log_requests(*out, {event_name(*st->trace, to)}, [&](size_t) { return caf::make_message(xs...); });
    ++st->outstanding;
    st->self->request(to, caf::infinite, std::forward<Ts>(xs)...)
        .then(
            [st, out](Reply& v) {
              if (st->over) return;
              if (out->trace) log_reply(*out, 0, v);
              out->value = std::move(v);
              out->ready = true;
              reply<Reply>::run_next(*out);
              st->replied();
            },
            [st](caf::error& e) { st->fail(e); });
    return reply<Reply>(out);
  }

  /// Asks every target the same request; replies in target order.
  template <class Reply, class Handle, class... Ts>
  reply<std::vector<Reply>> gather(const std::vector<Handle>& targets, const Ts&... xs) const {
    return collect<Reply>(
        targets, [&](size_t) { return caf::make_message(xs...); },
        [&](size_t i) { return st_->self->request(targets[i], caf::infinite, xs...); });
  }

  /// Like gather, but target i gets its own last argument, payloads[i] (after the
  /// shared leading arguments `xs`): a batch routed to each shard.
  template <class Reply, class Handle, class Payload, class... Ts>
  reply<std::vector<Reply>> scatter(const std::vector<Handle>& targets, std::vector<Payload> payloads,
                                    const Ts&... xs) const {
    if (payloads.size() != targets.size())
      throw std::logic_error("conversation::scatter: " + std::to_string(payloads.size()) + " payloads for " +
                             std::to_string(targets.size()) + " targets");
    return collect<Reply>(
        targets, [&](size_t i) { return caf::make_message(xs..., payloads[i]); },
        [&](size_t i) { return st_->self->request(targets[i], caf::infinite, xs..., std::move(payloads[i])); });
  }

  /// Sends a request whose reply nobody waits for (a training step that may land during
  /// a later tick). A failure still calls on_fail, unless the conversation has ended.
  template <class Reply, class Handle, class... Ts>
  void ask_detached(const Handle& to, Ts&&... xs) const {
    auto st = st_;
    if (st->trace) {
      typename reply<Reply>::slot unused;
      log_requests(unused, {event_name(*st->trace, to)}, [&](size_t) { return caf::make_message(xs...); });
    }
    st->self->request(to, caf::infinite, std::forward<Ts>(xs)...).then([](Reply&) {}, [st](caf::error& e) {
      st->fail(e);
    });
  }

  /// Runs k once every request asked so far has replied (at once when none is
  /// outstanding). One continuation may wait at a time.
  void then(std::function<void()> k) const {
    if (st_->next) throw std::logic_error("conversation::then: a continuation is already waiting");
    if (auto tr = st_->trace) {
      // The next phase's log context: phases in program order, whichever reply ends one.
      k = [tr, p = ++tr->phase, k = std::move(k)] { tr->within({p}, k); };
    }
    if (st_->outstanding == 0) k();
    else st_->next = std::move(k);
  }

  /// Ends the conversation with a failure of the caller's own.
  void fail(const caf::error& e) const { st_->fail(e); }
  Self* self() const { return st_->self; }

 protected:
  /// Ends the conversation; false when it had already ended.
  bool close() const {
    if (st_->over) return false;
    st_->over = true;
    return true;
  }

 private:
  struct state {
    state(Self* s, std::function<void(const caf::error&)> f) : self(s), on_fail(std::move(f)) {}
    Self* self;
    std::function<void(const caf::error&)> on_fail;
    size_t outstanding = 0;
    bool over = false;
    std::function<void()> next;
    std::shared_ptr<event_trace> trace;  ///< nullptr: no event log

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
      on_fail(e);
    }
  };

  /// Logs the requests of one group (`to[i]`, message(i)) and keys the slot with it.
  template <class Slot, class Message>
  void log_requests(Slot& out, const std::vector<std::string>& to, Message message) const {
    auto& tr = *st_->trace;
    out.trace = st_->trace;
    out.group = tr.next_group();
    out.repliers = to;
    for (size_t i = 0; i < to.size(); ++i)
      tr.log_message(out.group, 0, uint32_t(i), to[i], "request", message(i), false);
  }
  /// Logs the reply to request i of the slot's group.
  template <class Slot, class Reply>
  static void log_reply(Slot& out, size_t i, const Reply& v) {
    auto& tr = *out.trace;
    tr.log_message(out.group, 1, uint32_t(i), out.repliers[i], "reply", caf::make_message(v), true);
  }

  template <class Reply, class Handle, class Message, class Send>
  reply<std::vector<Reply>> collect(const std::vector<Handle>& targets, Message message, Send send) const {
    const size_t n = targets.size();
    auto out = std::make_shared<typename reply<std::vector<Reply>>::slot>();
    out->value.resize(n);
    if (n == 0) {
      out->ready = true;
      return reply<std::vector<Reply>>(out);
    }
    auto st = st_;
    if (st->trace) {
      std::vector<std::string> to;
      for (auto& h : targets) to.push_back(event_name(*st->trace, h));
      log_requests(*out, to, message);
    }
    auto left = std::make_shared<size_t>(n);
    ++st->outstanding;
    for (size_t i = 0; i < n; ++i)
      send(i).then(
          [st, out, left, i](Reply& v) {
            if (st->over) return;
            if (out->trace) log_reply(*out, i, v);
            out->value[i] = std::move(v);
            if (--*left > 0) return;
            out->ready = true;
            reply<std::vector<Reply>>::run_next(*out);
            st->replied();
          },
          [st](caf::error& e) { st->fail(e); });
    return reply<std::vector<Reply>>(out);
  }

  std::shared_ptr<state> st_;
};

}  // namespace oversight
