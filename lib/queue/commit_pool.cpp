#include "lib/queue/commit_pool.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace buzon::queue {

CommitPool::CommitPool(event::Loop& loop, unsigned threads, Published on_published)
    : loop_(loop), on_published_(std::move(on_published)), wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  wake_ev_ = std::make_unique<event::Event>(loop_, wake_.get(), EV_READ | EV_PERSIST, [this](short) { on_finished(); });
  wake_ev_->add();
  for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
}

CommitPool::~CommitPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    waiting_.clear();  // never started: each Writer removes its tmp/ file
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

CommitPool::Ticket CommitPool::commit(Writer&& w, Done done) {
  Ticket t = next_ticket_++;
  {
    std::lock_guard lock(mu_);
    waiting_.push_back(std::make_unique<Job>(Job{t, std::move(w), {}}));
  }
  pending_.emplace(t, std::move(done));
  work_cv_.notify_one();
  return t;
}

void CommitPool::work() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping
      job = std::move(waiting_.front());
      waiting_.pop_front();
    }
    job->status = job->writer.publish();
    if (job->status) {
      if (on_published_) on_published_(job->writer.id());
      job->status = job->writer.sync();
    }
    finish(std::move(job));
  }
}

void CommitPool::finish(std::unique_ptr<Job> job) {
  {
    std::lock_guard lock(mu_);
    finished_.push_back(std::move(job));
  }
  uint64_t one = 1;
  ssize_t n = ::write(wake_.get(), &one, sizeof one);
  (void)n;  // EAGAIN only when the counter is saturated: the loop is already woken
}

void CommitPool::on_finished() {
  uint64_t count;
  ssize_t n = ::read(wake_.get(), &count, sizeof count);
  (void)n;
  std::vector<std::unique_ptr<Job>> done;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
  }
  for (auto& j : done) {
    auto it = pending_.find(j->ticket);
    if (it == pending_.end()) continue;  // forgotten
    Done cb = std::move(it->second);
    pending_.erase(it);
    cb(j->status);  // may call commit() or forget(): pending_ is not iterated
  }
}

}  // namespace buzon::queue
