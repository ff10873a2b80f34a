#include "lib/event/event.h"

#include <cstdlib>

namespace buzon::event {

namespace {

// With the changelist, libevent hands epoll the net change of a loop turn:
// a write event added for a reply and removed once it is sent, or reading
// paused and resumed around a commit, costs no epoll_ctl at all. The
// documented catch, two descriptors for one open file (dup) in the same
// loop, does not occur: each socket and pipe here has one descriptor.
event_base* new_base() {
  event_config* cfg = event_config_new();
  if (!cfg) return nullptr;
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  event_base* base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  return base;
}

}  // namespace

Loop::Loop() : base_(new_base()) {
  if (!base_) std::abort();  // out of memory or fds at startup: nothing sane to do
  deferred_ev_ = event_new(base_.get(), -1, 0, run_deferred, this);
  if (!deferred_ev_) std::abort();
}

Loop::~Loop() {
  run_pending();
  event_free(deferred_ev_);
}

void Loop::run() { event_base_dispatch(base_.get()); }

void Loop::stop() { event_base_loopbreak(base_.get()); }

void Loop::run_deferred(evutil_socket_t, short, void* self) { static_cast<Loop*>(self)->run_pending(); }

void Loop::run_pending() {
  // A deferred call may defer more; those run in the same pass.
  while (!deferred_.empty()) {
    auto fn = std::move(deferred_.front());
    deferred_.pop_front();
    fn();
  }
}

void Loop::defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
  event_active(deferred_ev_, EV_TIMEOUT, 0);
}

Event::Event(Loop& loop, int fd, short what, Callback cb)
    : cb_(std::move(cb)), ev_(event_new(loop.base(), fd, what, trampoline, this)) {
  if (!ev_) std::abort();
}

Event::~Event() { event_free(ev_); }

void Event::trampoline(evutil_socket_t, short what, void* arg) {
  static_cast<Event*>(arg)->cb_(what);
}

void Event::add() { event_add(ev_, nullptr); }

void Event::add(std::chrono::milliseconds timeout) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  event_add(ev_, &tv);
}

void Event::del() { event_del(ev_); }

bool Event::pending() const {
  return event_pending(ev_, EV_READ | EV_WRITE | EV_TIMEOUT | EV_SIGNAL, nullptr) != 0;
}

}  // namespace buzon::event
