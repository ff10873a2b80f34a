// One authd client connection as a request/reply state machine, without
// I/O (doc/auth-protocol.md): the server loop feeds it decoded requests
// and sends back what it returns, after `delay` when set. At most one
// SASL exchange is in progress per connection.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "authd/ban.h"
#include "authd/sasl.h"
#include "lib/attr/attr.h"

namespace buzon::authd {

struct Limits {
  std::chrono::milliseconds failure_delay{2000};  // auth_failure_delay
  unsigned request_limit = 64;                    // auth_request_limit
};

struct Reply {
  attr::Message message;
  bool delay = false;  // send after Limits::failure_delay
  bool close = false;  // close the connection after sending
};

class Conversation {
 public:
  Conversation(Engine& engine, BanList& bans, const Limits& limits);
  ~Conversation();
  Reply handle(const attr::Message& request, BanList::Clock::time_point now);

 private:
  Reply mechanisms();
  Reply auth(const attr::Message& request, BanList::Clock::time_point now);
  Reply next(const attr::Message& request, BanList::Clock::time_point now);
  Reply finish(const StepResult& r, BanList::Clock::time_point now);
  Reply fail(const std::string& reason, BanList::Clock::time_point now, bool count = true);
  Engine& engine_;
  BanList& bans_;
  const Limits& limits_;
  std::unique_ptr<Exchange> exchange_;
  std::string mech_, client_, service_;
  unsigned requests_ = 0;
};

}  // namespace buzon::authd
