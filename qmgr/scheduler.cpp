#include "qmgr/scheduler.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "lib/attr/attr.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"
#include "lib/queue/spare.h"
#include "qmgr/backoff.h"
#include "qmgr/defer_log.h"
#include "qmgr/delivery_log.h"
#include "qmgr/notice.h"
#include "qmgr/queue_dirs.h"
#include "qmgr/reply_check.h"
#include "qmgr/temp_purge.h"
#include "qmgr/transport.h"
#include "qmgr/virtual_rewrite.h"

namespace buzon::qmgr {
namespace {

// After a full listen queue (EAGAIN from connect), wait this long before
// the next connect: the agents are all busy and master is forking more.
constexpr std::chrono::milliseconds kConnectPause{200};

double now() {
  timeval tv;
  ::gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

struct Scheduler::Msg {
  std::string id;
  queue::Envelope env;
  double activated = 0;
  size_t outstanding = 0;  // jobs queued or in flight
  bool deferred = false;   // a recipient got a temporary failure in this pass
  bool abandoned = false;  // stop() dropped some of its jobs
  bool expired = false;    // a recipient reached the queue lifetime in this pass
  // Outcomes of this pass that need a notice, settled in finalize(): the
  // permanent failures are marked done only after their report is queued.
  std::vector<Outcome> failed, delivered, delayed;
};

Scheduler::Scheduler(event::Loop& loop, Settings s)
    : loop_(loop), s_(std::move(s)), router_(s_.transport), aliases_(s_.aliases) {
  run_timer_ = std::make_unique<event::Event>(loop_, -1, 0, [this](short) {
    (void)purge_stale_temp(s_.queue_dir, static_cast<std::time_t>(now()));
    deferred_wanted_ = incoming_wanted_ = true;
    schedule_scan();
    run_timer_->add(s_.queue_run_delay);
  });
  pause_timer_ = std::make_unique<event::Event>(loop_, -1, 0, [this](short) { kick(); });
}

Scheduler::~Scheduler() = default;

void Scheduler::start() {
  // Files in active/ belong to no one now: a previous qmgr died or was
  // stopped with work left. They are taken over as they are.
  if (auto ids = list_queue(s_.queue_dir, "active"); ids)
    for (const auto& id : *ids) load(id);
  else
    log::warning(ids.error().message);
  (void)purge_stale_temp(s_.queue_dir, static_cast<std::time_t>(now()));
  incoming_wanted_ = deferred_wanted_ = true;
  schedule_scan();
  run_timer_->add(s_.queue_run_delay);
}

void Scheduler::wakeup() {
  incoming_wanted_ = true;
  schedule_scan();
}

void Scheduler::wakeup_for(std::string id) {
  if (!incoming_wanted_) {
    if (named_.size() < kNamedMax) named_.push_back(std::move(id));
    else incoming_wanted_ = true;
  }
  schedule_scan();
}

void Scheduler::flush() {
  flush_wanted_ = incoming_wanted_ = true;
  schedule_scan();
}

void Scheduler::schedule_scan() {
  if (scan_pending_ || stopping_) return;
  scan_pending_ = true;
  loop_.defer([this] { run_scans(); });
}

void Scheduler::run_scans() {
  scan_pending_ = false;
  if (stopping_) return;
  if (flush_wanted_) {
    flush_wanted_ = deferred_wanted_ = false;
    activate_deferred(true);
  }
  if (incoming_wanted_) {
    incoming_wanted_ = false;
    named_.clear();  // the scan finds them
    activate_incoming();
  } else {
    activate_named();
  }
  if (deferred_wanted_) {
    deferred_wanted_ = false;
    activate_deferred(false);
  }
  kick();
}

void Scheduler::activate_incoming() {
  auto ids = list_queue(s_.queue_dir, "incoming");
  if (!ids) return log::warning(ids.error().message);
  backlog_ = false;
  take_incoming(*ids);
}

void Scheduler::activate_named() {
  std::vector<std::string> ids;
  ids.swap(named_);
  take_incoming(ids);
}

void Scheduler::take_incoming(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (!room()) {
      backlog_ = true;  // a scan picks up the rest as soon as a message is retired
      return;
    }
    // Gone already: a scan took it, or an administrator moved it.
    if (auto mv = move_file(s_.queue_dir, "incoming", "active", id); !mv) {
      if (mv.error().sys_errno != ENOENT) log::warning(mv.error().message);
      continue;
    }
    load(id);
  }
}

void Scheduler::activate_deferred(bool all) {
  auto ids = list_queue(s_.queue_dir, "deferred");
  if (!ids) return log::warning(ids.error().message);
  long long t = static_cast<long long>(now());
  for (const auto& id : *ids) {
    if (!room()) {
      deferred_wanted_ = true;  // retried when there is room
      return;
    }
    if (!all) {
      auto when = mtime_of(queue::path(s_.queue_dir, "deferred", id));
      if (!when || *when > t) continue;
    }
    if (auto mv = move_file(s_.queue_dir, "deferred", "active", id); !mv) {
      if (mv.error().sys_errno != ENOENT) log::warning(mv.error().message);
      continue;
    }
    load(id);
  }
}

void Scheduler::load(const std::string& id) {
  if (msgs_.count(id)) return;
  std::string path = queue::path(s_.queue_dir, "active", id);
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) log::warning(sys_error("open " + path).message);
    return;
  }
  auto env = queue::read_envelope(fd.get(), id);
  fd.reset();
  if (env && aliases_.enabled()) {
    // virtual_alias_maps, once per message, before any routing
    // (virtual_rewrite.h); the rewritten file is read again.
    auto rw = rewrite_virtual_aliases(s_.queue_dir, "active", *env, aliases_);
    if (!rw) {
      // As Postfix's cleanup: a table failure or an unreasonable expansion
      // defers the message and says why.
      log::warning(id + ": " + rw.error().message + " -- message deferred");
      (void)set_time(path, static_cast<long long>(now()) + s_.backoff.minimal.count());
      if (auto mv = move_file(s_.queue_dir, "active", "deferred", id); !mv) log::warning(mv.error().message);
      return;
    }
    if (*rw) {
      fd = Fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) return log::warning(sys_error("open " + path).message);
      env = queue::read_envelope(fd.get(), id);
      fd.reset();
    }
  }
  if (!env) {
    if (env.error().message.rfind("corrupt", 0) == 0) {
      // Never delete what may be someone's mail: park it for the admin.
      log::warning(id + ": " + env.error().message + "; moved to corrupt/");
      if (auto mv = move_file(s_.queue_dir, "active", "corrupt", id); !mv) log::warning(mv.error().message);
      return;
    }
    // An I/O error is not the file's fault: retry later.
    log::warning(id + ": " + env.error().message);
    double t = now();
    (void)set_time(path, static_cast<long long>(t) + s_.backoff.minimal.count());
    if (auto mv = move_file(s_.queue_dir, "active", "deferred", id); !mv) log::warning(mv.error().message);
    return;
  }
  auto owned = std::make_unique<Msg>();
  Msg* m = owned.get();
  m->id = id;
  m->env = std::move(*env);
  m->activated = now();
  msgs_.emplace(id, std::move(owned));
  rcpts_in_memory_ += m->env.recipients.size();
  log::info(log::format(id, {{"from", "<" + m->env.sender + ">"},
                             {"size", m->env.content_size},
                             {"nrcpt", static_cast<unsigned long long>(m->env.recipients.size())}}) +
            " (queue active)");

  std::vector<Job> jobs;
  struct Settled {
    Job job;
    int status;
    std::string dsn, reason;
  };
  std::vector<Settled> settled;  // by qmgr itself: error, retry, discard, lookup failures
  const std::string filter = m->env.attr("content_filter");
  for (size_t i = 0; i < m->env.recipients.size(); ++i) {
    if (m->env.recipients[i].done) continue;
    Job j;
    j.msg = m;
    j.rcpt = i;
    const std::string& rcpt = m->env.recipients[i].address;
    auto r = filter.empty() ? router_.route(rcpt) : Result<Route>(router_.filter_route(filter, rcpt));
    if (!r) {
      log::warning(id + ": " + r.error().message);
      settled.push_back({j, 4, "4.3.0", "transport table lookup failure"});
      continue;
    }
    j.route = std::move(*r);
    if (!valid_transport_name(j.route.transport)) {
      // It names a socket under private/: never a path of another kind.
      log::warning(id + ": bad transport name \"" + str::sanitize(j.route.transport, 100) + "\" for " + rcpt);
      settled.push_back({j, 4, "4.3.5", "mail transport unavailable"});
      continue;
    }
    if (is_pseudo_transport(j.route.transport)) {
      PseudoReply p = pseudo_reply(j.route);
      settled.push_back({j, p.status, p.dsn, p.reason});
      continue;
    }
    j.dest = destination_of(j.route, rcpt);
    jobs.push_back(std::move(j));
  }
  m->outstanding = jobs.size() + settled.size();
  if (m->outstanding == 0) return finalize(m);  // all delivered before a crash
  for (auto& j : jobs) ready_.push_back(std::move(j));
  // Settled last: the final one may retire the message.
  for (auto& st : settled) {
    st.job.started = st.job.connected = now();
    complete(st.job, st.status, st.dsn, st.reason);
  }
}

std::string Scheduler::destination_of(const Route& r, const std::string& recipient) const {
  if (s_.destination_recipients(r.transport) == 1) return r.transport + ":" + str::lower(recipient);
  return r.transport + ":" + str::lower(r.nexthop);
}

void Scheduler::kick() {
  if (dispatch_pending_) return;
  dispatch_pending_ = true;
  loop_.defer([this] {
    dispatch_pending_ = false;
    dispatch();
  });
}

void Scheduler::dispatch() {
  auto in_flight = [](const std::map<std::string, size_t>& counts, const std::string& key) -> size_t {
    auto c = counts.find(key);
    return c == counts.end() ? 0 : c->second;
  };
  auto transport_room = [&](const std::string& transport) {
    return in_flight(per_transport_, transport) < s_.concurrency;
  };
  auto dest_room = [&](const std::string& transport, const std::string& dest) {
    return in_flight(per_dest_, dest) < s_.destination_concurrency(transport);
  };
  while (!stopping_ && !ready_.empty() && !pause_timer_->pending()) {
    // The oldest job whose transport and destination both have room; one
    // busy destination does not hold up the others (Postfix's per-
    // destination queues).
    std::optional<Job> j = ready_.take(transport_room, dest_room);
    if (!j) return;  // every queued destination is at its limit
    if (!start_job(std::move(*j))) return;
  }
}

bool Scheduler::start_job(Job job) {
  job.started = now();
  std::unique_ptr<AgentConn> conn;
  bool fresh = false;
  const std::string& transport = job.route.transport;
  if (auto pool = idle_.find(transport); pool != idle_.end() && !pool->second.empty()) {
    conn = std::move(pool->second.back());
    pool->second.pop_back();
    job.connected = job.started;
  } else {
    if (fresh_busy_ >= kFreshLimit) {
      ready_.push_front(job);  // the next reply frees an agent or a slot
      return false;
    }
    fresh = true;
    auto fd = attr::connect_unix(s_.queue_dir + "/private/" + transport, /*nonblocking=*/true);
    if (!fd) {
      if (fd.error().sys_errno == EAGAIN) {
        ready_.push_front(job);
        pause_timer_->add(kConnectPause);
        return false;
      }
      job.connected = now();
      // No outbound SMTP client exists yet: mail for other domains waits in
      // the deferred queue (never lost) and says why.
      if (fd.error().sys_errno == ENOENT && (transport == "smtp" || transport == "relay")) {
        complete(job, 4, "4.4.1", "mail transport unavailable: no relay transport yet");
        return true;
      }
      log::warning(fd.error().message);
      complete(job, 4, "4.3.0", "mail transport unavailable: " + transport + " delivery agent not reachable");
      return true;
    }
    conn = std::make_unique<AgentConn>(
        loop_, std::move(*fd), s_.ipc_timeout, s_.ipc_idle,
        [this](AgentConn* c, Failure f, Result<attr::Message> r) { on_reply(c, f, std::move(r)); },
        [this](AgentConn* c) { on_dead(c); });
    job.connected = now();
  }
  const auto& r = job.msg->env.recipients[job.rcpt];
  attr::Message req;
  req.set("request", "deliver")
      .set("queue_id", job.msg->id)
      .set("queue_file", "active/" + job.msg->id)
      .set("offset", static_cast<long long>(r.offset))
      .set("recipient", r.address)
      .set("original_recipient", r.original)
      .set("sender", job.msg->env.sender)
      .set("nexthop", job.route.nexthop);
  job.relay = transport;
  ++per_dest_[job.dest];
  ++per_transport_[transport];
  AgentConn* raw = conn.get();
  busy_.emplace(raw, Busy{std::move(conn), job, fresh});
  if (fresh) ++fresh_busy_;
  raw->send(req);  // a failure is reported through on_reply
  return true;
}

void Scheduler::on_reply(AgentConn* c, Failure f, Result<attr::Message> r) {
  auto it = busy_.find(c);
  if (it == busy_.end()) MAIL_PANIC("reply from a connection without a job");
  Busy b = std::move(it->second);
  busy_.erase(it);
  if (b.fresh) --fresh_busy_;
  if (--per_dest_[b.job.dest] == 0) per_dest_.erase(b.job.dest);
  if (--per_transport_[b.job.route.transport] == 0) per_transport_.erase(b.job.route.transport);
  bool reused = c->reused(), got_bytes = c->got_bytes();
  if (f == Failure::None && !stopping_) idle_[b.job.route.transport].push_back(std::move(b.conn));
  else loop_.defer_delete(std::move(b.conn));

  Job job = b.job;
  if (f == Failure::None) {
    ReplyCheck rc = check_reply(*r);
    if (!rc.ok) log::warning(job.msg->id + ": malformed reply from " + job.relay + ": " + rc.problem);
    complete(job, rc.status, rc.dsn, rc.reason);
  } else if (f == Failure::Closed && reused && !got_bytes && !job.retried && !stopping_) {
    // The agent closed a connection we reused (its max_use, a reload)
    // before answering: one retry on a fresh connection.
    job.retried = true;
    job.relay = "none";
    ready_.push_front(job);
  } else {
    log::warning(job.msg->id + ": " + job.relay + " delivery agent: " + r.error().message);
    complete(job, 4, "4.3.0", "lost connection with " + job.relay + " delivery agent");
  }
  check_idle();
  kick();
}

void Scheduler::on_dead(AgentConn* c) {
  for (auto& [transport, pool] : idle_) {
    auto it = std::find_if(pool.begin(), pool.end(), [c](const auto& p) { return p.get() == c; });
    if (it == pool.end()) continue;
    loop_.defer_delete(std::move(*it));
    pool.erase(it);
    return;
  }
}

void Scheduler::complete(Job job, int status, std::string dsn, std::string reason) {
  Msg* m = job.msg;
  auto& r = m->env.recipients[job.rcpt];
  Attempt a;
  a.queue_id = m->id;
  a.recipient = r.address;
  a.original = r.original;
  a.relay = job.relay;
  a.arrival = static_cast<double>(m->env.arrival_sec) + static_cast<double>(m->env.arrival_usec) / 1e6;
  a.activated = m->activated;
  a.started = job.started;
  a.connected = job.connected;
  a.finished = now();
  Backoff limits = s_.backoff;
  if (m->env.sender.empty()) limits.lifetime = s_.bounce_lifetime;  // bounce_queue_lifetime
  a.dsn = dsn;
  a.reason = reason;
  Outcome o{job.rcpt, dsn, reason, static_cast<std::time_t>(a.finished), ""};
  if (status == 4 && expired(m->env.arrival_sec, static_cast<long long>(a.finished), limits)) {
    // maximal_queue_lifetime (bounce_queue_lifetime for mail from <>)
    // reached: the attempt is logged as deferred, and the recipient is
    // returned to the sender with its last temporary status, as Postfix
    // does ("status=expired, returned to sender", logged in finalize).
    m->expired = true;
    m->failed.push_back(std::move(o));
    a.status = "deferred";
  } else if (status == 0) {
    if (last_pending(*m, job.rcpt)) r.done = true;  // finalize() removes the file: no mark needed
    else mark_done(*m, job.rcpt);
    if (notify_wants(r.dsn.notify, NoticeKind::Success)) m->delivered.push_back(std::move(o));
    a.status = "sent";
  } else if (status == 5) {
    // Marked done in finalize(), once the non-delivery report is durable.
    m->failed.push_back(std::move(o));
    a.status = "bounced";
  } else {
    if (auto s = append_defer(s_.queue_dir, m->id, {r.address, dsn, reason}); !s)
      log::warning(m->id + ": " + s.error().message);
    m->deferred = true;
    m->delayed.push_back(std::move(o));
    a.status = "deferred";
  }
  log_attempt(a);
  if (--m->outstanding == 0) finalize(m);
}

// The recipient's delivery is the message's last: every other recipient
// is done and none awaits a report. Its done mark would be followed at
// once by the file's removal, so the mark (an fdatasync, ~2 ms on the
// event loop) is skipped: a crash in between repeats this one delivery,
// which the rule allows and a Maildir delivery recognises by its name.
bool Scheduler::last_pending(const Msg& m, size_t rcpt) const {
  if (m.outstanding != 1 || !m.failed.empty()) return false;
  for (size_t i = 0; i < m.env.recipients.size(); ++i)
    if (i != rcpt && !m.env.recipients[i].done) return false;
  return true;
}

void Scheduler::mark_done(Msg& m, size_t rcpt) {
  auto& r = m.env.recipients[rcpt];
  r.done = true;
  std::string path = queue::path(s_.queue_dir, "active", m.id);
  Fd fd(::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
  Status s = fd ? queue::mark_done(fd.get(), r.offset) : Status(sys_error("open " + path));
  // The delivery happened; if the mark is lost it may be repeated later,
  // which is the lesser evil than pretending it did not happen.
  if (!s) log::warning(m.id + ": cannot mark <" + r.address + "> done: " + s.error().message);
}

void Scheduler::finalize(Msg* m) {
  std::string id = m->id;
  if (m->expired)
    log::info(log::format(id, {{"from", "<" + m->env.sender + ">"}, {"status", "expired, returned to sender"}}));
  if (!m->failed.empty()) settle_failed(*m);
  if (!m->delivered.empty()) notify_success(*m);
  bool all_done = std::all_of(m->env.recipients.begin(), m->env.recipients.end(),
                              [](const queue::Recipient& r) { return r.done; });
  std::string path = queue::path(s_.queue_dir, "active", id);
  if (all_done) {
    // Kept for smtpd's next message (lib/queue/spare.h) while the ring has room.
    if (!queue::keep_spare(s_.queue_dir, path) && ::unlink(path.c_str()) < 0 && errno != ENOENT)
      log::warning(sys_error("unlink " + path).message);
    if (auto s = remove_defer(s_.queue_dir, id); !s) log::warning(s.error().message);
    log::info(id + ": removed");
  } else if (!m->abandoned) {
    if (s_.delay_warning.count() > 0) warn_delay(*m);
    long long t = static_cast<long long>(now());
    long long next = next_attempt(m->env.arrival_sec, t, s_.backoff);
    // mtime first: a deferred file always carries its next attempt time.
    if (auto s = set_time(path, next); !s) log::warning(s.error().message);
    if (auto s = move_file(s_.queue_dir, "active", "deferred", id); !s) log::warning(s.error().message);
  }
  // An abandoned message (stop) stays in active/ for the next qmgr.
  rcpts_in_memory_ -= m->env.recipients.size();
  msgs_.erase(id);
  // Room again: pick up what an earlier scan had to leave behind.
  if (!stopping_ && (backlog_ || deferred_wanted_)) {
    if (backlog_) incoming_wanted_ = true;
    schedule_scan();
  }
}

std::vector<ReportRecipient> Scheduler::report_recipients(const Msg& m, const std::vector<Outcome>& outcomes,
                                                           NoticeKind kind, const char* action) const {
  std::vector<ReportRecipient> out;
  for (const auto& o : outcomes) {
    const auto& r = m.env.recipients[o.rcpt];
    if (!notify_wants(r.dsn.notify, kind)) continue;
    out.push_back(ReportRecipient{r.address, r.dsn.orcpt, r.original, action, o.dsn, o.reason, o.remote_mta,
                                  o.when});
  }
  return out;
}

bool Scheduler::queue_notice(const Msg& m, NoticeKind kind, std::vector<ReportRecipient> rcpts) {
  auto sent = send_notice(s_.queue_dir, "active", m.env, kind, std::move(rcpts), s_.notice,
                          static_cast<std::time_t>(now()));
  const char* what = kind == NoticeKind::Failure ? "non-delivery"
                     : kind == NoticeKind::Delay ? "delay"
                                                 : "delivery status";
  if (!sent) {
    log::warning(m.id + ": cannot queue " + what + " notification: " + sent.error().message);
    return false;
  }
  if (sent->id.empty()) {
    log::info(m.id + ": discarding undeliverable postmaster notification");
    return true;
  }
  bool postmaster = sent->kind == NoticeKind::PostmasterCopy;
  log::info(m.id + ": " + (postmaster ? "postmaster" : "sender") + " " + what + " notification: " + sent->id);
  incoming_wanted_ = true;
  schedule_scan();
  return true;
}

void Scheduler::settle_failed(Msg& m) {
  auto rcpts = report_recipients(m, m.failed, NoticeKind::Failure, "failed");
  // The report first, durable in incoming/; only then are the recipients
  // settled. A crash in between sends the report again, never loses it.
  if (!rcpts.empty() && !queue_notice(m, NoticeKind::Failure, std::move(rcpts))) {
    // No report, no settling: the recipients stay pending and are tried
    // (and bounced) again after the back-off.
    for (const auto& o : m.failed)
      if (auto s = append_defer(s_.queue_dir, m.id, {m.env.recipients[o.rcpt].address, o.dsn, o.reason}); !s)
        log::warning(m.id + ": " + s.error().message);
    m.failed.clear();
    return;
  }
  for (const auto& o : m.failed) mark_done(m, o.rcpt);
  m.failed.clear();
}

void Scheduler::notify_success(Msg& m) {
  // The recipients are already marked done (the delivery happened): a
  // crash before this point loses the success notice, never the mail.
  auto rcpts = report_recipients(m, m.delivered, NoticeKind::Success, "delivered");
  if (!rcpts.empty()) (void)queue_notice(m, NoticeKind::Success, std::move(rcpts));
  m.delivered.clear();
}

void Scheduler::warn_delay(Msg& m) {
  auto delayed = std::move(m.delayed);
  m.delayed.clear();
  long long age = static_cast<long long>(now()) - m.env.arrival_sec;
  if (delayed.empty() || age < s_.delay_warning.count()) return;
  // One warning per message, as in Postfix; the defer log remembers it.
  auto log = read_defer(s_.queue_dir, m.id);
  if (!log) return log::warning(m.id + ": " + log.error().message);
  if (delay_warned(*log)) return;
  auto rcpts = report_recipients(m, delayed, NoticeKind::Delay, "delayed");
  if (!rcpts.empty() && !queue_notice(m, NoticeKind::Delay, std::move(rcpts))) return;
  if (auto s = append_defer(s_.queue_dir, m.id, delay_warned_entry()); !s) log::warning(m.id + ": " + s.error().message);
}

void Scheduler::stop(std::function<void()> on_idle) {
  if (stopping_) return;
  stopping_ = true;
  on_idle_ = std::move(on_idle);
  run_timer_->del();
  pause_timer_->del();
  ready_.for_each([](Job& j) {
    j.msg->abandoned = true;
    --j.msg->outstanding;
  });
  ready_.clear();
  std::vector<Msg*> quiet;
  for (auto& [id, m] : msgs_)
    if (m->outstanding == 0) quiet.push_back(m.get());
  for (Msg* m : quiet) finalize(m);
  for (auto& [transport, pool] : idle_)
    for (auto& c : pool) loop_.defer_delete(std::move(c));
  idle_.clear();
  check_idle();
}

void Scheduler::check_idle() {
  if (!stopping_ || !busy_.empty() || !on_idle_) return;
  auto fn = std::move(on_idle_);
  on_idle_ = nullptr;
  loop_.defer(std::move(fn));
}

}  // namespace buzon::qmgr
