#include "smtpd/local_recipients.h"

#include "lib/users/users.h"

namespace buzon::smtpd {

namespace {
constexpr std::string_view kAccounts = "unix:passwd.byname";
}

Result<bool> LocalRecipients::known(const config::MainCf& cf, std::string_view local, std::string_view name) {
  // Tables open in order at their first use, so an account is found even
  // while a later table is unavailable.
  if (tables_.size() < specs_.size()) tables_.resize(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i] == kAccounts) {
      auto u = users::find(cf, name);
      if (!u) return u.error();
      if (*u) return true;
      continue;
    }
    if (!tables_[i]) {
      map::OpenOptions o;
      o.syntax = map::Syntax::Alias;
      auto t = map::open(specs_[i], o);
      if (!t) return t.error();
      tables_[i] = std::move(*t);
    }
    for (std::string_view key : {local, name}) {
      auto v = tables_[i]->lookup(key);
      if (!v) return v.error();
      if (*v) return true;
      if (local == name) break;
    }
  }
  return false;
}

}  // namespace buzon::smtpd
