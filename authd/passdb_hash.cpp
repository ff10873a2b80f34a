// hash:/path passdb - a Berkeley DB table built with "buzon map hash:/path"
// from a text file of "user {SCHEME}hash" lines (postmap(1) syntax). The
// value is the password field of a passwd-file entry; anything after a
// ':' (uid:gid:... copied from a passwd-file) is ignored.
//
// Logins are exact, as in the other passdbs: the table is opened without
// case folding, so a source with upper-case logins is built with
// "buzon map -f". The table is opened on first use and reopened by lib/map
// when it is rebuilt; a table that cannot be opened is a temporary
// failure, not "no such user", so that a missing file never looks like a
// wrong password.
#include <sys/stat.h>

#include "authd/passdb.h"
#include "lib/log/log.h"
#include "lib/map/map.h"

namespace buzon::authd {
namespace {

class HashDb : public Passdb {
 public:
  explicit HashDb(std::string spec) : spec_(std::move(spec)), db_path_(spec_.substr(spec_.find(':') + 1) + ".db") {}

  Result<std::optional<Account>> lookup(std::string_view user) override {
    if (!valid_login(user)) return std::optional<Account>();
    if (auto st = ensure_open(); !st) return st.error();
    auto value = table_->lookup(user);
    if (!value) return value.error();
    if (!*value) return std::optional<Account>();
    auto stored = parse_value(**value);
    if (!stored) {
      // A broken entry locks out that user only; the log says why.
      log::warning(spec_ + ": entry for " + std::string(user) + " ignored: " + stored.error().message);
      return std::optional<Account>();
    }
    return std::optional<Account>(Account{std::string(user), std::move(*stored)});
  }

  // Scans the whole table, so the answer is kept until the .db changes:
  // authd is asked for its mechanisms at every EHLO.
  Secrets secrets(bool allow_weak) override {
    struct stat now{};
    const bool have_id = ::stat(db_path_.c_str(), &now) == 0;
    if (have_id && cached_ && allow_weak == cached_weak_ && now.st_ino == st_.st_ino &&
        now.st_dev == st_.st_dev && now.st_mtim.tv_sec == st_.st_mtim.tv_sec && now.st_mtim.tv_nsec == st_.st_mtim.tv_nsec)
      return cached_secrets_;
    Secrets s;
    if (!ensure_open()) return s;
    auto scanned = table_->for_each([&](std::string_view, std::string_view value) {
      auto stored = parse_value(value);
      if (stored) {
        s.clear_text = s.clear_text || password::clear_text(*stored, allow_weak).has_value();
        s.scram_sha256 = s.scram_sha256 || stored->scheme == password::Scheme::ScramSha256;
      }
      return !(s.clear_text && s.scram_sha256);  // nothing more to learn
    });
    if (!scanned) log::warning(scanned.error().message);
    s.scram_sha256 = s.scram_sha256 || s.clear_text;
    // The identity from before the scan: a table rebuilt meanwhile is
    // scanned again next time.
    cached_ = scanned.ok() && have_id;
    cached_weak_ = allow_weak;
    cached_secrets_ = s;
    st_ = now;
    return s;
  }

  std::string name() const override { return spec_; }

 private:
  static Result<password::Stored> parse_value(std::string_view value) {
    return password::parse_stored(value.substr(0, value.find(':')));
  }

  Status ensure_open() {
    if (table_) return {};
    map::OpenOptions opts;
    opts.fold_case = false;
    auto t = map::open(spec_, opts);
    if (!t) return Error{"passdb " + t.error().message, t.error().sys_errno};
    table_ = std::move(*t);
    return {};
  }

  std::string spec_;
  std::string db_path_;
  std::unique_ptr<map::Table> table_;
  bool cached_ = false;
  bool cached_weak_ = false;
  Secrets cached_secrets_;
  struct stat st_{};
};

}  // namespace

std::unique_ptr<Passdb> hash_passdb(const std::string& spec) { return std::make_unique<HashDb>(spec); }

}  // namespace buzon::authd
