#include "local/maildir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <memory>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "local/output.h"

namespace buzon::local {
namespace {

Reply failure(const std::string& dir, const Error& e) {
  std::string why = "cannot deliver to maildir " + dir + ": " + e.message;
  switch (e.sys_errno) {
    case EFBIG: return Reply::bounce("5.2.2", "mailbox full");
    case EDQUOT: return Reply::defer("4.2.2", why);
    case ENOSPC: return Reply::defer("4.3.1", why);
    default: return Reply::defer("4.2.0", why);
  }
}

Status make_maildir(const std::string& dir) {
  for (const char* sub : {"", "cur", "new", "tmp"}) {
    std::string p = dir + sub;
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return Error{p + " is not a directory", ENOTDIR};
      continue;
    }
    if (errno != ENOENT) return sys_error("lstat " + p);
    if (auto s = file::make_dirs(p, 0700); !s) return s;
  }
  // Maildir++: a sub-folder (Maildir/.Lists/) is marked with an empty
  // "maildirfolder" file, which IMAP servers and maildrop look for.
  if (maildir_folder_root(dir) != dir) {
    std::string marker = dir + "maildirfolder";
    Fd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return sys_error("create " + marker);
  }
  return {};
}

// Bytes of the messages in one cur/ or new/ directory: S= of the name when
// present (no stat needed), else the file size.
Result<unsigned long long> directory_usage(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return 0ULL;
    return sys_error("opendir " + dir);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
  unsigned long long total = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.empty() || name.front() == '.') continue;
    auto s = maildir_size_of_name(name);
    if (!s) {
      struct stat st;
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;  // gone meanwhile
      s = static_cast<unsigned long long>(st.st_size);
    }
    total += *s;
  }
  return total;
}

Status write_file(int fd, const Message& msg, unsigned long long size) {
  Output out(fd, 0, 0);
  if (auto s = out.write(delivery_headers(msg)); !s) return s;
  bool last_nl = true;
  auto st = for_each_chunk(msg, [&](std::string_view chunk) -> Status {
    if (!chunk.empty()) last_nl = chunk.back() == '\n';
    return out.write(chunk);
  });
  if (!st) return st;
  if (!last_nl)
    if (auto s = out.write("\n"); !s) return s;
  if (auto s = out.flush(); !s) return s;
  // The name promises S=size; a queue file that changed underneath would
  // make it lie.
  if (out.written() != size) return Error{"content size changed during delivery"};
  return {};
}

}  // namespace

std::optional<unsigned long long> maildir_size_of_name(std::string_view name) {
  size_t p = name.find(",S=");
  if (p == std::string_view::npos) return std::nullopt;
  size_t e = name.find_first_of(",:", p + 3);
  return str::to_uint(name.substr(p + 3, e == std::string_view::npos ? std::string_view::npos : e - p - 3));
}

std::string maildir_folder_root(const std::string& dir) {
  // ".../Maildir/.Folder/" -> ".../Maildir/"
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  size_t slash = d.rfind('/');
  if (slash == std::string::npos || slash + 1 >= d.size() || d[slash + 1] != '.') return dir;
  std::string parent = d.substr(0, slash + 1);
  return parent;
}

Result<unsigned long long> maildir_usage(const std::string& dir) {
  std::string root = maildir_folder_root(dir);
  unsigned long long total = 0;
  std::vector<std::string> folders{root};
  if (DIR* d = ::opendir(root.c_str())) {
    std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 1 && n[0] == '.' && n != "..") folders.push_back(root + n + "/");
    }
  }
  for (const auto& f : folders)
    for (const char* sub : {"cur", "new"}) {
      auto u = directory_usage(f + sub);
      if (!u) return u.error();
      total += *u;
    }
  return total;
}

std::string maildir_host(std::string_view host) {
  std::string out;
  for (char c : host) {
    if (c == '/') out += "\\057";
    else if (c == ':') out += "\\072";
    else out += c;
  }
  return out;
}

std::string maildir_tmp_name(const timeval& now, pid_t pid, unsigned long counter, std::string_view host) {
  return std::to_string(now.tv_sec) + ".M" + std::to_string(now.tv_usec) + "P" + std::to_string(pid) + "Q" +
         std::to_string(counter) + "." + maildir_host(host);
}

std::string maildir_name(const Message& msg, std::string_view host, unsigned long long size) {
  return std::to_string(msg.arrival_sec) + ".M" + std::to_string(msg.arrival_usec) + "Q" + msg.queue_id + "R" +
         std::to_string(msg.recipient_offset) + "." + maildir_host(host) + ",S=" + std::to_string(size);
}

Reply deliver_maildir(const std::string& dir, const MaildirOptions& opt, const Message& msg) {
  auto size = delivered_size(msg);
  if (!size) return Reply::defer("4.3.0", "cannot read queue file", size.error().message);
  if (opt.size_limit != 0 && *size > opt.size_limit) return Reply::bounce("5.2.2", "mailbox full");
  if (auto s = make_maildir(dir); !s) return failure(dir, s.error());

  std::string fresh = dir + "new/" + maildir_name(msg, opt.hostname, *size);
  struct stat st;
  if (::lstat(fresh.c_str(), &st) == 0) {
    // A repeated request: the earlier attempt may have died before its
    // fsync, so do that now.
    Fd done(::open(fresh.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!done || ::fsync(done.get()) < 0) return failure(dir, sys_error("fsync " + fresh));
    return Reply::sent("delivered to maildir");
  }
  // mailbox_size_limit is the whole Maildir (all Maildir++ folders), as a
  // mailbox file is limited as a whole; checked after the repeated-request
  // case, so a completed delivery is never called full.
  if (opt.size_limit != 0) {
    auto used = maildir_usage(dir);
    if (!used) return failure(dir, used.error());
    if (*used + *size > opt.size_limit) return Reply::bounce("5.2.2", "mailbox full");
  }

  std::string tmp;
  Fd fd;
  // The counter makes tmp names unique within this process; a collision
  // means a clock step or a reused pid, so try the next counter value.
  for (unsigned long q = opt.counter; q < opt.counter + 8 && !fd; ++q) {
    timeval now;
    ::gettimeofday(&now, nullptr);
    tmp = dir + "tmp/" + maildir_tmp_name(now, ::getpid(), q, opt.hostname);
    fd.reset(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return failure(dir, sys_error("create " + tmp));
  }
  if (!fd) return failure(dir, Error{"cannot find a unique name in " + dir + "tmp"});

  Status s = write_file(fd.get(), msg, *size);
  bool linked = false;
  if (s) {
    // link, not rename: it never replaces an existing message. EEXIST means
    // a concurrent attempt of this same delivery got there first.
    if (::link(tmp.c_str(), fresh.c_str()) == 0) linked = true;
    else if (errno != EEXIST) s = sys_error("link " + fresh);
  }
  ::unlink(tmp.c_str());
  // One fsync, after the link, makes both the content and the new name
  // durable: the link changed the file's inode (its link count) in the same
  // journal transaction as the new/ entry, and fsync commits that
  // transaction (ext4, XFS and btrfs behave so). It replaces an fsync of
  // the file plus one of new/ — half the disk flushes of a delivery.
  if (s && ::fsync(fd.get()) < 0) s = sys_error("fsync " + fresh);
  if (!s) {
    // qmgr retries a deferred delivery: take back a message that may not
    // be durable, so the retry does not make a duplicate.
    if (linked) ::unlink(fresh.c_str());
    return failure(dir, s.error());
  }
  return Reply::sent("delivered to maildir");
}

}  // namespace buzon::local
