// Wakeup triggers: connect to a service's own listening socket, write one
// byte, close. The connection waiting in the backlog makes the socket
// readable, which is what makes master start e.g. qmgr; a running qmgr
// reads 'W' as "look at incoming/". Never blocks master: a TCP connect that
// does not complete at once is finished from the event loop, within
// trigger_timeout.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "lib/core/fd.h"
#include "lib/event/event.h"
#include "master/listeners.h"

namespace buzon::master {

class Triggers {
 public:
  Triggers(event::Loop& loop, std::chrono::seconds timeout) : loop_(loop), timeout_(timeout) {}
  void set_timeout(std::chrono::seconds t) { timeout_ = t; }
  // listen_fd is the endpoint's listening socket (its bound address is
  // where an inet trigger goes; a wildcard address means loopback).
  void send(const Endpoint& e, int listen_fd, char byte);
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    Fd fd;
    std::string label;
    char byte;
    std::unique_ptr<event::Event> ev;
  };
  void finish(unsigned long id, short what);
  event::Loop& loop_;
  std::chrono::seconds timeout_;
  unsigned long next_id_ = 0;
  std::map<unsigned long, std::unique_ptr<Pending>> pending_;
};

}  // namespace buzon::master
