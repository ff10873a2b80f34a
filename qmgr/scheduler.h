// The queue manager proper: moves mail into active/, decides each pending
// recipient's transport, runs deliveries through the local agent within
// the concurrency limits, records every outcome durably and retires or
// defers each message when its last recipient is settled.
//
// Durability rule (doc/internals.md): a recipient is marked done in the
// queue file (queue::mark_done, fdatasync) right after the agent's success
// or permanent-failure reply and before the message is retired, so a crash
// of qmgr or local at any moment repeats at most the delivery in flight.
// The queue file itself is only ever renamed (incoming -> active ->
// deferred/corrupt) or removed once every recipient is done. A permanent
// failure is marked done only after its non-delivery report is queued
// (durable in incoming/), so a crash may repeat a report, never lose one.
//
// virtual_alias_maps (virtual_rewrite.h): a message's recipients are
// expanded once, when it first becomes active, by rewriting its file.
//
// Transports (transport.h): each recipient is routed once when its message
// is loaded. error, retry and discard are settled in qmgr itself; every
// other transport is a delivery agent on private/<transport>, one request
// per recipient. A destination is the transport's next hop, or the
// recipient itself when <transport>_destination_recipient_limit is 1
// (local), as in Postfix.
//
// LIMITS  qmgr_message_active_limit messages and qmgr_message_recipient_limit
//         recipients in memory; default_process_limit deliveries in flight
//         per transport; <transport>_destination_concurrency_limit
//         (default_destination_concurrency_limit) per destination;
//         ipc_timeout per request; ipc_idle per idle connection.
#pragma once
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/event/event.h"
#include "lib/queue/queue.h"
#include "qmgr/agent_conn.h"
#include "qmgr/dsn_report.h"
#include "qmgr/ready_queue.h"
#include "qmgr/settings.h"

namespace buzon::qmgr {

class Scheduler {
 public:
  Scheduler(event::Loop& loop, Settings s);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Takes over active/ (files a killed qmgr left), then picks up incoming/
  // and the deferred files whose time has come, and starts the periodic
  // deferred scan (every queue_run_delay).
  void start();
  // Trigger 'W': new mail in incoming/. Coalesced; runs from the loop.
  void wakeup();
  // A named trigger: incoming/ID is new. Taken without listing incoming/,
  // unless a scan is due anyway.
  void wakeup_for(std::string id);
  // Trigger 'F': retry every deferred message now.
  void flush();
  // SIGTERM/SIGHUP: start nothing new; on_idle runs (from the loop) once no
  // reply is outstanding. Messages not finished stay in active/ for the
  // next qmgr.
  void stop(std::function<void()> on_idle);

  size_t in_flight() const { return busy_.size(); }
  size_t messages() const { return msgs_.size(); }
  size_t recipients_in_memory() const { return rcpts_in_memory_; }

 private:
  struct Msg;
  // One recipient's result in the current pass, kept for a notice.
  struct Outcome {
    size_t rcpt = 0;
    std::string dsn, reason;
    std::time_t when = 0;
    std::string remote_mta;  // "" for local delivery
  };
  struct Job {
    Msg* msg = nullptr;
    size_t rcpt = 0;
    Route route;
    std::string dest;           // transport + ":" + destination: the concurrency key
    std::string relay = "none";  // for the log: the transport that answered
    bool retried = false;
    double started = 0, connected = 0;
  };
  struct Busy {
    std::unique_ptr<AgentConn> conn;
    Job job;
    bool fresh = false;  // a new connection: its agent may not even be running yet
  };
  // Jobs at most on connections that no agent has answered yet. master
  // starts one agent at a time, when the previous one has taken its
  // client; a job sent on the 50th new connection would wait for 50
  // process starts while the agents already running sit idle. Like
  // Postfix's qmgr, which waits for an agent to be ready before giving it
  // work, new connections are opened a few at a time and the other jobs
  // wait for whichever agent is free first.
  static constexpr size_t kFreshLimit = 2;

  void schedule_scan();
  void run_scans();
  void activate_incoming();
  void activate_named();
  // Moves the files named from incoming/ to active/ and loads them while
  // there is room; the rest waits for the backlog scan.
  void take_incoming(const std::vector<std::string>& ids);
  void activate_deferred(bool all);
  // qmgr_message_active_limit messages and qmgr_message_recipient_limit
  // recipients in memory; a message bigger than the recipient limit still
  // gets in when nothing else is active, or it would never be delivered.
  bool room() const {
    return msgs_.size() < s_.active_limit && (msgs_.empty() || rcpts_in_memory_ < s_.recipient_limit);
  }
  void load(const std::string& id);
  void kick();
  void dispatch();
  bool start_job(Job job);
  void on_reply(AgentConn* c, Failure f, Result<attr::Message> r);
  void on_dead(AgentConn* c);
  // The concurrency key of a routed recipient.
  std::string destination_of(const Route& r, const std::string& recipient) const;
  void complete(Job job, int status, std::string dsn, std::string reason);
  bool last_pending(const Msg& m, size_t rcpt) const;
  void mark_done(Msg& m, size_t rcpt);
  void finalize(Msg* m);
  // Notices (notice.h). settle_failed queues the non-delivery report of
  // the pass's permanent failures and only then marks them done; when the
  // report cannot be queued they stay pending and are deferred.
  void settle_failed(Msg& m);
  void notify_success(Msg& m);
  // delay_warning_time: one delay notice per message, remembered in the
  // defer log.
  void warn_delay(Msg& m);
  std::vector<ReportRecipient> report_recipients(const Msg& m, const std::vector<Outcome>& outcomes, NoticeKind kind,
                                                 const char* action) const;
  // Queues one notice and logs it as Postfix does; false when it could not
  // be queued.
  bool queue_notice(const Msg& m, NoticeKind kind, std::vector<ReportRecipient> rcpts);
  void check_idle();

  event::Loop& loop_;
  Settings s_;
  std::map<std::string, std::unique_ptr<Msg>> msgs_;
  size_t rcpts_in_memory_ = 0;  // recipients of the messages in msgs_
  Router router_;
  virt::Aliases aliases_;  // virtual_alias_maps (virtual_rewrite.h)
  ReadyQueue<Job> ready_;
  std::map<std::string, size_t> per_dest_, per_transport_;  // deliveries in flight
  std::map<std::string, std::vector<std::unique_ptr<AgentConn>>> idle_;  // per transport
  std::map<AgentConn*, Busy> busy_;
  size_t fresh_busy_ = 0;  // entries of busy_ with fresh set
  bool stopping_ = false;
  bool scan_pending_ = false, dispatch_pending_ = false;
  bool flush_wanted_ = false, deferred_wanted_ = false, incoming_wanted_ = false;
  bool backlog_ = false;
  // Named triggers since the last scan; more than kNamedMax make a scan.
  std::vector<std::string> named_;
  static constexpr size_t kNamedMax = 1024;
  std::function<void()> on_idle_;
  std::unique_ptr<event::Event> run_timer_, pause_timer_;
};

}  // namespace buzon::qmgr
