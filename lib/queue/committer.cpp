#include "lib/queue/committer.h"

#include <cstring>
#include <memory>

#include "lib/log/log.h"

namespace buzon::queue {

Committer::Committer(event::Loop& loop, Published on_published, std::string journal_queue_dir)
    : loop_(loop), on_published_(std::move(on_published)), fsync_(loop) {
  if (!journal_queue_dir.empty()) journal_ = std::make_unique<JournalWriter>(loop, std::move(journal_queue_dir));
}

Committer::Ticket Committer::commit(Writer&& w, Done done) {
  Ticket t = next_ticket_++;
  pending_.emplace(t, std::move(done));
  auto fail = [this, t](Status st) {
    // Writer's destructor removes the file or empties its spare.
    loop_.defer([this, t, st] { finish(t, st); });
    return t;
  };
  if (Status st = w.finish(); !st) return fail(st);
  // The copy is taken while the file is still in tmp/: once in incoming/,
  // qmgr may deliver it and recycle its file for another message.
  auto published = std::make_shared<bool>(false);
  Status journaled = Error{"no journal"};
  if (journal_) {
    journaled = journal_->append(w.fd(), w.id(), [this, t, published, id = w.id()](int err) {
      if (!*published) return;  // failed below; its done is on its way
      if (err == 0) return finish(t, {});
      finish(t, Error{"fdatasync queue journal for " + id + ": " + std::strerror(err), err});
    });
    // Too big for the journal, or the journal failed: the file's own fsync
    // is as durable, only dearer.
    if (!journaled && journaled.error().sys_errno != 0) log::warning(journaled.error().message);
  }
  if (Status st = w.publish(); !st) return fail(st);
  *published = true;
  if (on_published_) on_published_(w.id());
  if (!journaled) fsync_file(t, w.release_fd(), w.id());
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
