#include "local/maildir.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  // Maildir++: a sub-folder (Maildir/.Lists/) is marked with an empty
  // "maildirfolder" file, which IMAP servers and maildrop look for.
  if (maildir_folder_root(dir) != dir) {
    std::string marker = dir + "maildirfolder";
    Fd fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno != EEXIST) return sys_error("create " + marker);
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
  return {};
}

// A new file in tmp/ with a name of its own (Maildir specification).
Result<Fd> create_tmp(const std::string& dir, const MaildirOptions& opt, std::string& tmp) {
  // The counter makes tmp names unique within this process; a collision
  // means a clock step or a reused pid, so try the next counter value.
  for (unsigned long q = opt.counter; q < opt.counter + 8; ++q) {
    timeval now;
    ::gettimeofday(&now, nullptr);
    tmp = dir + "tmp/" + maildir_tmp_name(now, ::getpid(), q, opt.hostname);
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd) return fd;
    if (errno != EEXIST) return sys_error("create " + tmp);
  }
  return Error{"cannot find a unique name in " + dir + "tmp"};
}

// tmp/ -> new/ without ever replacing a message: rename(2) with
// RENAME_NOREPLACE, one system call; link(2) and unlink(2) where the file
// system cannot (EINVAL: NFS, some FUSE). EEXIST means an earlier or a
// concurrent attempt of this same delivery got there first. Returns 0, or
// -1 with errno set, as rename(2).
int move_noreplace(const std::string& tmp, const std::string& fresh) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, fresh.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL) return -1;
  if (::link(tmp.c_str(), fresh.c_str()) < 0) return -1;
  ::unlink(tmp.c_str());
  return 0;
}

}  // namespace

std::string maildir_folder_root(const std::string& dir) {
  // ".../Maildir/.Folder/" -> ".../Maildir/"
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  size_t slash = d.rfind('/');
  if (slash == std::string::npos || slash + 1 >= d.size() || d[slash + 1] != '.') return dir;
  std::string parent = d.substr(0, slash + 1);
  return parent;
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
  // Postfix's mailbox_size_limit for a Maildir: no message file larger
  // than the limit. A limit on the whole Maildir would need a directory
  // scan per delivery, growing with the mailbox; whole-mailbox quotas
  // belong to the access side (Dovecot's quota plugin does the same).
  if (opt.size_limit != 0 && *size > opt.size_limit) return Reply::bounce("5.2.2", "mailbox full");

  std::string fresh = dir + "new/" + maildir_name(msg, opt.hostname, *size);
  // The Maildir is made on the first delivery that finds it missing, not
  // looked at on every delivery.
  std::string tmp;
  auto created = create_tmp(dir, opt, tmp);
  if (!created && created.error().sys_errno == ENOENT) {
    if (auto s = make_maildir(dir); !s) return failure(dir, s.error());
    created = create_tmp(dir, opt, tmp);
  }
  if (!created) return failure(dir, created.error());
  Fd fd = std::move(*created);

  Status s = write_file(fd.get(), msg, *size);
  bool moved = false;
  if (s) {
    int r = move_noreplace(tmp, fresh);
    if (r < 0 && errno == ENOENT && make_maildir(dir)) r = move_noreplace(tmp, fresh);  // new/ was missing
    if (r == 0) moved = true;
    else if (errno == EEXIST) {
      // A repeated request (found here, not by a lookup before every
      // delivery): the earlier attempt may have died before its fsync, so
      // do that now.
      ::unlink(tmp.c_str());
      Fd done(::open(fresh.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!done || ::fsync(done.get()) < 0) return failure(dir, sys_error("fsync " + fresh));
      return Reply::sent("delivered to maildir");
    } else {
      s = sys_error("rename " + tmp + " to " + fresh);
    }
  }
  if (!moved) ::unlink(tmp.c_str());
  // One fsync, after the rename, makes both the content and the new name
  // durable: the rename changed the file's inode (its ctime) in the same
  // journal transaction as the new/ entry, and fsync commits that
  // transaction (ext4, XFS and btrfs behave so); without a journal, ext4
  // writes the parent of a newly named inode, which after a rename is
  // new/. It replaces an fsync of the file plus one of new/, half the disk
  // flushes of a delivery.
  if (s && moved && opt.unsynced) {
    opt.unsynced->push_back(UnsyncedFile{std::move(fd), fresh, dir, opt.owner_uid, opt.owner_gid});
    return Reply::sent("delivered to maildir");
  }
  if (s && ::fsync(fd.get()) < 0) s = sys_error("fsync " + fresh);
  if (!s) {
    // qmgr retries a deferred delivery: take back a message that may not
    // be durable, so the retry does not make a duplicate.
    if (moved) ::unlink(fresh.c_str());
    return failure(dir, s.error());
  }
  return Reply::sent("delivered to maildir");
}

Reply maildir_sync_failed(const UnsyncedFile& f, int err) {
  ::unlink(f.path.c_str());
  return failure(f.dir, Error{"fsync " + f.path + ": " + std::strerror(err), err});
}

}  // namespace buzon::local
