// Password databases (Dovecot's passdb): where authd finds the stored
// password of a login name. authd is the only process that reads them.
//
//   passwd-file:/path  Dovecot passwd-file, "user:{SCHEME}hash:uid:gid:gecos:home:shell"
//                      (only the first two fields matter here); re-read when
//                      the file changes.
//   hash:/path         Berkeley DB table (buzon map) of "user {SCHEME}hash"
//                      (passdb_hash.cpp); logins exact, no case folding.
//   system             passwd + shadow through crypt(3); the shadow file is
//                      read at authd start, as root, before authd drops its
//                      privileges (authd never runs as root afterwards), and
//                      again after a change when auth_owner is in group shadow.
//
// LIMITS  kPasswdFileMax bytes per file, kPasswdLineMax bytes per line,
//         kLoginMax bytes per login name.
#pragma once
#include <sys/stat.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/password/scheme.h"

namespace buzon::config { class MainCf; }

namespace buzon::authd {

constexpr size_t kPasswdFileMax = 4 << 20;
constexpr size_t kPasswdLineMax = 4096;
constexpr size_t kLoginMax = 256;
constexpr size_t kShadowFileMax = 16 << 20;

// What a database holds for one login.
struct Account {
  std::string user;
  password::Stored password;
};

// What secrets a database may hold, for choosing mechanisms: CRAM-MD5 and
// SCRAM-SHA-1 need a clear text, SCRAM-SHA-256 a clear text or its secret.
struct Secrets {
  bool clear_text = false;
  bool scram_sha256 = false;
};

class Passdb {
 public:
  virtual ~Passdb() = default;
  // nullopt: no such user (or a locked, malformed entry). Error: the
  // database cannot be read (a temporary failure for the client).
  virtual Result<std::optional<Account>> lookup(std::string_view user) = 0;
  virtual Secrets secrets(bool allow_weak) = 0;
  virtual std::string name() const = 0;
};

// Parsed passwd-file text, by login name. Malformed lines are skipped and
// reported in warnings as "FILE:LINE: reason" (a broken line must not lock
// out everyone else); the first entry of a name wins.
struct PasswdFile {
  std::map<std::string, password::Stored, std::less<>> entries;
  std::vector<std::string> warnings;
};
PasswdFile parse_passwd_file(std::string_view text, const std::string& filename);

// A login name any database may hold: 1..kLoginMax bytes, no controls,
// spaces or ':'.
bool valid_login(std::string_view user);

std::unique_ptr<Passdb> passwd_file_passdb(const std::string& path);
// spec: "hash:/path" (the table is /path.db).
std::unique_ptr<Passdb> hash_passdb(const std::string& spec);
// shadow_text: the shadow file read at startup (empty when unreadable:
// then only passwd entries with a real hash in their password field work).
// shadow_path: read again when it changes, if this process may (authd's
// auth_owner in group shadow); empty: never.
std::unique_ptr<Passdb> system_passdb(std::string shadow_text, std::string shadow_path = "");

// auth_passdb from main.cf. Errors: an unknown database type, a
// passwd-file or hash: table without an absolute path.
Result<std::vector<std::unique_ptr<Passdb>>> passdbs_from(const config::MainCf& cf, const std::string& shadow_text,
                                                          const std::string& shadow_path = "");

}  // namespace buzon::authd
