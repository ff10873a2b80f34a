#include "lib/mailbox/location.h"

#include "lib/config/config.h"
#include "lib/core/strings.h"

namespace buzon::mailbox {
namespace {

// Splits "a:b:c" at ':' (Dovecot has no escape for ':' in paths either).
std::vector<std::string_view> split_colons(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    auto c = s.find(':');
    out.push_back(s.substr(0, c));
    if (c == std::string_view::npos) return out;
    s = s.substr(c + 1);
  }
}

}  // namespace

Result<Location> parse_location(std::string_view value) {
  value = str::trim(value);
  auto parts = split_colons(value);
  if (parts.size() < 2) return Error{"mail_location: expected maildir:PATH or mbox:PATH, got \"" + std::string(value) + "\""};
  Location loc;
  std::string format = str::lower(parts[0]);
  if (format == "maildir") loc.format = Format::Maildir;
  else if (format == "mbox") loc.format = Format::Mbox;
  else return Error{"mail_location: unknown mailbox format \"" + std::string(parts[0]) + "\" (maildir or mbox)"};
  loc.root = std::string(parts[1]);
  if (loc.root.empty()) return Error{"mail_location: empty path in \"" + std::string(value) + "\""};
  for (size_t i = 2; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    if (eq == std::string_view::npos) return Error{"mail_location: option without '=': \"" + std::string(parts[i]) + "\""};
    std::string key = str::lower(parts[i].substr(0, eq));
    std::string_view val = parts[i].substr(eq + 1);
    if (key == "inbox") loc.inbox = std::string(val);
    else if (key != "index" && key != "control" && key != "layout")
      return Error{"mail_location: unknown option \"" + std::string(parts[i].substr(0, eq)) + "\" (INBOX, INDEX, CONTROL, LAYOUT)"};
  }
  if (loc.format == Format::Maildir) loc.inbox = loc.root;
  else if (loc.inbox.empty()) loc.inbox = loc.root + "/inbox";  // Dovecot's INBOX inside the mail directory
  return loc;
}

Result<std::string> expand_path(std::string_view path, const Owner& owner) {
  std::string out;
  auto home = [&]() -> Result<std::string> {
    if (owner.home.empty()) return Error{"mail_location: user " + str::sanitize(owner.user, 64) + " has no home directory"};
    return owner.home;
  };
  if (path == "~" || path.substr(0, 2) == "~/") {
    auto h = home();
    if (!h) return h.error();
    out = *h;
    path.remove_prefix(1);
  }
  auto at = owner.user.find('@');
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    if (++i == path.size()) return Error{"mail_location: '%' at the end of \"" + std::string(path) + "\""};
    switch (path[i]) {
      case '%': out += '%'; break;
      case 'u': out += owner.user; break;
      case 'n': out += owner.user.substr(0, at); break;
      case 'd': out += at == std::string::npos ? std::string() : owner.user.substr(at + 1); break;
      case 'h': {
        auto h = home();
        if (!h) return h.error();
        out += *h;
        break;
      }
      default: return Error{"mail_location: unknown variable %" + std::string(1, path[i]) + " (%u %n %d %h)"};
    }
    if (out.size() > kLocationMax) break;
  }
  if (out.size() > kLocationMax) return Error{"mail_location: path longer than " + std::to_string(kLocationMax) + " bytes"};
  if (out.empty() || out[0] != '/') return Error{"mail_location: \"" + str::sanitize(out, 200) + "\" is not an absolute path"};
  return out;
}

Result<Location> location_for(const config::MainCf& cf, const Owner& owner) {
  std::string value(str::trim(cf.get("mail_location")));
  if (value.empty()) {
    // local(8)'s choice, so that what local delivers is what pop3d serves.
    std::string hm(str::trim(cf.get("home_mailbox")));
    if (hm.empty()) value = "mbox:~/mail:INBOX=" + cf.get("mail_spool_directory") + "/%u";
    else if (hm.back() == '/') value = "maildir:~/" + hm.substr(0, hm.size() - 1);
    else value = "mbox:~/mail:INBOX=~/" + hm;
  }
  auto loc = parse_location(value);
  if (!loc) return loc.error();
  // The user name becomes part of a path: it must not climb out of it.
  if (owner.user.empty() || owner.user.find('/') != std::string::npos || owner.user == "." || owner.user == ".." ||
      owner.user.find('\0') != std::string::npos)
    return Error{"mail_location: user name \"" + str::sanitize(owner.user, 64) + "\" cannot be part of a path"};
  auto root = expand_path(loc->root, owner);
  if (!root) return root.error();
  auto inbox = expand_path(loc->inbox, owner);
  if (!inbox) return inbox.error();
  loc->root = std::move(*root);
  loc->inbox = std::move(*inbox);
  return loc;
}

}  // namespace buzon::mailbox
