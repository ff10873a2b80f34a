#include "lib/queue/journal_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "lib/file/file.h"
#include "lib/log/log.h"
#include "lib/queue/journal.h"
#include "lib/queue/queue.h"

namespace buzon::queue {
namespace {

constexpr size_t kKeptBuffer = 64 << 10;

Status pwritev_all(int fd, iovec* iov, int n, uint64_t offset) {
  while (n > 0) {
    ssize_t w = ::pwritev(fd, iov, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return sys_error("write queue journal");
    if (w == 0) return Error{"write queue journal: no progress"};
    offset += static_cast<uint64_t>(w);
    auto left = static_cast<size_t>(w);
    for (; n > 0 && left >= iov->iov_len; ++iov, --n) left -= iov->iov_len;
    if (n > 0) {  // stopped inside *iov
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return {};
}

}  // namespace

JournalWriter::JournalWriter(event::Loop& loop, std::string queue_dir)
    : dir_(std::move(queue_dir) + "/" + kJournalDir),
      age_timer_(loop, -1, 0, [this](short) { seal(); }),
      fsync_(loop) {
  if (auto boot = current_boot_id()) boot_ = *boot;
  else log::warning("queue journal off: " + boot.error().message + "; each queue file is fsync'ed instead");
}

JournalWriter::~JournalWriter() = default;

Status JournalWriter::open_segment() {
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string path = dir_ + "/" + new_id();
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno == EEXIST) continue;
    if (!fd) return sys_error("create " + path);
    // qmgr removes files nobody holds; if it got this one before us, it
    // may have removed it already: records there would be lost to it.
    struct stat st{};
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) < 0 || ::fstat(fd.get(), &st) < 0 || st.st_nlink == 0) continue;
    // Blocks allocated now need no allocation at each fdatasync; where the
    // file system cannot, the file grows as it is written.
    (void)::fallocate(fd.get(), 0, 0, kSegmentSize);
    auto seg = std::make_unique<Segment>();
    if (::getrandom(&seg->serial, sizeof seg->serial, 0) != sizeof seg->serial) return sys_error("getrandom");
    std::string head = encode_segment_header(seg->serial, *boot_);
    iovec iov{head.data(), head.size()};
    if (auto st2 = pwritev_all(fd.get(), &iov, 1, 0); !st2) return st2;
    seg->fd = std::move(fd);
    seg->end = kSegmentHeaderSize;
    current_ = std::move(seg);
    return {};
  }
  return Error{"create a queue journal segment in " + dir_ + ": no free name"};
}

Status JournalWriter::append(int fd, const std::string& id, Done done) {
  if (!boot_) return Error{"queue journal off"};
  struct stat st{};
  if (::fstat(fd, &st) < 0) return sys_error("fstat queue file " + id);
  auto size = static_cast<uint64_t>(st.st_size);
  if (size > kRecordContentMax) return Error{"queue file " + id + " is too big for the journal"};
  if (current_ && current_->end > kSegmentHeaderSize && current_->end + kRecordHeaderSize + size > kSegmentSize) seal();
  if (!current_)
    if (auto s = open_segment(); !s) return s;
  // Up to kKeptBuffer bytes reuse one buffer; a bigger copy is freed after.
  std::string big;
  std::string& buf = size <= kKeptBuffer ? buf_ : big;
  buf.resize(size);
  if (auto s = file::pread_exact(fd, buf.data(), size, 0); !s)
    return Error{"read queue file " + id + ": " + s.error().message, s.error().sys_errno};
  std::string head = encode_record_header(current_->serial, id, size, crc32_of(buf));
  iovec iov[2] = {{head.data(), head.size()}, {buf.data(), buf.size()}};
  // A record written only in part is overwritten by the next one: end
  // moves only past a whole record.
  if (auto s = pwritev_all(current_->fd.get(), iov, 2, current_->end); !s) return s;
  if (current_->end == kSegmentHeaderSize) age_timer_.add(kSegmentAge);
  current_->end += head.size() + size;
  current_->waiting.push_back(std::move(done));
  if (!current_->syncing) start_sync(current_.get());
  return {};
}

void JournalWriter::seal() {
  age_timer_.del();
  if (!current_) return;
  Segment* s = current_.get();
  sealed_.push_back(std::move(current_));
  close_if_done(s);
}

void JournalWriter::start_sync(Segment* s) {
  s->covered = std::move(s->waiting);
  s->waiting.clear();
  s->syncing = true;
  fsync_.datasync(s->fd.get(), [this, s](int err) { synced(s, err); });
}

void JournalWriter::synced(Segment* s, int err) {
  s->syncing = false;
  std::vector<Done> batch = std::move(s->covered);
  s->covered.clear();
  if (!s->waiting.empty()) start_sync(s);
  // After a write error the next message gets a new segment; the records
  // waiting here have their own fdatasync, which reports for them.
  if (err != 0 && s == current_.get()) seal();  // s may be gone after this
  else close_if_done(s);                        // here too
  for (auto& d : batch) d(err);
}

void JournalWriter::close_if_done(Segment* s) {
  if (s->syncing || !s->waiting.empty()) return;
  // Closing releases the flock: qmgr may retire the segment from now on.
  sealed_.remove_if([s](const std::unique_ptr<Segment>& p) { return p.get() == s; });
}

}  // namespace buzon::queue
