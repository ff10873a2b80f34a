// The deliveries waiting for an agent, one queue per destination, as in
// Postfix's qmgr. take() finds the oldest job whose transport and
// destination both have room without looking at the jobs behind a busy
// destination: with one list, a backlog of N jobs for a destination at its
// concurrency limit cost N lookups at every reply (a quarter of qmgr's CPU
// with 6,000 messages queued for one domain, perf, 2026-11-30).
//
// Job is any type with `dest` (the concurrency key, which implies the
// transport) and `route.transport`. The work per take() grows with the
// destinations skipped because they are at their limit, which are at most
// as many as the deliveries in flight, never with the jobs waiting.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace buzon::qmgr {

template <class Job>
class ReadyQueue {
 public:
  // Whether a delivery may start now for the transport; for the
  // destination (of that transport).
  using TransportRoom = std::function<bool(const std::string& transport)>;
  using DestRoom = std::function<bool(const std::string& transport, const std::string& dest)>;

  bool empty() const { return by_dest_.empty(); }
  size_t size() const { return size_; }

  // A new job, after all others.
  void push_back(Job job) { add(std::move(job), next_back_++, false); }
  // A job that could not start after all: before all others again.
  void push_front(Job job) { add(std::move(job), next_front_--, true); }

  // Removes and returns the oldest job whose transport and destination
  // have room; nullopt when every waiting job's transport or destination
  // is at its limit.
  std::optional<Job> take(const TransportRoom& transport_room, const DestRoom& dest_room) {
    const Head* best = nullptr;
    for (auto& [transport, heads] : heads_) {
      if (!transport_room(transport)) continue;
      for (const Head& h : heads) {
        if (best && h.first > best->first) break;  // older ones elsewhere
        if (!dest_room(transport, h.second)) continue;
        best = &h;
        break;
      }
    }
    if (!best) return std::nullopt;
    std::string dest = best->second;  // best points into heads_, changed below
    auto q = by_dest_.find(dest);
    Job job = std::move(q->second.front().second);
    const std::string transport = job.route.transport;
    std::set<Head>& heads = heads_[transport];
    heads.erase(Head{q->second.front().first, dest});
    q->second.pop_front();
    --size_;
    if (q->second.empty()) {
      by_dest_.erase(q);
      if (heads.empty()) heads_.erase(transport);
    } else {
      heads.insert(Head{q->second.front().first, dest});
    }
    return job;
  }

  // Every waiting job, in no particular order; then clear() (qmgr stop).
  void for_each(const std::function<void(Job&)>& fn) {
    for (auto& [dest, q] : by_dest_)
      for (auto& e : q) fn(e.second);
  }
  void clear() {
    by_dest_.clear();
    heads_.clear();
    size_ = 0;
  }

 private:
  using Seq = int64_t;                       // smaller is older
  using Head = std::pair<Seq, std::string>;  // a destination's oldest job

  void add(Job job, Seq seq, bool front) {
    std::string dest = job.dest;
    std::set<Head>& heads = heads_[job.route.transport];
    auto& q = by_dest_[dest];
    if (!q.empty()) heads.erase(Head{q.front().first, dest});
    if (front) q.emplace_front(seq, std::move(job));
    else q.emplace_back(seq, std::move(job));
    heads.insert(Head{q.front().first, dest});
    ++size_;
  }

  std::map<std::string, std::deque<std::pair<Seq, Job>>> by_dest_;
  std::map<std::string, std::set<Head>> heads_;  // per transport, oldest first
  Seq next_back_ = 0, next_front_ = -1;
  size_t size_ = 0;
};

}  // namespace buzon::qmgr
