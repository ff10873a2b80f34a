#include "cli/buzon_args.h"

#include <cctype>

#include "lib/core/strings.h"
#include "lib/queue/queue.h"

namespace buzon::cli {
namespace {

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// "--name value" or "--name=value".
std::optional<std::string> long_value(std::span<const std::string> args, size_t& i, std::string_view name,
                                      bool& missing) {
  const std::string& a = args[i];
  missing = false;
  if (a == name) {
    if (i + 1 >= args.size()) {
      missing = true;
      return std::nullopt;
    }
    return args[++i];
  }
  if (a.size() > name.size() && a.starts_with(name) && a[name.size()] == '=') return a.substr(name.size() + 1);
  return std::nullopt;
}

}  // namespace

Result<GlobalArgs> parse_global_args(std::span<const std::string> argv) {
  GlobalArgs g;
  size_t i = 0;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-c") {
      if (i + 1 >= argv.size()) return Error{"option requires an argument: -c"};
      g.config_dir = argv[++i];
    } else if (a.size() > 2 && a.starts_with("-c")) {
      g.config_dir = a.substr(2);
    } else if (a == "-h" || a == "--help") {
      g.help = true;
    } else if (a == "--") {
      ++i;
      break;
    } else if (a.size() > 1 && a[0] == '-') {
      return Error{"invalid option: " + str::sanitize(a)};
    } else {
      break;
    }
  }
  if (g.config_dir && g.config_dir->empty()) return Error{"-c: empty directory name"};
  if (i < argv.size()) {
    g.command = argv[i];
    g.args.assign(argv.begin() + static_cast<long>(i) + 1, argv.end());
  }
  return g;
}

bool user_name_ok(std::string_view name) {
  if (name.empty() || name.size() > kUserNameMax) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

// RFC 1035 2.3.1 host names: labels of letters, digits and '-', not
// starting or ending with '-', 1..63 bytes, 253 bytes in all.
bool domain_ok(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  size_t label = 0;
  char prev = '.';
  for (char c : domain) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

Result<InitArgs> parse_init_args(std::span<const std::string> args) {
  InitArgs out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool missing = false;
    const std::string& a = args[i];
    if (auto v = long_value(args, i, "--domain", missing)) {
      if (!domain_ok(*v)) return Error{"--domain: not a valid domain name: " + str::sanitize(*v)};
      out.domain = str::lower(*v);
    } else if (missing) {
      return Error{"option requires an argument: --domain"};
    } else if (auto v = long_value(args, i, "--port-base", missing)) {
      auto n = str::to_uint(*v);
      if (!n || *n > kPortBaseMax)
        return Error{"--port-base: must be a number from 0 to " + std::to_string(kPortBaseMax)};
      out.port_base = static_cast<unsigned>(*n);
    } else if (missing) {
      return Error{"option requires an argument: --port-base"};
    } else if (auto v = long_value(args, i, "--owner", missing)) {
      if (v->empty() || has_control(*v) || v->find_first_of(" :/") != std::string::npos)
        return Error{"--owner: bad account name: " + str::sanitize(*v)};
      out.owner = *v;
    } else if (missing) {
      return Error{"option requires an argument: --owner"};
    } else if (auto v = long_value(args, i, "--user", missing)) {
      InitArgs::User u;
      size_t colon = v->find(':');
      u.name = v->substr(0, colon);
      if (colon != std::string::npos) {
        std::string pw = v->substr(colon + 1);
        if (pw.empty() || pw.size() > kPasswordMax || pw.find(':') != std::string::npos || has_control(pw))
          return Error{"--user " + str::sanitize(u.name) + ": the password must be 1 to " +
                       std::to_string(kPasswordMax) + " characters without ':' or control characters"};
        u.password = std::move(pw);
      }
      if (!user_name_ok(u.name))
        return Error{"--user: bad user name: " + str::sanitize(u.name) + " (letters a-z, digits, '.', '_', '-'; at most " +
                     std::to_string(kUserNameMax) + ")"};
      for (const auto& other : out.users)
        if (other.name == u.name) return Error{"--user: duplicate user: " + u.name};
      out.users.push_back(std::move(u));
    } else if (missing) {
      return Error{"option requires an argument: --user"};
    } else if (a.size() > 1 && a[0] == '-') {
      return Error{"invalid option: " + str::sanitize(a)};
    } else if (!out.dir.empty()) {
      return Error{"more than one directory given"};
    } else {
      out.dir = a;
    }
  }
  if (out.dir.empty()) return Error{"missing directory"};
  // The path goes into main.cf values ('$' would expand, white space would
  // split lists) and into passwd-file lines (':' separates fields).
  for (unsigned char c : out.dir)
    if (c <= ' ' || c == 0x7f || c == ':' || c == '$' || c == ',' || c == '#')
      return Error{"directory name must not contain white space, control characters, ':', '$', ',' or '#'"};
  if (out.users.empty()) out.users = {{"alice", std::nullopt}, {"bob", std::nullopt}};
  return out;
}

Result<ConfArgs> parse_conf_args(std::span<const std::string> args) {
  ConfArgs out;
  bool mode_set = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    for (size_t j = 1; j < a.size(); ++j) {
      ConfArgs::Mode m;
      switch (a[j]) {
        case 'n': m = ConfArgs::Mode::Explicit; break;
        case 'd': m = ConfArgs::Mode::Defaults; break;
        case 'e': m = ConfArgs::Mode::Edit; break;
        case 'M': m = ConfArgs::Mode::Services; break;
        default: return Error{"invalid option: -" + str::sanitize(std::string_view(&a[j], 1))};
      }
      if (mode_set && m != out.mode) return Error{"options -n, -d, -e and -M exclude each other"};
      out.mode = m;
      mode_set = true;
    }
  }
  out.names.assign(args.begin() + static_cast<long>(i), args.end());
  if (out.mode == ConfArgs::Mode::Edit) {
    if (out.names.empty()) return Error{"-e: expected name=value"};
    for (const auto& nv : out.names)
      if (nv.find('=') == std::string::npos || str::trim(nv.substr(0, nv.find('='))).empty())
        return Error{"-e: expected name=value, got: " + str::sanitize(nv)};
  }
  return out;
}

Result<QueueArgs> parse_queue_args(std::span<const std::string> args) {
  QueueArgs out;
  using A = QueueArgs::Action;
  if (args.empty() || args[0].rfind("-", 0) == 0) {
    for (const auto& a : args) {
      if (a == "--json" || a == "-j") out.json = true;
      else return Error{"unexpected argument: " + str::sanitize(a)};
    }
    return out;
  }
  const std::string& verb = args[0];
  if (verb == "show") out.action = A::Show;
  else if (verb == "delete") out.action = A::Delete;
  else if (verb == "hold") out.action = A::Hold;
  else if (verb == "release") out.action = A::Release;
  else if (verb == "requeue") out.action = A::Requeue;
  else return Error{"unknown queue command: " + str::sanitize(verb)};
  if (args.size() < 2) return Error{verb + ": expected a queue ID" + (verb == "show" ? "" : " or ALL")};
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "ALL" && out.action != A::Show) out.all = true;
    else if (queue::id_ok(a)) out.ids.push_back(a);
    else return Error{verb + ": invalid queue ID: " + str::sanitize(a)};
  }
  if (out.action == A::Show && out.ids.size() != 1) return Error{"show: expected one queue ID"};
  if (out.all && !out.ids.empty()) return Error{verb + ": ALL excludes queue IDs"};
  return out;
}

}  // namespace buzon::cli
