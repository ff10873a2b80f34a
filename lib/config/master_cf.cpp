// master.cf (Postfix master(5)): one service per logical line,
//   service type private unpriv chroot wakeup maxproc command [args...]
// and the per-service "-o name=value" overrides of main.cf parameters.
#include <netdb.h>

#include <algorithm>
#include <climits>
#include <map>
#include <optional>

#include "lib/config/config.h"
#include "lib/config/lines.h"
#include "lib/core/strings.h"

namespace buzon::config {

namespace {

using detail::where;

// Longest unix service name: the socket path queue/private/NAME must fit in
// sun_path (108 bytes) together with the queue directory.
constexpr size_t kUnixNameMax = 64;

std::string shown(std::string_view s) { return str::sanitize(s, 200); }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// White-space separated fields; "{ text }" is one field without the braces
// and the white space next to them (Postfix 3.0), so an -o value may hold
// spaces: -o { smtpd_banner = $myhostname ready }.
Result<std::vector<std::string>> fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    if (is_blank(s[i])) {
      ++i;
      continue;
    }
    if (s[i] == '{') {
      int level = 0;
      size_t j = i;
      for (; j < s.size(); ++j) {
        if (s[j] == '{') ++level;
        if (s[j] == '}' && --level == 0) break;
      }
      if (j == s.size()) return Error{"missing '}' in " + shown(s.substr(i))};
      if (j + 1 < s.size() && !is_blank(s[j + 1])) return Error{"text after '}' in " + shown(s.substr(i))};
      out.emplace_back(str::trim(s.substr(i + 1, j - i - 1)));
      i = j + 1;
      continue;
    }
    size_t j = i;
    while (j < s.size() && !is_blank(s[j])) ++j;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// inet: [host:]port, host may be [IPv6]; port is a number or an
// /etc/services name. Returns "" when fine, else the problem.
std::string check_inet_name(std::string_view name) {
  std::string_view host, port = name;
  if (!name.empty() && name.front() == '[') {
    size_t close = name.find(']');
    if (close == std::string_view::npos || close + 1 >= name.size() || name[close + 1] != ':')
      return "bad inet service name (expected [address]:port): " + shown(name);
    host = name.substr(1, close - 1);
    port = name.substr(close + 2);
  } else if (size_t colon = name.rfind(':'); colon != std::string_view::npos) {
    host = name.substr(0, colon);
    port = name.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return "bad inet service name (write an IPv6 address as [address]:port): " + shown(name);
  }
  if (name.find(':') != std::string_view::npos && host.empty())
    return "bad inet service name (empty host): " + shown(name);
  if (port.empty()) return "bad inet service name (empty port): " + shown(name);
  if (all_digits(port)) {
    auto n = str::to_uint(port);
    if (!n || *n == 0 || *n > 65535) return "bad port number in inet service name: " + shown(name);
    return "";
  }
  bool plain = std::all_of(port.begin(), port.end(), [](char c) { return detail::is_name_char(c) || c == '-'; });
  if (!plain || !getservbyname(std::string(port).c_str(), "tcp"))
    return "unknown service port in inet service name: " + shown(name);
  return "";
}

// unix: the name becomes a socket file under private/ or public/, so it
// must not be able to name another path (no '/', no leading '.').
std::string check_unix_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kUnixNameMax && name.front() != '.' &&
            std::all_of(name.begin(), name.end(),
                        [](char c) { return detail::is_name_char(c) || c == '-' || c == '.'; });
  return ok ? "" : "bad unix service name: " + shown(name);
}

// y | n | '-' (default)
std::optional<bool> yes_no(std::string_view v, bool dflt) {
  if (v == "-") return dflt;
  if (v == "y") return true;
  if (v == "n") return false;
  return std::nullopt;
}

}  // namespace

Result<std::vector<Service>> parse_master_cf(std::string_view text, const std::string& filename,
                                             const MainCf& main) {
  auto lines = detail::logical_lines(text, filename);
  if (!lines) return lines.error();
  std::vector<Service> out;
  std::map<std::string, int> seen;  // "name/type" -> line
  for (const auto& l : *lines) {
    std::string at = where(filename, l.line);
    auto f = fields(l.text);
    if (!f) return Error{at + f.error().message};
    const std::vector<std::string>& col = *f;
    if (col.size() < 8) return Error{at + "too few fields (need 8, the last is the command): " + shown(l.text)};

    Service s;
    s.name = col[0];
    s.type = col[1];
    s.file = filename;
    s.line = l.line;
    if (s.type != "inet" && s.type != "unix")
      return Error{at + "bad transport type: " + shown(s.type) + " (expected inet or unix)"};
    std::string problem = s.type == "inet" ? check_inet_name(s.name) : check_unix_name(s.name);
    if (!problem.empty()) return Error{at + problem};

    static constexpr const char* kFlagNames[] = {"private", "unpriv", "chroot"};
    bool* flags[] = {&s.is_private, &s.unprivileged, &s.chroot};
    const bool defaults[] = {true, true, false};
    for (int i = 0; i < 3; ++i) {
      auto v = yes_no(col[2 + i], defaults[i]);
      if (!v) return Error{at + "bad " + kFlagNames[i] + " field: " + shown(col[2 + i]) + " (expected y, n or -)"};
      *flags[i] = *v;
    }
    // A jailed daemon would not find what it reads outside queue_directory:
    // smtpd the passwd and alias files and maps it checks recipients
    // against (every local recipient would be refused), local and pop3d
    // the mailboxes, every daemon /dev/log. Postfix needs proxymap and
    // copies of /etc for that; Buzon does not have them yet, so a chroot
    // is refused here rather than failing at the first message. (daemon
    // -r and privilege::chroot_to stay for when it does.)
    if (s.chroot)
      return Error{at + "chroot y is not supported: the daemons read files outside queue_directory "
                        "(passwd and alias files, maps, mailboxes, /dev/log); write n or -"};

    // "300?" (Postfix: send the wakeup only once the service was used) is
    // accepted; Buzon always sends it.
    std::string_view wake = col[5];
    if (wake != "-") {
      if (wake.size() > 1 && wake.back() == '?') wake.remove_suffix(1);
      auto n = str::to_uint(wake);
      if (!n || *n > static_cast<unsigned long long>(INT_MAX))
        return Error{at + "bad wakeup field: " + shown(col[5]) + " (expected seconds, '-' or N?)"};
      s.wakeup = static_cast<int>(*n);
    }

    if (col[6] == "-") {
      s.maxproc = static_cast<int>(std::min<unsigned long long>(main.get_int("default_process_limit"), INT_MAX));
    } else {
      auto n = str::to_uint(col[6]);
      if (!n || *n > static_cast<unsigned long long>(INT_MAX))
        return Error{at + "bad maxproc field: " + shown(col[6]) + " (expected a number or -)"};
      s.maxproc = static_cast<int>(*n);
    }

    s.command = col[7];

    // Options end at the first argument that is not one, as getopt() in the
    // daemon would see them; later "-o" words belong to the command.
    MainCf checked = main;
    bool options = true;
    for (size_t i = 8; i < col.size(); ++i) {
      std::string_view a = col[i];
      if (!options || a.size() < 2 || a.substr(0, 2) != "-o") {
        if (a.empty() || a.front() != '-') options = false;
        s.args.emplace_back(a);
        continue;
      }
      std::string_view kv;
      if (a.size() > 2) {
        kv = a.substr(2);
      } else if (i + 1 < col.size()) {
        kv = col[++i];
      } else {
        return Error{at + "-o without name=value"};
      }
      size_t eq = kv.find('=');
      if (eq == std::string_view::npos) return Error{at + "-o argument without '=': " + shown(kv)};
      std::string name(str::trim(kv.substr(0, eq)));
      std::string value(str::trim(kv.substr(eq + 1)));
      if (!find_param(name)) return Error{at + "unknown parameter in -o: " + shown(name)};
      // Checked on top of main.cf and the earlier -o of this service,
      // exactly as the daemon will apply them.
      if (auto st = checked.set(name, value); !st)
        return Error{at + "-o " + name + "=" + shown(value) + ": " + st.error().message};
      s.overrides.emplace_back(std::move(name), std::move(value));
    }

    std::string key = s.name + "/" + s.type;
    if (auto [it, fresh] = seen.emplace(key, l.line); !fresh)
      return Error{at + "duplicate service " + shown(key) + " (first defined at line " + std::to_string(it->second) + ")"};
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<Service>> load_master_cf(const std::string& config_dir, const MainCf& main) {
  std::string path = config_dir + "/master.cf";
  auto text = detail::read_config_file(path);
  if (!text) return text.error();
  return parse_master_cf(*text, path, main);
}

Result<MainCf> load_for_service(const std::string& config_dir,
                                const std::vector<std::pair<std::string, std::string>>& overrides) {
  auto cf = MainCf::load(config_dir);
  if (!cf) return cf.error();
  for (const auto& [name, value] : overrides)
    if (auto st = cf->set(name, value); !st) return Error{"-o " + name + "=" + shown(value) + ": " + st.error().message};
  return cf;
}

}  // namespace buzon::config
