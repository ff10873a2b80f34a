#include "qmgr/journal_keeper.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "lib/file/file.h"
#include "lib/log/log.h"
#include "lib/queue/queue.h"
#include "qmgr/queue_dirs.h"

namespace buzon::qmgr {
namespace {

using queue::JournalRecord;
using queue::JournalSegment;

// Where a message's file can be while it is in the queue, most likely first.
constexpr const char* kLiveDirs[] = {"active", "incoming", "deferred", "hold"};

struct Found {
  Fd fd;
  std::string path;
};

Found find_file(const std::string& qdir, const std::string& id) {
  for (const char* d : kLiveDirs) {
    std::string path = qdir + "/" + d + "/" + id;
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd) return {std::move(fd), path};
  }
  return {};
}

Result<std::string> read_all(int fd, size_t max) {
  struct stat st{};
  if (::fstat(fd, &st) < 0) return sys_error("fstat queue file");
  if (static_cast<uint64_t>(st.st_size) > max) return Error{"queue file too long"};
  std::string out(static_cast<size_t>(st.st_size), '\0');
  if (auto s = file::pread_exact(fd, out.data(), out.size(), 0); !s) return s.error();
  return out;
}

// The file as smtpd wrote it, give or take recipients qmgr marked done
// since (an 'R' type byte overwritten with 'X'), or a file qmgr wrote anew
// with the recipients' virtual aliases expanded (fsync'ed when written).
bool still_good(const std::string& file, const std::string& record) {
  if (file.size() == record.size()) {
    // A type byte starts a line of the envelope, which ends at the M record.
    size_t envelope = record.find("\nM0:\n");
    auto marked_done = [&](size_t i) {
      return record[i] == 'R' && file[i] == 'X' && i < envelope && i > 0 && record[i - 1] == '\n';
    };
    bool same = true;
    for (size_t i = 0; same && i < file.size(); ++i) same = file[i] == record[i] || marked_done(i);
    if (same) return true;
  }
  return file.find(":virtual_alias_expanded=yes\n") != std::string::npos &&
         file.size() >= queue::kEndRecordSize && file.compare(file.size() - queue::kEndRecordSize, 4, "E20:") == 0;
}

// Writes content as target, durably: tmp/ID, fsync, rename, fsync of the
// directory.
Status restore(const std::string& qdir, const std::string& id, const std::string& content, const std::string& target) {
  std::string tmp = qdir + "/tmp/" + id;
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return sys_error("create " + tmp);
  if (auto s = file::write_all(fd.get(), content); !s) return s;
  if (::fsync(fd.get()) < 0) return sys_error("fsync " + tmp);
  if (::rename(tmp.c_str(), target.c_str()) < 0) return sys_error("rename " + tmp + " to " + target);
  return file::fsync_dir(file::dirname(target));
}

// A segment from another boot: restores what its records say the queue
// holds.
Status recover(const std::string& qdir, int fd, const std::string& name, const JournalSegment& seg, size_t& restored) {
  size_t here = 0;
  for (const JournalRecord& r : seg.records) {
    auto content = queue::read_content(fd, r);
    if (!content) {
      log::warning("queue journal " + name + ": " + content.error().message +
                   "; the records after it were never acknowledged");
      break;
    }
    Found f = find_file(qdir, r.id);
    std::string why = "no queue file";
    if (f.fd) {
      auto have = read_all(f.fd.get(), queue::kRecordContentMax * 4);
      if (have && still_good(*have, *content)) {
        if (::fsync(f.fd.get()) < 0) return sys_error("fsync " + f.path);
        continue;
      }
      why = "queue file damaged";
    }
    std::string target = f.fd ? f.path : qdir + "/incoming/" + r.id;
    if (auto s = restore(qdir, r.id, *content, target); !s) return s;
    log::info(r.id + ": restored from the queue journal (" + why + ")");
    ++here;
  }
  log::warning("queue journal " + name + " was written before a crash or reboot: " +
               std::to_string(seg.records.size()) + " messages, " + std::to_string(here) + " queue files restored");
  restored += here;
  return {};
}

// A segment of this boot: its messages' files are whole in the page cache;
// those still queued are made durable on their own.
Status make_durable(const std::string& qdir, const JournalSegment& seg) {
  std::vector<Found> live;
  for (const JournalRecord& r : seg.records)
    if (Found f = find_file(qdir, r.id); f.fd) live.push_back(std::move(f));
  if (live.size() > kFsyncEachMax) {
    if (::syncfs(live.front().fd.get()) < 0) return sys_error("syncfs " + qdir);
    return {};
  }
  for (const Found& f : live)
    if (::fsync(f.fd.get()) < 0) return sys_error("fsync " + f.path);
  return {};
}

}  // namespace

SweepResult sweep_journal(const std::string& queue_dir, const queue::BootId& boot) {
  SweepResult res;
  std::string dir = queue_dir + "/" + queue::kJournalDir;
  // Segments are named by queue ID, as queue files: listed the same way.
  // No journal/ (or an unreadable one): nothing to sweep.
  auto names = list_queue(queue_dir, queue::kJournalDir);
  if (!names) return res;
  for (const std::string& name : *names) {
    std::string path = dir + "/" + name;
    Fd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
    struct stat st{};
    // Held: an smtpd writes it. Unlinked already: nothing to do.
    if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) < 0 || ::fstat(fd.get(), &st) < 0 || st.st_nlink == 0) continue;
    if (!S_ISREG(st.st_mode)) continue;
    auto seg = queue::read_segment(fd.get());
    if (!seg && seg.error().sys_errno != 0) {
      log::warning("queue journal " + name + ": " + seg.error().message);
      continue;
    }
    Status done;
    // No header: its writer died before the first record (or we locked a
    // new segment before its smtpd did, which then takes another name).
    if (seg && seg->boot != boot) done = recover(queue_dir, fd.get(), name, *seg, res.restored);
    else if (seg) done = make_durable(queue_dir, *seg);
    if (!done) {
      log::warning("queue journal " + name + ": " + done.error().message + "; trying again later");
      continue;
    }
    if (::unlink(path.c_str()) < 0) {
      log::warning(sys_error("unlink " + path).message);
      continue;
    }
    ++res.retired;
  }
  if (res.retired > 0)
    if (auto s = file::fsync_dir(dir); !s) log::warning(s.error().message);
  return res;
}

JournalKeeper::JournalKeeper(event::Loop& loop, std::string queue_dir)
    : queue_dir_(std::move(queue_dir)), timer_(loop, -1, 0, [this](short) {
        sweep_journal(queue_dir_, boot_);
        timer_.add(kSweepInterval);
      }) {}

void JournalKeeper::start() {
  auto boot = queue::current_boot_id();
  if (!boot) {
    // Without it, a segment of this boot could not be told from one that
    // lived through a crash; smtpd cannot write segments either.
    log::warning("queue journal: " + boot.error().message + "; segments left as they are");
    return;
  }
  boot_ = *boot;
  sweep_journal(queue_dir_, boot_);
  timer_.add(kSweepInterval);
}

}  // namespace buzon::qmgr
