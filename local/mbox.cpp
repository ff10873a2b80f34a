#include "local/mbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/core/fd.h"
#include "local/from_quote.h"
#include "local/output.h"

namespace buzon::local {

Status set_lock_methods(MboxOptions& opt, const std::vector<std::string>& methods, std::string_view param) {
  opt.fcntl_lock = opt.flock_lock = opt.dotlock = false;
  for (const auto& m : methods) {
    if (m == "fcntl") opt.fcntl_lock = true;
    else if (m == "flock") opt.flock_lock = true;
    else if (m == "dotlock") opt.dotlock = true;
    else return Error{std::string(param) + ": unknown locking method: " + m};
  }
  return {};
}
namespace {

// RFC 3463 code for a failed mailbox update, by errno.
Reply write_failure(const std::string& path, const Error& e) {
  std::string why = "cannot update mailbox " + path + ": " + e.message;
  switch (e.sys_errno) {
    case EFBIG: return Reply::bounce("5.2.2", "mailbox full");
    case EDQUOT: return Reply::defer("4.2.2", why);
    case ENOSPC: return Reply::defer("4.3.1", why);
    default: return Reply::defer("4.2.0", why);
  }
}

// Opens (or creates) the mailbox for appending, refusing anything but a
// plain file of ours with a single link.
Result<Fd> open_mailbox(const std::string& path) {
  // O_NONBLOCK: a FIFO planted in place of the mailbox must not hang local.
  constexpr int kFlags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
  Fd fd;
  for (int tries = 0; tries < 2 && !fd; ++tries) {
    fd.reset(::open(path.c_str(), kFlags));
    if (fd) break;
    if (errno == ELOOP) return Error{"mailbox " + path + " is a symbolic link", ELOOP};
    if (errno != ENOENT) return sys_error("open mailbox " + path);
    fd.reset(::open(path.c_str(), kFlags | O_CREAT | O_EXCL, 0600));
    if (!fd && errno != EEXIST) return sys_error("create mailbox " + path);
  }
  if (!fd) return sys_error("open mailbox " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat mailbox " + path);
  if (!S_ISREG(st.st_mode)) return Error{"mailbox " + path + " is not a regular file"};
  if (st.st_nlink != 1) return Error{"mailbox " + path + " has more than one link"};
  if (st.st_uid != ::geteuid()) return Error{"mailbox " + path + " is owned by uid " + std::to_string(st.st_uid)};
  int fl = ::fcntl(fd.get(), F_GETFL);
  if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) < 0) return sys_error("fcntl mailbox " + path);
  return fd;
}

Status write_message(Output& out, const Message& msg, time_t now) {
  if (auto s = out.write(from_line(msg.sender, now)); !s) return s;
  if (auto s = out.write(delivery_headers(msg)); !s) return s;
  FromQuoter quoter;
  std::string quoted;
  auto st = for_each_chunk(msg, [&](std::string_view chunk) -> Status {
    quoted.clear();
    quoter.feed(chunk, quoted);
    return out.write(quoted);
  });
  if (!st) return st;
  quoted.clear();
  quoter.finish(quoted);
  // Every message ends with a complete line, then the empty line that
  // separates it from the next From line.
  if (!quoter.at_line_start() || !quoted.empty()) quoted += '\n';
  quoted += '\n';
  if (auto s = out.write(quoted); !s) return s;
  return out.flush();
}

}  // namespace

std::string from_line(std::string_view sender, time_t when) {
  std::string who = sender.empty() ? std::string("MAILER-DAEMON") : std::string(sender);
  for (char& c : who)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) c = '_';
  struct tm tm;
  ::localtime_r(&when, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);
  return "From " + who + " " + date + "\n";
}

Reply deliver_mbox(const std::string& path, const MboxOptions& opt, const Message& msg, time_t now) {
  std::string warning;
  mailbox::DotLock dot;
  if (opt.dotlock) {
    auto l = mailbox::DotLock::acquire(path, opt.lock);
    if (!l) return Reply::defer("4.2.0", "cannot update mailbox " + path + ": " + l.error().message);
    dot = std::move(*l);
    warning = dot.note();
  }
  auto fd = open_mailbox(path);
  if (!fd) {
    Reply r = write_failure(path, fd.error());
    // An unsafe mailbox is an attack or an admin mistake: say so in the log.
    if (fd.error().sys_errno == 0 || fd.error().sys_errno == ELOOP) r.warning = fd.error().message;
    return r;
  }
  if (opt.fcntl_lock)
    if (auto s = mailbox::lock_file(fd->get(), mailbox::KernelLock::Fcntl, opt.lock); !s)
      return Reply::defer("4.2.0", "cannot update mailbox " + path + ": " + s.error().message);
  if (opt.flock_lock)
    if (auto s = mailbox::lock_file(fd->get(), mailbox::KernelLock::Flock, opt.lock); !s)
      return Reply::defer("4.2.0", "cannot update mailbox " + path + ": " + s.error().message);
  // The size is read under the lock: another writer may have appended
  // between open and lock.
  struct stat st;
  if (::fstat(fd->get(), &st) < 0) return write_failure(path, sys_error("fstat"));
  auto start = static_cast<unsigned long long>(st.st_size);
  Output out(fd->get(), start, opt.size_limit);
  Status s = write_message(out, msg, now);
  if (s && ::fsync(fd->get()) < 0) s = sys_error("fsync");
  if (!s) {
    // All or nothing: a half-written message would corrupt the mailbox for
    // every reader. Nothing is left if truncation fails too; say so.
    if (::ftruncate(fd->get(), static_cast<off_t>(start)) < 0 || ::fsync(fd->get()) < 0)
      warning = "cannot truncate " + path + " after failed delivery: " + std::strerror(errno);
    Reply r = out.full() ? Reply::bounce("5.2.2", "mailbox full") : write_failure(path, s.error());
    if (!warning.empty()) r.warning = warning;
    return r;
  }
  Reply r = Reply::sent("delivered to mailbox");
  r.warning = warning;
  return r;
}

}  // namespace buzon::local
