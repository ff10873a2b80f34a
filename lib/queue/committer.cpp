#include "lib/queue/committer.h"

#include <cstring>

namespace buzon::queue {

Committer::Committer(event::Loop& loop, Published on_published)
    : loop_(loop), on_published_(std::move(on_published)), fsync_(loop) {}

Committer::Ticket Committer::commit(Writer&& w, Done done) {
  Ticket t = next_ticket_++;
  pending_.emplace(t, std::move(done));
  if (Status st = w.publish(); !st) {
    // Writer's destructor removes the file or empties its spare.
    loop_.defer([this, t, st] { finish(t, st); });
    return t;
  }
  if (on_published_) on_published_(w.id());
  std::string id = w.id();
  fsync_.sync(w.release_fd(), [this, t, id](int err) {
    if (err == 0) return finish(t, {});
    finish(t, Error{"fsync queue file " + id + ": " + std::strerror(err), err});
  });
  return t;
}

void Committer::finish(Ticket t, Status st) {
  auto it = pending_.find(t);
  if (it == pending_.end()) return;  // forgotten
  Done cb = std::move(it->second);
  pending_.erase(it);
  cb(std::move(st));  // may call commit() or forget(): pending_ is not iterated
}

}  // namespace buzon::queue
