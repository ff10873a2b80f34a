#include "smtpd/sender_login.h"

#include "lib/core/strings.h"

namespace buzon::smtpd {
namespace {

bool owned_by(std::string_view owners, std::string_view login) {
  for (const auto& name : str::split(owners, ", \t"))
    if (str::iequals(name, login)) return true;
  return false;
}

Verdict reject(std::string text) {
  Verdict v;
  v.kind = Verdict::Reject;
  v.reply = std::move(text);
  return v;
}

}  // namespace

std::vector<std::string> sender_login_keys(const address::Address& sender, bool local, std::string_view delimiters) {
  std::vector<std::string> keys;
  std::string user = str::lower(sender.local);
  std::string bare(address::strip_extension(user, delimiters));
  std::string domain = str::lower(sender.domain);
  if (!domain.empty()) {
    keys.push_back(user + "@" + domain);
    if (bare != user) keys.push_back(bare + "@" + domain);
  }
  if (local || domain.empty()) {
    keys.push_back(user);
    if (bare != user) keys.push_back(bare);
  }
  if (!domain.empty()) keys.push_back("@" + domain);
  return keys;
}

Result<std::optional<std::string>> sender_owners(const std::vector<std::shared_ptr<map::Table>>& maps,
                                                 const std::vector<std::string>& keys) {
  // Postfix's order: every key in the first table, then the next table.
  for (const auto& table : maps) {
    for (const auto& key : keys) {
      auto r = table->lookup(key);
      if (!r) return Error{table->spec() + " lookup error for \"" + str::sanitize(key, 100) + "\": " + r.error().message};
      if (*r) return r;
    }
  }
  return std::optional<std::string>();
}

Verdict sender_login_mismatch(Restriction what, const Facts& f, const RestrictionParams& p) {
  if (p.sender_login_maps.empty() || !f.sender || f.sender->is_null) return {};
  const std::string shown = "<" + shown_address(*f.sender) + ">";
  auto owners = sender_owners(p.sender_login_maps, sender_login_keys(*f.sender, f.sender_local, p.recipient_delimiter));
  if (!owners) {
    Verdict v = reject("451 4.3.0 " + shown + ": Sender address rejected: Temporary lookup failure");
    v.notes.push_back({"warning", owners.error().message});
    return v;
  }
  const bool logged_in = f.sasl_authenticated;
  const bool known = owners->has_value();
  const bool check_auth = what != Restriction::RejectUnauthenticatedSenderLoginMismatch;
  const bool check_unauth = what != Restriction::RejectAuthenticatedSenderLoginMismatch;
  if (logged_in && check_auth) {
    // "known" skips senders no table lists; the others require ownership.
    if (!known && what == Restriction::RejectKnownSenderLoginMismatch) return {};
    if (known && owned_by(**owners, f.sasl_username)) return {};
    return reject("553 5.7.1 " + shown + ": Sender address rejected: not owned by user " + str::sanitize(f.sasl_username, 256));
  }
  if (!logged_in && check_unauth && known)
    return reject("553 5.7.1 " + shown + ": Sender address rejected: not logged in");
  return {};
}

}  // namespace buzon::smtpd
