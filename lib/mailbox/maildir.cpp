#include "lib/mailbox/maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <unordered_map>

#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/mailbox/maildir_order.h"
#include "lib/mailbox/uidlist.h"

namespace buzon::mailbox {
namespace {

constexpr const char* kUidListName = "buzon-uidlist";
constexpr const char* kLockName = "buzon-uidlist.lock";
constexpr std::string_view kFlagLetters = "DFPRST";

struct DirCloser {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};

// Holds an exclusive fcntl lock on the folder's lock file while in scope.
class UidListLock {
 public:
  static Result<UidListLock> take(const std::string& dir) {
    std::string p = dir + "/" + kLockName;
    Fd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return sys_error("open " + p);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int rc;
    do rc = ::fcntl(fd.get(), F_SETLKW, &fl);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return sys_error("lock " + p);
    return UidListLock(std::move(fd));
  }

 private:
  explicit UidListLock(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;  // closing it releases the lock
};

// The CRLF size of a file: its size plus one byte per LF without a CR.
// The LFs are found with memchr (vectorised): a loop over every byte was
// most of a POP3 login's time for a mailbox of files without ",W=".
Result<uint64_t> crlf_size(int fd) {
  char buf[65536];
  uint64_t size = 0, bare = 0;
  char prev = '\0';  // the byte before buf[0]
  for (off_t at = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read message");
    const char* end = buf + n;
    for (const char* lf = buf; (lf = static_cast<const char*>(std::memchr(lf, '\n', end - lf))); ++lf)
      if ((lf == buf ? prev : lf[-1]) != '\r') ++bare;
    if (n > 0) prev = end[-1];
    size += static_cast<uint64_t>(n);
    at += n;
    // A short read is the end of a regular file: no second read to learn it.
    if (static_cast<size_t>(n) < sizeof buf) break;
  }
  return size + bare;
}

// ",W=<n>" in the base name is the CRLF size that Dovecot-style deliverers
// record; trusting it saves reading the file.
std::optional<uint64_t> vsize_from_name(std::string_view base) {
  auto at = base.find(",W=");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view digits = base.substr(at + 3);
  digits = digits.substr(0, digits.find(','));
  auto n = str::to_uint(digits);
  if (!n) return std::nullopt;
  return *n;
}

std::string sorted_flags(std::string_view letters) {
  std::string out;
  for (char c : kFlagLetters)
    if (letters.find(c) != std::string_view::npos) out += c;
  return out;
}

// Adds the plain Maildir files of dir/sub to found (base -> name), keeping
// the first one seen for a base.
Status scan(const std::string& dir, const char* sub, std::unordered_map<std::string, std::string>& found) {
  std::string p = dir + "/" + sub;
  std::unique_ptr<DIR, DirCloser> d(::opendir(p.c_str()));
  if (!d) return sys_error("opendir " + p);
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    std::string_view base = maildir_base(name);
    if (!base_name_ok(base)) continue;
    if (found.size() >= kMaildirMessagesMax) return Error{p + ": more than " + std::to_string(kMaildirMessagesMax) + " messages"};
    found.emplace(std::string(base), std::string(sub) + "/" + std::string(name));
  }
  if (errno != 0) return sys_error("readdir " + p);
  return {};
}

}  // namespace

std::string_view maildir_base(std::string_view name) { return name.substr(0, name.find(':')); }

std::string maildir_flags(std::string_view name) {
  auto at = name.find(":2,");
  return at == std::string_view::npos ? std::string{} : sorted_flags(name.substr(at + 3));
}

Result<Maildir> Maildir::open(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) < 0) return sys_error("lstat " + dir);
  if (!S_ISDIR(st.st_mode)) return Error{dir + " is not a directory", ENOTDIR};
  for (const char* sub : {"cur", "new", "tmp"}) {
    std::string p = dir + "/" + sub;
    if (::mkdir(p.c_str(), 0700) < 0 && errno != EEXIST) return sys_error("mkdir " + p);
    if (::lstat(p.c_str(), &st) < 0) return sys_error("lstat " + p);
    if (!S_ISDIR(st.st_mode)) return Error{p + " is not a directory", ENOTDIR};
  }
  // Message files are reached through this descriptor, not by walking the
  // whole path again for every open, rename and unlink (a POP3 session
  // renames each message it retrieved when it ends).
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error("open " + dir);
  Maildir m(dir, std::move(fd));
  if (auto s = m.sync(); !s) return s.error();
  return m;
}

Status Maildir::sync() {
  auto lock = UidListLock::take(dir_);
  if (!lock) return lock.error();
  // new/ before cur/: a file moved new -> cur between the two scans is then
  // seen twice (and kept once) instead of not at all.
  std::unordered_map<std::string, std::string> found;
  for (const char* sub : {"new", "cur"})
    if (auto s = scan(dir_, sub, found); !s) return s;

  std::string list_path = dir_ + "/" + kUidListName;
  std::optional<UidList> list;
  if (auto text = file::read_file(list_path, kUidListMax)) list = parse_uidlist(*text);
  bool changed = !list;
  if (!list) list = UidList{static_cast<uint32_t>(std::max<time_t>(1, ::time(nullptr))), 1, {}};

  std::vector<MaildirMessage> now;
  std::vector<UidEntry> kept;
  for (auto& e : list->entries) {
    auto it = found.find(e.base);
    if (it == found.end()) {
      changed = true;
      continue;
    }
    now.push_back({e.uid, e.vsize, e.base, it->second, maildir_flags(it->second)});
    kept.push_back(std::move(e));
    found.erase(it);
  }
  std::vector<std::pair<std::string, std::string>> fresh(found.begin(), found.end());
  std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) { return delivered_before(a.first, b.first); });
  for (auto& [base, name] : fresh) {
    if (list->next_uid == UINT32_MAX) return Error{dir_ + ": UID space exhausted"};
    auto vsize = vsize_from_name(base);
    if (!vsize) {
      Fd fd(::openat(dir_fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) continue;  // gone or renamed meanwhile: the next sync sees it
      auto size = crlf_size(fd.get());
      if (!size) return size.error();
      vsize = *size;
    }
    uint32_t uid = list->next_uid++;
    now.push_back({uid, *vsize, base, name, maildir_flags(name)});
    kept.push_back({uid, *vsize, base});
    changed = true;
  }
  list->entries = std::move(kept);
  if (changed)
    if (auto s = file::write_atomic(list_path, format_uidlist(*list), 0600); !s) return s;
  uidvalidity_ = list->uidvalidity;
  messages_ = std::move(now);
  return {};
}

bool Maildir::relocate(size_t i) {
  std::unordered_map<std::string, std::string> found;
  for (const char* sub : {"new", "cur"})
    if (!scan(dir_, sub, found)) return false;
  auto it = found.find(messages_[i].base);
  if (it == found.end()) return false;
  messages_[i].name = it->second;
  messages_[i].flags = maildir_flags(it->second);
  return true;
}

Result<Fd> Maildir::open_message(size_t i) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    Fd fd(::openat(dir_fd_.get(), messages_[i].name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd) return fd;
    if (errno != ENOENT || attempt == 1 || !relocate(i)) return sys_error("open " + dir_ + "/" + messages_[i].name);
  }
  return Error{"unreachable"};
}

Status Maildir::set_flags(size_t i, std::string_view flags) {
  MaildirMessage& m = messages_[i];
  std::string want = "cur/" + m.base + ":2," + sorted_flags(flags);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (m.name == want) return {};
    if (::renameat(dir_fd_.get(), m.name.c_str(), dir_fd_.get(), want.c_str()) == 0) {
      m.name = want;
      m.flags = maildir_flags(want);
      return {};
    }
    if (errno != ENOENT || attempt == 1 || !relocate(i)) return sys_error("rename " + dir_ + "/" + m.name);
  }
  return {};
}

Status Maildir::expunge(size_t i) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::unlinkat(dir_fd_.get(), messages_[i].name.c_str(), 0) == 0) return {};
    if (errno != ENOENT) return sys_error("unlink " + dir_ + "/" + messages_[i].name);
    if (attempt == 1 || !relocate(i)) return {};  // already gone
  }
  return {};
}

}  // namespace buzon::mailbox
