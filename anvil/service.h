// The anvil protocol (doc/anvil-protocol.md) for one client connection
// (one smtpd process): turns a request into its reply, and remembers the
// connections this client reported open, so that they are closed for it
// when the client goes away without saying so (an smtpd that crashed or
// was killed must not leave its clients counted forever).
#pragma once
#include <ctime>
#include <string>
#include <unordered_map>

#include "anvil/counters.h"
#include "lib/attr/attr.h"

namespace buzon::anvil {

class Service {
 public:
  explicit Service(Counters& counters) : counters_(counters) {}
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The reply to one request: status=0 with the counts, or status=5 and a
  // reason for an unknown request or a missing or malformed ident (the
  // connection may go on).
  attr::Message handle(const attr::Message& request, std::time_t now);
  // The client is gone: every connection it left open is disconnected.
  void close(std::time_t now);

 private:
  Counters& counters_;
  std::unordered_map<std::string, unsigned> open_;  // ident -> connections
};

}  // namespace buzon::anvil
