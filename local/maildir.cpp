#include "local/maildir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/core/fd.h"
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
  return {};
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
  if (::fsync(fd) < 0) return sys_error("fsync");
  return {};
}

}  // namespace

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
    // A repeated request: the earlier attempt may have died before making
    // its directory entry durable, so do that now.
    if (auto s = file::fsync_dir(dir + "new"); !s) return failure(dir, s.error());
    return Reply::sent("delivered to maildir");
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
  if (s) s = file::fsync_dir(dir + "new");
  if (!s) {
    // qmgr retries a deferred delivery: take back a message whose directory
    // entry may not be durable, so the retry does not make a duplicate.
    if (linked) ::unlink(fresh.c_str());
    return failure(dir, s.error());
  }
  return Reply::sent("delivered to maildir");
}

}  // namespace buzon::local
