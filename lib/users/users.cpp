// Local account lookup: passwd-file (instance mode) or the system database.
#include "lib/users/users.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/log/log.h"

namespace buzon::users {
namespace {

// users.h LIMITS: a passwd file is a handful of accounts; anything larger
// is a mistake (or an attack on a world-writable path), not a database.
constexpr size_t kFileMax = 1 << 20;
constexpr size_t kLineMax = 1024;
// getpwnam_r buffers grow by doubling up to this; a larger entry is broken.
constexpr size_t kPwBufMax = 1 << 20;

bool fail(std::string& why, const char* text) {
  why = text;
  return false;
}

// Parses one passwd-file line. Returns false (and why) when malformed.
bool parse_line(std::string_view line, User& u, std::string& why) {
  std::vector<std::string_view> f;
  size_t start = 0;
  for (;;) {
    size_t colon = line.find(':', start);
    f.push_back(line.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  // name:password:uid:gid:gecos:home[:shell[:extra...]]. Without uid, gid
  // and home nothing can be delivered, so a shorter line is malformed.
  if (f.size() < 6) return fail(why, "expected name:password:uid:gid:gecos:home");
  // The name becomes a path component (mail_spool_directory/NAME): refuse
  // anything that could climb out of the directory or hide as a dot file.
  if (f[0].empty() || f[0].find('/') != std::string_view::npos || f[0].front() == '.')
    return fail(why, "bad user name");
  auto uid = str::to_uint(f[2]);
  auto gid = str::to_uint(f[3]);
  if (!uid || *uid > static_cast<unsigned long long>(static_cast<uid_t>(-1) - 1)) return fail(why, "bad uid");
  if (!gid || *gid > static_cast<unsigned long long>(static_cast<gid_t>(-1) - 1)) return fail(why, "bad gid");
  if (!f[5].empty() && f[5].front() != '/') return fail(why, "home is not an absolute path");
  u.name = std::string(f[0]);
  u.uid = static_cast<uid_t>(*uid);
  u.gid = static_cast<gid_t>(*gid);
  u.home = std::string(f[5]);
  u.shell = f.size() > 6 ? std::string(f[6]) : std::string();
  return true;
}

// The valid entries of a passwd file's text, warning about the others.
std::vector<User> parse_file(const std::string& path, std::string_view rest) {
  std::vector<User> users;
  unsigned lineno = 0;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto where = [&] { return path + ":" + std::to_string(lineno) + ": "; };
    if (line.size() > kLineMax) {
      log::warning(where() + "line longer than " + std::to_string(kLineMax) + " bytes, skipped");
      continue;
    }
    std::string_view t = str::trim(line);
    if (t.empty() || t.front() == '#') continue;
    User u;
    std::string why;
    if (!parse_line(line, u, why)) {
      log::warning(where() + "malformed entry skipped: " + why);
      continue;
    }
    users.push_back(std::move(u));
  }
  return users;
}

// A passwd file parsed once per version: smtpd looks one up for every RCPT
// and local for every delivery, and reading and parsing the whole file each
// time was most of the cost. A stat tells whether the file changed.
struct ParsedFile {
  struct stat key {};
  std::shared_ptr<const std::vector<User>> users;
};

bool same_version(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

Result<std::shared_ptr<const std::vector<User>>> load_file(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, ParsedFile> cache;
  struct stat st;
  if (::stat(path.c_str(), &st) < 0) {
    Error e = sys_error("stat " + path);
    e.message = "passwd file " + e.message;
    return e;
  }
  {
    std::lock_guard lock(mu);
    auto it = cache.find(path);
    if (it != cache.end() && same_version(it->second.key, st)) return it->second.users;
  }
  // A change between the stat and the read leaves content newer than the
  // key: the next lookup sees a different stat and reads it again.
  auto text = file::read_file(path, kFileMax);
  if (!text) return Error{"passwd file " + text.error().message, text.error().sys_errno};
  auto users = std::make_shared<const std::vector<User>>(parse_file(path, *text));
  std::lock_guard lock(mu);
  cache[path] = ParsedFile{st, users};
  return users;
}

// The first valid entry of a passwd file that match accepts.
Result<std::optional<User>> scan_file(const std::string& path, const std::function<bool(const User&)>& match) {
  auto users = load_file(path);
  if (!users) return users.error();
  for (const User& u : **users)
    if (match(u)) return std::optional<User>(u);
  return std::optional<User>();
}

User from_passwd(const passwd& pw) {
  return User{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir ? pw.pw_dir : "", pw.pw_shell ? pw.pw_shell : ""};
}

// getpwnam_r / getpwuid_r with a growing buffer. "Not found" is reported by
// glibc as rc 0 and a null result (or, by some NSS modules, ENOENT/ESRCH).
template <class Lookup>
Result<std::optional<User>> system_lookup(const std::string& what, Lookup lookup) {
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  size_t size = hint > 0 ? static_cast<size_t>(hint) : 4096;
  for (;;) {
    std::vector<char> buf(size);
    passwd pw{};
    passwd* res = nullptr;
    int rc = lookup(&pw, buf.data(), buf.size(), &res);
    if (rc == 0 && res) return std::optional<User>(from_passwd(pw));
    if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) return std::optional<User>();
    if (rc == ERANGE && size < kPwBufMax) {
      size *= 2;
      continue;
    }
    errno = rc;
    return sys_error("password database lookup " + what);
  }
}

}  // namespace

Result<std::optional<User>> find(const config::MainCf& cf, std::string_view name) {
  std::string file = cf.get("local_passwd_file");
  if (!file.empty()) return scan_file(file, [&](const User& u) { return u.name == name; });
  std::string n(name);
  if (n.empty()) return std::optional<User>();
  return system_lookup("for " + n, [&](passwd* pw, char* b, size_t len, passwd** res) {
    return ::getpwnam_r(n.c_str(), pw, b, len, res);
  });
}

Result<std::optional<User>> find_uid(const config::MainCf& cf, uid_t uid) {
  std::string file = cf.get("local_passwd_file");
  if (!file.empty()) return scan_file(file, [&](const User& u) { return u.uid == uid; });
  return system_lookup("for uid " + std::to_string(uid), [&](passwd* pw, char* b, size_t len, passwd** res) {
    return ::getpwuid_r(uid, pw, b, len, res);
  });
}

}  // namespace buzon::users
