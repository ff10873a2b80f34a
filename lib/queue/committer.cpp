#include "lib/queue/committer.h"

#include <cstring>

#include "lib/log/log.h"

namespace buzon::queue {

Committer::Committer(event::Loop& loop, Published on_published, std::string journal_queue_dir)
    : loop_(loop), on_published_(std::move(on_published)), fsync_(loop) {
  if (!journal_queue_dir.empty()) journal_ = std::make_unique<JournalWriter>(loop, std::move(journal_queue_dir));
}

Committer::Ticket Committer::commit(Writer&& w, Done done) {
  Ticket t = next_ticket_++;
  pending_.emplace(t, std::move(done));
  if (Status st = w.publish(); !st) {
    // Writer's destructor removes the file or empties its spare.
    loop_.defer([this, t, st] { finish(t, st); });
    return t;
  }
  if (on_published_) on_published_(w.id());
  Fd fd = w.release_fd();
  if (journal_) {
    auto appended = journal_->append(fd.get(), w.id(), [this, t, id = w.id()](int err) {
      if (err == 0) return finish(t, {});
      finish(t, Error{"fdatasync queue journal for " + id + ": " + std::strerror(err), err});
    });
    if (appended) return t;
    // Too big for the journal, or the journal failed: the file's own fsync
    // is as durable, only dearer.
    if (appended.error().sys_errno != 0) log::warning(appended.error().message);
  }
  fsync_file(t, std::move(fd), w.id());
  return t;
}

void Committer::fsync_file(Ticket t, Fd fd, const std::string& id) {
  fsync_.sync(std::move(fd), [this, t, id](int err) {
    if (err == 0) return finish(t, {});
    finish(t, Error{"fsync queue file " + id + ": " + std::strerror(err), err});
  });
}

void Committer::finish(Ticket t, Status st) {
  auto it = pending_.find(t);
  if (it == pending_.end()) return;  // forgotten
  Done cb = std::move(it->second);
  pending_.erase(it);
  cb(std::move(st));  // may call commit() or forget(): pending_ is not iterated
}

}  // namespace buzon::queue
