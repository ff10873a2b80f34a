#include "pop3d/mbox_drop.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>

#include "lib/file/file.h"

namespace buzon::pop3d {
namespace {

// Copies [from, from + len) to to (to <= from) in chunks, front to back.
Status move_down(int fd, off_t from, off_t to, off_t len) {
  std::string buf(1 << 16, '\0');
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<off_t>(len, static_cast<off_t>(buf.size())));
    ssize_t got;
    do got = ::pread(fd, buf.data(), n, from);
    while (got < 0 && errno == EINTR);
    if (got <= 0) return got < 0 ? sys_error("read mbox") : Error{"mbox shrank during rewrite"};
    ssize_t put;
    do put = ::pwrite(fd, buf.data(), static_cast<size_t>(got), to);
    while (put < 0 && errno == EINTR);
    if (put != got) return sys_error("write mbox");
    from += got;
    to += got;
    len -= got;
  }
  return {};
}

}  // namespace

Result<MboxDrop> MboxDrop::open(const std::string& path, const mailbox::LockPolicy& policy) {
  MboxDrop drop;
  drop.path_ = path;
  Fd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT) return drop;  // nothing delivered yet
    return sys_error("open " + path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + path);
  if (!S_ISREG(st.st_mode) || st.st_nlink != 1) return Error{path + " is not a regular file with one link"};
  auto dot = mailbox::DotLock::acquire(path, policy);
  if (!dot) return dot.error();
  if (auto s = mailbox::lock_file(fd.get(), mailbox::KernelLock::Fcntl, policy); !s) return s.error();
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + path);
  auto messages = mailbox::scan_mbox(fd.get(), st.st_size);
  if (!messages) return Error{path + ": " + messages.error().message};
  drop.fd_ = std::move(fd);
  drop.dot_ = std::move(*dot);
  drop.scanned_size_ = st.st_size;
  drop.messages_ = std::move(*messages);
  std::map<std::string, unsigned> seen;
  for (const auto& m : drop.messages_) {
    unsigned n = seen[m.digest]++;
    drop.uidls_.push_back(n == 0 ? m.digest : m.digest + "." + std::to_string(n));
  }
  return drop;
}

Result<MessageRange> MboxDrop::open(size_t i) {
  Fd fd(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
  if (!fd) return sys_error("dup " + path_);
  return MessageRange{std::move(fd), messages_[i].start, messages_[i].end};
}

Status MboxDrop::commit(const std::vector<bool>& deleted, const std::vector<bool>&) {
  size_t first = 0;
  while (first < messages_.size() && !deleted[first]) ++first;
  if (first == messages_.size()) return {};
  struct stat st;
  if (::fstat(fd_.get(), &st) < 0) return sys_error("fstat " + path_);
  // Each message owns the bytes from its From_ line to the next one; what
  // was appended after login (by a writer that ignored our locks) is kept.
  off_t to = messages_[first].from_line;
  for (size_t i = first; i < messages_.size(); ++i) {
    off_t begin = messages_[i].from_line;
    off_t end = i + 1 < messages_.size() ? messages_[i + 1].from_line : scanned_size_;
    if (deleted[i]) continue;
    if (auto s = move_down(fd_.get(), begin, to, end - begin); !s) return s;
    to += end - begin;
  }
  if (auto s = move_down(fd_.get(), scanned_size_, to, st.st_size - scanned_size_); !s) return s;
  to += st.st_size - scanned_size_;
  if (::fsync(fd_.get()) < 0) return sys_error("fsync " + path_);
  if (::ftruncate(fd_.get(), to) < 0) return sys_error("truncate " + path_);
  if (::fsync(fd_.get()) < 0) return sys_error("fsync " + path_);
  return {};
}

}  // namespace buzon::pop3d
