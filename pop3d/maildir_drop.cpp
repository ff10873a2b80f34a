#include "pop3d/maildir_drop.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

namespace buzon::pop3d {

Result<MaildirDrop> MaildirDrop::open(const std::string& dir) {
  // Only the last component is created: a missing home is a setup error,
  // not something to paper over.
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return sys_error("mkdir " + dir);
  struct stat st;
  if (::lstat(dir.c_str(), &st) < 0) return sys_error("lstat " + dir);
  if (!S_ISDIR(st.st_mode)) return Error{dir + " is not a directory", ENOTDIR};
  std::string lock_path = dir + "/" + kMaildirSessionLock;
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock) return sys_error("open " + lock_path);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK) return Error{dir + ": another POP3 session holds " + kMaildirSessionLock, EAGAIN};
    return sys_error("flock " + lock_path);
  }
  auto folder = mailbox::Maildir::open(dir);
  if (!folder) return folder.error();
  MaildirDrop drop(std::move(*folder));
  drop.session_lock_ = std::move(lock);
  return drop;
}

std::string MaildirDrop::uidl(size_t i) const {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%08x%08x", folder_.messages()[i].uid, folder_.uidvalidity());
  return buf;
}

Result<MessageRange> MaildirDrop::open(size_t i) {
  auto fd = folder_.open_message(i);
  if (!fd) return fd.error();
  return MessageRange{std::move(*fd)};
}

Status MaildirDrop::commit(const std::vector<bool>& deleted, const std::vector<bool>& retrieved) {
  // Every change is tried even after a failure, so one bad file does not
  // keep the others from being deleted; the first error is reported.
  Status result;
  for (size_t i = 0; i < count(); ++i) {
    Status s;
    if (deleted[i]) {
      s = folder_.expunge(i);
    } else if (retrieved[i] && folder_.messages()[i].flags.find('S') == std::string::npos) {
      s = folder_.set_flags(i, folder_.messages()[i].flags + "S");
    }
    if (!s && result) result = s;
  }
  return result;
}

}  // namespace buzon::pop3d
