#include "cli/user_cmd.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/passwd_edit.h"
#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/password/scheme.h"

namespace buzon::cli {
namespace {

constexpr size_t kPasswdFileMax = 4 << 20;  // as authd (authd/passdb.h)

const char* const kUsage =
    "usage: buzon [-c config_dir] user add NAME [--stdin] [--scheme SCHEME] [--home DIR] [--uid N] [--gid N]\n"
    "       buzon [-c config_dir] user passwd NAME [--stdin] [--scheme SCHEME]\n"
    "       buzon [-c config_dir] user del NAME\n"
    "       buzon [-c config_dir] user list\n";

int fail(const std::string& what) {
  std::fprintf(stderr, "buzon: fatal: user: %s\n", what.c_str());
  return 1;
}

// One line from the terminal without echo (restored on every path).
std::optional<std::string> prompt(const char* text) {
  std::fputs(text, stderr);
  termios old{};
  bool tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fputs("\n", stderr);
  }
  if (!ok) return std::nullopt;
  return line;
}

Result<std::string> read_password(bool from_stdin) {
  if (from_stdin) {
    std::string line;
    if (!std::getline(std::cin, line)) return Error{"no password on standard input"};
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return Error{"empty password"};
    return line;
  }
  if (!::isatty(STDIN_FILENO)) return Error{"standard input is not a terminal: use --stdin"};
  auto a = prompt("New password: ");
  auto b = prompt("Retype new password: ");
  if (!a || !b) return Error{"no password given"};
  if (*a != *b) return Error{"the passwords do not match"};
  if (a->empty()) return Error{"empty password"};
  return *a;
}

// Rewrites the file atomically, keeping its mode and owner (an instance's
// file belongs to the instance's account, which authd runs as).
Status write_back(const std::string& path, const std::string& text, const struct stat& st) {
  if (auto s = file::write_atomic(path, text, st.st_mode & 07777); !s) return s;
  if (::geteuid() == 0 && ::chown(path.c_str(), st.st_uid, st.st_gid) < 0) return sys_error("chown " + path);
  return {};
}

}  // namespace

int cmd_user(const std::string& config_dir, std::span<const std::string> args) {
  if (args.empty()) return std::fputs(kUsage, stderr), 1;
  const std::string& verb = args[0];
  std::optional<std::string> name, scheme_name, home, uid_text, gid_text;
  bool from_stdin = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--stdin") from_stdin = true;
    else if (a == "--scheme" && i + 1 < args.size()) scheme_name = args[++i];
    else if (a == "--home" && i + 1 < args.size()) home = args[++i];
    else if (a == "--uid" && i + 1 < args.size()) uid_text = args[++i];
    else if (a == "--gid" && i + 1 < args.size()) gid_text = args[++i];
    else if (!a.starts_with("-") && !name) name = a;
    else return std::fputs(kUsage, stderr), 1;
  }
  // --uid/--gid: a virtual domain's users belong to its vmail account
  // (virtual_uid_maps), not to the file's owner. Root (0) is refused, as
  // virtual_minimum_uid would refuse it.
  auto id_arg = [](const std::optional<std::string>& t, unsigned fallback) -> std::optional<unsigned> {
    if (!t) return fallback;
    auto v = str::to_uint(*t);
    if (!v || *v == 0 || *v > 0x7fffffff) return std::nullopt;
    return static_cast<unsigned>(*v);
  };
  if ((verb == "list") == name.has_value()) return std::fputs(kUsage, stderr), 1;

  auto cf = config::MainCf::load(config_dir);
  if (!cf) return fail(cf.error().message);
  std::string path = cf->get("local_passwd_file");
  if (path.empty()) return fail("local_passwd_file is not set: buzon user manages passwd-file users");
  struct stat st{};
  if (::stat(path.c_str(), &st) < 0) return fail(sys_error(path).message);
  auto text = file::read_file(path, kPasswdFileMax);
  if (!text) return fail(text.error().message);

  if (verb == "list") {
    for (const auto& u : list_passwd_users(*text))
      std::printf("%s\t%s\t%s\n", u.name.c_str(), u.scheme.empty() ? "CRYPT" : u.scheme.c_str(), u.home.c_str());
    return 0;
  }
  if (verb == "del") {
    auto out = passwd_del(*text, *name);
    if (!out) return fail(out.error().message);
    if (auto s = write_back(path, *out, st); !s) return fail(s.error().message);
    std::printf("buzon: user %s deleted (the mailbox is kept)\n", name->c_str());
    return 0;
  }
  if (verb != "add" && verb != "passwd") return std::fputs(kUsage, stderr), 1;
  if (verb == "add" && !valid_user_name(*name)) return fail("bad user name: " + str::sanitize(*name, 64));
  auto uid = id_arg(uid_text, st.st_uid), gid = id_arg(gid_text, st.st_gid);
  if (!uid || !gid) return fail("--uid and --gid take a number from 1 to 2147483647");
  if (verb != "add" && (home || uid_text || gid_text)) return std::fputs(kUsage, stderr), 1;
  std::string sname = scheme_name.value_or(cf->get("default_pass_scheme"));
  auto scheme = password::scheme_from_name(sname);
  if (!scheme || *scheme == password::Scheme::Crypt)
    return fail("unknown password scheme " + sname + " (SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, ARGON2ID, SCRAM-SHA-256, PLAIN)");
  auto pw = read_password(from_stdin);
  if (!pw) return fail(pw.error().message);
  auto stored = password::hash(*scheme, *pw);
  if (!stored) return fail(stored.error().message);

  Result<std::string> out = Error{""};
  if (verb == "add") {
    // Instance mode: the new user is like the others, owned by the account
    // that owns the file, with its home beside theirs.
    std::string h = home.value_or(file::dirname(path) + "/home/" + *name);
    out = passwd_add(*text, *name, password::format(*stored), *uid, *gid, h);
    if (out && ::mkdir(h.c_str(), 0700) == 0 && ::geteuid() == 0) {
      if (::chown(h.c_str(), *uid, *gid) < 0) return fail(sys_error("chown " + h).message);
    }
  } else {
    out = passwd_set(*text, *name, password::format(*stored));
  }
  if (!out) return fail(out.error().message);
  if (auto s = write_back(path, *out, st); !s) return fail(s.error().message);
  std::printf("buzon: %s %s (%s)\n", verb == "add" ? "added user" : "new password for", name->c_str(),
              std::string(password::scheme_name(*scheme)).c_str());
  return 0;
}

}  // namespace buzon::cli
