#include "lib/event/event.h"

#include <cstdlib>

namespace buzon::event {

Loop::Loop() : base_(event_base_new()) {
  if (!base_) std::abort();  // out of memory or fds at startup: nothing sane to do
}

void Loop::run() { event_base_dispatch(base_.get()); }

void Loop::stop() { event_base_loopbreak(base_.get()); }

namespace {
void run_deferred(evutil_socket_t, short, void* arg) {
  auto* fn = static_cast<std::function<void()>*>(arg);
  (*fn)();
  delete fn;
}
}  // namespace

void Loop::defer(std::function<void()> fn) {
  auto* heap = new std::function<void()>(std::move(fn));
  timeval now{0, 0};
  if (event_base_once(base_.get(), -1, EV_TIMEOUT, run_deferred, heap, &now) < 0) {
    delete heap;
    std::abort();
  }
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
