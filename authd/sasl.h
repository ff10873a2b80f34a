// Cyrus SASL (libsasl2) as authd's mechanism engine, with our password
// databases behind it:
//  - PLAIN and LOGIN check the clear text the client sent against the
//    stored hash (Cyrus's userdb checkpass callback -> password::verify);
//  - CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256 get their shared secret from
//    our in-process auxprop plugin ("buzon"): a clear text (PLAIN entries,
//    only with auth_allow_weak_schemes) or a stored SCRAM-SHA-256 secret.
// ANONYMOUS (and every mechanism not in auth_mechanisms) is never loaded
// into the mech_list Cyrus sees; no SASL security layer is negotiated.
//
// One Engine per process (Cyrus keeps global state); one Exchange per
// authentication. Single-threaded, like the rest of authd.
#pragma once
#include <sasl/sasl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "authd/passdb.h"
#include "lib/core/result.h"

namespace buzon::authd {

// The mechanisms Buzón knows, upper case, in auth_mechanisms order.
// Errors: "anonymous" or an unknown name.
Result<std::vector<std::string>> parse_mechanisms(const std::vector<std::string>& configured);

// Does a mechanism need a shared secret (not a hash) from the database?
bool needs_secret(const std::string& mech);

struct StepResult {
  enum Kind { Continue, Success, Failure, TempFail } kind = Failure;
  std::string challenge;  // raw bytes, for Continue (and SCRAM's final server message on Success)
  std::string user;       // for Success: the authenticated login
  std::string reason;     // for the log only (never sent to the client)
};

class Engine;

class Exchange {
 public:
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  // initial: the client's initial response, when it sent one (possibly empty).
  StepResult start(const std::string& mech, const std::optional<std::string>& initial);
  StepResult step(const std::string& response);

 private:
  friend class Engine;
  Exchange(Engine& engine, sasl_conn_t* conn) : engine_(engine), conn_(conn) {}
  StepResult result(int rc, const char* out, unsigned outlen);
  Engine& engine_;
  sasl_conn_t* conn_;
};

class Engine {
 public:
  // Initializes libsasl2 once. Errors: Cyrus failed to start, or none of the
  // configured mechanisms is available in its plugin directory.
  static Result<std::unique_ptr<Engine>> create(std::vector<std::unique_ptr<Passdb>> passdbs,
                                                std::vector<std::string> mechanisms, bool allow_weak,
                                                std::string hostname);
  ~Engine();

  // The mechanisms to offer now: configured, available in Cyrus, and (for
  // shared-secret mechanisms) backed by a database that holds such secrets.
  std::vector<std::string> offered();
  // A new exchange for a service ("smtp", "imap", "pop"). nullptr when
  // Cyrus cannot allocate one (temporary failure).
  std::unique_ptr<Exchange> begin(const std::string& service);

  // For the callbacks (sasl.cpp).
  Result<std::optional<Account>> lookup(std::string_view user);
  bool allow_weak() const { return allow_weak_; }
  const std::string& mech_list() const { return mech_list_; }
  std::string fake_scram_secret(std::string_view user) const;
  std::string last_lookup_error;  // a database failure seen during the exchange

 private:
  Engine() = default;
  std::vector<std::string> offered_by_cyrus();
  std::vector<std::unique_ptr<Passdb>> passdbs_;
  std::vector<std::string> mechanisms_;
  std::string mech_list_;  // for Cyrus's mech_list option
  bool allow_weak_ = false;
  std::string hostname_;
  std::string fake_key_;   // per-process secret for unknown users' SCRAM salt
};

}  // namespace buzon::authd
