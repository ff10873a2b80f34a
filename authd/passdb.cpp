#include "authd/passdb.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>

#include "lib/config/config.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/log/log.h"

namespace buzon::authd {

bool valid_login(std::string_view user) {
  if (user.empty() || user.size() > kLoginMax) return false;
  for (char c : user)
    if (static_cast<unsigned char>(c) < 0x21 || c == ':' || c == 0x7f) return false;
  return true;
}

namespace {

class PasswdFileDb : public Passdb {
 public:
  explicit PasswdFileDb(std::string path) : path_(std::move(path)) {}

  Result<std::optional<Account>> lookup(std::string_view user) override {
    if (!valid_login(user)) return std::optional<Account>();
    if (auto st = refresh(); !st) return st.error();
    auto it = file_.entries.find(user);
    if (it == file_.entries.end()) return std::optional<Account>();
    return std::optional<Account>(Account{it->first, it->second});
  }

  Secrets secrets(bool allow_weak) override {
    Secrets s;
    if (!refresh()) return s;
    for (const auto& [user, stored] : file_.entries) {
      s.clear_text = s.clear_text || password::clear_text(stored, allow_weak).has_value();
      s.scram_sha256 = s.scram_sha256 || stored.scheme == password::Scheme::ScramSha256;
    }
    s.scram_sha256 = s.scram_sha256 || s.clear_text;
    return s;
  }

  std::string name() const override { return "passwd-file:" + path_; }

 private:
  // Re-reads the file when its identity, size or mtime changed, so that
  // `buzon user passwd` takes effect without a reload.
  Status refresh() {
    struct stat st{};
    if (::stat(path_.c_str(), &st) < 0) return sys_error("passwd-file " + path_);
    if (loaded_ && st.st_ino == st_.st_ino && st.st_dev == st_.st_dev && st.st_size == st_.st_size &&
        st.st_mtim.tv_sec == st_.st_mtim.tv_sec && st.st_mtim.tv_nsec == st_.st_mtim.tv_nsec)
      return {};
    auto text = file::read_file(path_, kPasswdFileMax);
    if (!text) return Error{"passwd-file " + text.error().message, text.error().sys_errno};
    file_ = parse_passwd_file(*text, path_);
    for (const auto& w : file_.warnings) log::warning(w);
    st_ = st;
    loaded_ = true;
    return {};
  }

  std::string path_;
  PasswdFile file_;
  struct stat st_{};
  bool loaded_ = false;
};

class SystemDb : public Passdb {
 public:
  SystemDb(std::string shadow_text, std::string shadow_path) : shadow_path_(std::move(shadow_path)) {
    parse_shadow(shadow_text);
    if (!shadow_path_.empty()) ::stat(shadow_path_.c_str(), &st_);
  }

  Result<std::optional<Account>> lookup(std::string_view user) override {
    if (!valid_login(user)) return std::optional<Account>();
    refresh();
    std::string name(user);
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* res = nullptr;
    int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res);
    if (rc != 0 && rc != ENOENT && rc != ESRCH) {
      errno = rc;
      return sys_error("getpwnam " + name);
    }
    if (!res) return std::optional<Account>();
    std::string hash = pw.pw_passwd ? pw.pw_passwd : "";
    if (auto it = shadow_.find(name); it != shadow_.end()) hash = it->second;
    // "x" (in shadow, which we could not read), "*", "!", "": no password login.
    if (hash.empty() || hash[0] != '$') return std::optional<Account>();
    return std::optional<Account>(Account{name, password::Stored{password::Scheme::Crypt, hash}});
  }

  Secrets secrets(bool) override { return {}; }
  std::string name() const override { return "system"; }

 private:
  // shadow(5): name:hash:... The text is dropped once parsed.
  void parse_shadow(std::string_view rest) {
    shadow_.clear();
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      size_t c1 = line.find(':');
      if (c1 == std::string_view::npos || line.size() > kPasswdLineMax) continue;
      size_t c2 = line.find(':', c1 + 1);
      shadow_.emplace(std::string(line.substr(0, c1)), std::string(line.substr(c1 + 1, c2 - c1 - 1)));
    }
  }

  // A changed shadow file (passwd(1) replaces it) is read again when
  // auth_owner may read it (group shadow); otherwise the snapshot taken as
  // root at startup stays in use until authd restarts.
  void refresh() {
    if (shadow_path_.empty()) return;
    struct stat st{};
    if (::stat(shadow_path_.c_str(), &st) < 0) return;
    if (st.st_ino == st_.st_ino && st.st_dev == st_.st_dev && st.st_size == st_.st_size &&
        st.st_mtim.tv_sec == st_.st_mtim.tv_sec && st.st_mtim.tv_nsec == st_.st_mtim.tv_nsec)
      return;
    st_ = st;  // one attempt (and at most one warning) per change
    auto text = file::read_file(shadow_path_, kShadowFileMax);
    if (!text) {
      log::warning("system passdb: " + shadow_path_ + " changed but cannot be read (" + text.error().message +
                   "): still using the copy read at startup; put auth_owner in group shadow");
      return;
    }
    parse_shadow(*text);
  }

  std::map<std::string, std::string, std::less<>> shadow_;
  std::string shadow_path_;
  struct stat st_{};
};

}  // namespace

PasswdFile parse_passwd_file(std::string_view text, const std::string& filename) {
  PasswdFile out;
  unsigned lineno = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto warn = [&](const std::string& why) {
      out.warnings.push_back(filename + ":" + std::to_string(lineno) + ": " + why);
    };
    if (line.size() > kPasswdLineMax) {
      warn("line longer than " + std::to_string(kPasswdLineMax) + " bytes, skipped");
      continue;
    }
    std::string_view t = str::trim(line);
    if (t.empty() || t.front() == '#') continue;
    size_t c1 = line.find(':');
    if (c1 == std::string_view::npos) {
      warn("malformed entry skipped: expected user:password");
      continue;
    }
    std::string_view user = line.substr(0, c1);
    std::string_view pw = line.substr(c1 + 1);
    pw = pw.substr(0, pw.find(':'));
    if (!valid_login(user)) {
      warn("malformed entry skipped: bad user name");
      continue;
    }
    auto stored = password::parse_stored(pw);
    if (!stored) {
      warn("entry for " + std::string(user) + " skipped: " + stored.error().message);
      continue;
    }
    out.entries.emplace(std::string(user), std::move(*stored));
  }
  return out;
}

std::unique_ptr<Passdb> passwd_file_passdb(const std::string& path) { return std::make_unique<PasswdFileDb>(path); }

std::unique_ptr<Passdb> system_passdb(std::string shadow_text, std::string shadow_path) {
  return std::make_unique<SystemDb>(std::move(shadow_text), std::move(shadow_path));
}

Result<std::vector<std::unique_ptr<Passdb>>> passdbs_from(const config::MainCf& cf, const std::string& shadow_text,
                                                          const std::string& shadow_path) {
  std::vector<std::unique_ptr<Passdb>> out;
  auto list = cf.get_list("auth_passdb");
  if (list.empty()) {
    std::string file = cf.get("local_passwd_file");
    list.push_back(file.empty() ? std::string("system") : "passwd-file:" + file);
  }
  for (const auto& item : list) {
    if (item == "system") {
      out.push_back(system_passdb(shadow_text, shadow_path));
    } else if (item.starts_with("passwd-file:")) {
      std::string path = item.substr(12);
      if (path.empty() || path[0] != '/') return Error{"auth_passdb: passwd-file needs an absolute path: " + item};
      out.push_back(passwd_file_passdb(path));
    } else if (item.starts_with("hash:")) {
      if (item.size() < 6 || item[5] != '/') return Error{"auth_passdb: hash: needs an absolute path: " + item};
      out.push_back(hash_passdb(item));
    } else {
      return Error{"auth_passdb: unknown password database: " + item + " (passwd-file:/path, hash:/path or system)"};
    }
  }
  return out;
}

}  // namespace buzon::authd
