// RAII over libevent. Each libevent handle is wrapped once here; callbacks
// are std::function and must not throw (everything on the request path is
// noexcept). An object that may be destroyed from its own callback is handed
// to Loop::defer_delete.
#pragma once
#include <event2/event.h>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

namespace buzon::event {

template <class T, void (*Free)(T*)>
struct CFree {
  void operator()(T* p) const noexcept { Free(p); }
};
using BasePtr = std::unique_ptr<event_base, CFree<event_base, event_base_free>>;

class Loop {
 public:
  Loop();
  // Runs the deferred calls still pending (deferred deletes above all), so
  // that nothing handed to defer() is leaked when the loop ends early.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  event_base* base() const { return base_.get(); }
  // Runs until stop() or until no events remain.
  void run();
  void stop();
  // Runs fn once, from the loop, after the current callback has returned,
  // in the order of the defer() calls.
  void defer(std::function<void()> fn);
  template <class T>
  void defer_delete(std::unique_ptr<T> p) {
    auto* raw = p.release();
    defer([raw] { delete raw; });
  }
  // Runs the deferred calls now. For an owner whose deferred calls use
  // objects that die before the loop: after run() returns, before they go.
  void run_pending();

 private:
  static void run_deferred(evutil_socket_t, short, void* self);
  BasePtr base_;
  ::event* deferred_ev_;
  std::deque<std::function<void()>> deferred_;
};

// One event: fd readiness (fd >= 0, what = EV_READ|EV_WRITE [|EV_PERSIST]),
// a timer (fd = -1, what = 0) or a signal (fd = signo, what = EV_SIGNAL|EV_PERSIST).
// Not movable: libevent holds its address.
class Event {
 public:
  using Callback = std::function<void(short what)>;
  Event(Loop& loop, int fd, short what, Callback cb);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  void add();                                  // no timeout
  void add(std::chrono::milliseconds timeout);  // EV_TIMEOUT after timeout
  void del();
  bool pending() const;

 private:
  static void trampoline(evutil_socket_t, short what, void* arg);
  Callback cb_;
  ::event* ev_;
};

}  // namespace buzon::event
