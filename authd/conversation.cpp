#include "authd/conversation.h"

#include "authd/apop.h"

#include <algorithm>

#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/password/base64.h"

namespace buzon::authd {
namespace {

// The one failure text every client sees, whatever went wrong: no such
// user, wrong password, banned address, malformed response.
constexpr std::string_view kFailed = "authentication failed";

attr::Message status(int code) {
  attr::Message m;
  m.set("status", code);
  return m;
}

bool valid_service(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

}  // namespace

Conversation::Conversation(Engine& engine, BanList& bans, const Limits& limits)
    : engine_(engine), bans_(bans), limits_(limits) {}

Conversation::~Conversation() = default;

Reply Conversation::handle(const attr::Message& request, BanList::Clock::time_point now) {
  if (++requests_ > limits_.request_limit) {
    Reply r{status(4).set("reason", "too many requests on one connection"), false, true};
    return r;
  }
  auto kind = request.get("request");
  if (kind == "mechanisms") return mechanisms();
  if (kind == "auth") return auth(request, now);
  if (kind == "continue") return next(request, now);
  if (kind == "cancel") {
    exchange_.reset();
    return Reply{status(5).set("reason", "cancelled")};
  }
  return Reply{status(5).set("reason", "unknown request"), false, true};
}

Reply Conversation::mechanisms() {
  std::string list;
  for (const auto& m : engine_.offered()) list += (list.empty() ? "" : " ") + m;
  return Reply{status(0).set("mechanisms", list)};
}

Reply Conversation::fail(const std::string& reason, BanList::Clock::time_point now, bool count) {
  exchange_.reset();
  log::info(client_, {{"sasl_method", mech_}, {"service", service_}, {"status", "failed"}, {"reason", reason}});
  if (count && bans_.failure(client_, now))
    log::warning(client_ + ": banned after too many authentication failures (auth_ban_threshold)");
  // Every failure waits the same auth_failure_delay, so timing tells an
  // attacker nothing either.
  return Reply{status(5).set("reason", kFailed), true};
}

Reply Conversation::auth(const attr::Message& request, BanList::Clock::time_point now) {
  if (exchange_) return Reply{status(5).set("reason", "exchange already in progress"), false, true};
  mech_ = str::sanitize(str::lower(request.get("mechanism").value_or("")), 32);
  for (auto& c : mech_) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  client_ = str::sanitize(request.get("client_address").value_or(""), 64);
  service_ = std::string(request.get("service").value_or(""));
  if (client_.empty() || !valid_service(service_))
    return Reply{status(5).set("reason", "client_address and service are required"), false, true};
  auto offered = engine_.offered();
  if (std::find(offered.begin(), offered.end(), mech_) == offered.end())
    return Reply{status(5).set("reason", "mechanism not available")};  // a client error, not a guess
  if (bans_.banned(client_, now)) return fail("client address is banned", now, false);
  std::optional<std::string> initial;
  if (auto r = request.get("response")) {
    initial = password::base64_decode(*r);
    if (!initial) return fail("malformed initial response", now);
  }
  // APOP is one step, checked here rather than by Cyrus (authd/apop.h).
  if (mech_ == "APOP") return finish(apop_check(engine_, initial.value_or("")), now);
  exchange_ = engine_.begin(service_);
  if (!exchange_) return Reply{status(4).set("reason", "temporary failure")};
  return finish(exchange_->start(mech_, initial), now);
}

Reply Conversation::next(const attr::Message& request, BanList::Clock::time_point now) {
  if (!exchange_) return Reply{status(5).set("reason", "no exchange in progress"), false, true};
  auto r = request.get("response");
  auto bytes = r ? password::base64_decode(*r) : std::nullopt;
  if (!bytes) return fail("malformed response", now);
  // A ban that started during this exchange (another connection) ends it.
  if (bans_.banned(client_, now)) return fail("client address is banned", now, false);
  return finish(exchange_->step(*bytes), now);
}

Reply Conversation::finish(const StepResult& r, BanList::Clock::time_point now) {
  switch (r.kind) {
    case StepResult::Continue:
      return Reply{status(1).set("challenge", password::base64_encode(r.challenge))};
    case StepResult::Success: {
      exchange_.reset();
      log::info(client_, {{"sasl_method", mech_}, {"sasl_username", r.user}, {"service", service_}, {"status", "ok"}});
      attr::Message m = status(0);
      m.set("user", r.user);
      // SCRAM's server signature travels with the success (RFC 4954
      // section 4: as a last 334 challenge with an empty client response).
      if (!r.challenge.empty()) m.set("challenge", password::base64_encode(r.challenge));
      return Reply{std::move(m)};
    }
    case StepResult::TempFail:
      exchange_.reset();
      log::warning(client_ + ": SASL " + mech_ + " temporary failure: " + r.reason);
      return Reply{status(4).set("reason", "temporary failure")};
    case StepResult::Failure:
      break;
  }
  return fail(r.reason, now);
}

}  // namespace buzon::authd
