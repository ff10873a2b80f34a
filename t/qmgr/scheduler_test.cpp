// The scheduler end to end against a scripted delivery agent listening on
// private/local of a throwaway queue, all in one event loop. Waits poll for
// the outcome with a deadline.
#include "qmgr/scheduler.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <list>
#include <optional>
#include <sstream>

#include "lib/file/file.h"
#include "qmgr/queue_dirs.h"

using namespace buzon;
using namespace buzon::qmgr;
using namespace std::chrono_literals;

namespace {

struct TempQueue {
  std::string dir;
  TempQueue() {
    char tmpl[] = "/tmp/buzon-sched-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(dir + "/" + d, 0700));
  }
  ~TempQueue() { (void)std::system(("rm -rf '" + dir + "'").c_str()); }
  bool has(const char* sub, const std::string& id) const {
    return ::access(queue::path(dir, sub, id).c_str(), F_OK) == 0;
  }
  size_t count(const char* sub) const {
    size_t n = 0;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir((dir + "/" + sub).c_str()), ::closedir);
    while (dirent* e = ::readdir(d.get()))
      if (e->d_name[0] != '.') ++n;
    return n;
  }
};

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string enqueue(const std::string& qdir, const std::vector<std::string>& rcpts,
                    const std::string& sender = "alice@example.test",
                    const std::vector<std::pair<std::string, std::string>>& attrs = {}) {
  auto w = queue::Writer::create(qdir);
  REQUIRE(w);
  REQUIRE(w->sender(sender));
  for (const auto& [k, v] : attrs) REQUIRE(w->attr(k, v));
  for (const auto& r : rcpts) REQUIRE(w->recipient(r));
  REQUIRE(w->begin_content());
  REQUIRE(w->append("Subject: test\n\nbody\n"));
  REQUIRE(w->commit());
  return w->id();
}

queue::Envelope envelope(const std::string& path, const std::string& id) {
  Fd fd(::open(path.c_str(), O_RDONLY));
  REQUIRE(fd);
  auto env = queue::read_envelope(fd.get(), id);
  REQUIRE(env);
  return std::move(*env);
}

attr::Message reply(int status, const char* dsn, const char* reason) {
  attr::Message m;
  m.set("status", static_cast<long long>(status)).set("dsn", dsn).set("reason", reason);
  return m;
}

// A delivery agent on queue_dir/private/<service> whose answers come from a
// policy: a message to send, or nullopt to drop the connection unanswered.
class FakeAgent {
 public:
  using Policy = std::function<std::optional<attr::Message>(const attr::Message&)>;
  FakeAgent(event::Loop& loop, const std::string& qdir, Policy policy, std::chrono::milliseconds delay = 0ms,
            const std::string& service = "local")
      : loop_(loop), qdir_(qdir), policy_(std::move(policy)), delay_(delay) {
    std::string path = qdir + "/private/" + service;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof sa.sun_path);
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    REQUIRE(::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(listen_.get(), 128) == 0);
    accept_ = std::make_unique<event::Event>(loop_, listen_.get(), EV_READ | EV_PERSIST, [this](short) { accept(); });
    accept_->add();
  }

  std::vector<attr::Message> requests;
  size_t connections = 0, busy = 0, max_busy = 0, max_active_files = 0;
  std::map<std::string, size_t> busy_rcpt, max_rcpt, busy_hop, max_hop;

 private:
  struct Conn {
    Fd fd;
    attr::Reader in;
    std::unique_ptr<event::Event> ev;
  };
  struct Pending {
    Conn* conn;
    attr::Message reply;
    std::string rcpt, hop;
    std::unique_ptr<event::Event> timer;
  };

  void accept() {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    ++connections;
    auto c = std::make_unique<Conn>();
    c->fd.reset(fd);
    Conn* raw = c.get();
    c->ev = std::make_unique<event::Event>(loop_, fd, EV_READ | EV_PERSIST, [this, raw](short) { readable(raw); });
    c->ev->add();
    conns_.push_back(std::move(c));
  }

  void drop(Conn* c) {
    c->ev->del();
    c->fd.reset();
  }

  void readable(Conn* c) {
    char buf[4096];
    ssize_t n = ::recv(c->fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) return drop(c);
    c->in.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (auto m = c->in.next()) {
      REQUIRE(m->ok());
      const attr::Message& req = **m;
      requests.push_back(req);
      std::string rcpt(req.get("recipient").value_or(""));
      std::string hop(req.get("nexthop").value_or(""));
      max_active_files = std::max(max_active_files, count_active());
      auto answer = policy_(req);
      if (!answer) return drop(c);
      ++busy;
      max_busy = std::max(max_busy, busy);
      max_rcpt[rcpt] = std::max(max_rcpt[rcpt], ++busy_rcpt[rcpt]);
      max_hop[hop] = std::max(max_hop[hop], ++busy_hop[hop]);
      auto p = std::make_unique<Pending>(Pending{c, *answer, rcpt, hop, nullptr});
      Pending* raw = p.get();
      p->timer = std::make_unique<event::Event>(loop_, -1, 0, [this, raw](short) { send(raw); });
      p->timer->add(delay_);
      pending_.push_back(std::move(p));
    }
  }

  void send(Pending* p) {
    --busy;
    --busy_rcpt[p->rcpt];
    --busy_hop[p->hop];
    if (p->conn->fd) REQUIRE(attr::write_message(p->conn->fd.get(), p->reply, 1000ms));
  }

  size_t count_active() const {
    size_t n = 0;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir((qdir_ + "/active").c_str()), ::closedir);
    while (dirent* e = ::readdir(d.get()))
      if (e->d_name[0] != '.') ++n;
    return n;
  }

  event::Loop& loop_;
  std::string qdir_;
  Policy policy_;
  std::chrono::milliseconds delay_;
  Fd listen_;
  std::unique_ptr<event::Event> accept_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::list<std::unique_ptr<Pending>> pending_;
};

FakeAgent::Policy always_sent() {
  return [](const attr::Message&) { return reply(0, "2.0.0", "delivered to mailbox"); };
}

Settings settings_for(const TempQueue& q) {
  Settings s;
  s.queue_dir = q.dir;
  s.transport.mydestination = {"example.test"};
  s.concurrency = 10;
  s.dest_concurrency["local"] = 2;
  s.dest_recipients["local"] = 1;
  s.ipc_timeout = 5000ms;
  s.ipc_idle = 1000ms;
  s.queue_run_delay = 3600s;
  return s;
}

// Runs the loop until pred() holds; false after the deadline. It stops one
// tick after pred() first holds, so callbacks the last event deferred (and
// objects handed to defer_delete) have run before the test looks.
bool run_until(event::Loop& loop, const std::function<bool()>& pred, std::chrono::milliseconds deadline = 10000ms) {
  bool ok = false, seen = false;
  auto until = std::chrono::steady_clock::now() + deadline;
  std::unique_ptr<event::Event> tick;
  tick = std::make_unique<event::Event>(loop, -1, EV_PERSIST, [&](short) {
    if (pred()) {
      ok = seen;
      seen = true;
    } else {
      seen = false;
    }
    if (ok || std::chrono::steady_clock::now() > until) loop.stop();
  });
  tick->add(2ms);
  loop.run();
  tick->del();
  return ok;
}

long long wall() { return static_cast<long long>(::time(nullptr)); }

// "recipient via nexthop" of each request an agent got, sorted.
std::vector<std::string> routed(const FakeAgent& agent) {
  std::vector<std::string> out;
  for (const auto& r : agent.requests)
    out.push_back(std::string(r.get("recipient").value_or("")) + " via " + std::string(r.get("nexthop").value_or("")));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("scheduler: local recipients are delivered and the file removed", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test", "Carol@Example.Test"});
  auto before = envelope(queue::path(q.dir, "incoming", id), id);
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent());
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return q.count("active") + q.count("incoming") == 0 && s.messages() == 0; }));
  REQUIRE(agent.requests.size() == 2);
  const auto& r0 = agent.requests[0];
  CHECK(r0.get("request") == "deliver");
  CHECK(r0.get("queue_id") == id);
  CHECK(r0.get("queue_file") == "active/" + id);
  CHECK(r0.get("sender") == "alice@example.test");
  CHECK(r0.get("recipient") == "bob@example.test");
  CHECK(agent.requests[1].get("recipient") == "Carol@Example.Test");
  CHECK(r0.get_uint("offset") == static_cast<unsigned long long>(before.recipients[0].offset));
  CHECK(agent.requests[1].get_uint("offset") == static_cast<unsigned long long>(before.recipients[1].offset));
  CHECK_FALSE(q.has("defer", id));
  CHECK(q.count("deferred") == 0);
}

TEST_CASE("scheduler: a recipient without transport is deferred, never lost", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"x@elsewhere.example", "bob@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent());
  Scheduler s(loop, settings_for(q));
  long long t = wall();
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id); }));
  CHECK(agent.requests.size() == 1);  // only bob went to local
  std::string path = queue::path(q.dir, "deferred", id);
  auto env = envelope(path, id);
  CHECK_FALSE(env.recipients[0].done);
  CHECK(env.recipients[1].done);
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  // A fresh message waits minimal_backoff_time (300 s).
  CHECK(st.st_mtime >= t + 300);
  CHECK(st.st_mtime <= wall() + 300);
  CHECK(slurp(queue::path(q.dir, "defer", id)) ==
        "x@elsewhere.example\t4.4.1\tmail transport unavailable: no relay transport yet\n");
}

TEST_CASE("scheduler: temporary failures defer, permanent ones are settled", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test", "carol@example.test", "dave@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, [](const attr::Message& m) -> std::optional<attr::Message> {
    auto r = m.get("recipient");
    if (r == "bob@example.test") return reply(4, "4.2.0", "mailbox locked");
    if (r == "carol@example.test") return reply(5, "5.1.1", "unknown user: \"carol\"");
    return reply(0, "2.0.0", "delivered to maildir");
  });
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id); }));
  auto env = envelope(queue::path(q.dir, "deferred", id), id);
  CHECK_FALSE(env.recipients[0].done);
  CHECK(env.recipients[1].done);
  CHECK(env.recipients[2].done);
  CHECK(slurp(queue::path(q.dir, "defer", id)) == "bob@example.test\t4.2.0\tmailbox locked\n");
}

TEST_CASE("scheduler: a permanent failure sends a report to the sender", "[qmgr][scheduler][dsn]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"carol@example.test", "dave@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, [](const attr::Message& m) -> std::optional<attr::Message> {
    if (m.get("recipient") == "alice@example.test") return reply(0, "2.0.0", "delivered to mailbox");
    return reply(5, "5.1.1", "unknown user");
  });
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 3 && s.messages() == 0; }));
  // Both failures in one report, from <> to the sender, delivered last.
  const auto& notice = agent.requests[2];
  CHECK(notice.get("recipient") == "alice@example.test");
  CHECK(notice.get("sender") == "");
  CHECK_FALSE(q.has("active", id));
  CHECK(q.count("incoming") + q.count("active") + q.count("deferred") == 0);
}

TEST_CASE("scheduler: no report, no settling: the failure stays pending", "[qmgr][scheduler][dsn]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"carol@example.test"});
  // tmp/ replaced by a file: no new queue file can be written.
  REQUIRE(::rmdir((q.dir + "/tmp").c_str()) == 0);
  REQUIRE(file::write_atomic(q.dir + "/tmp", "", 0600));
  event::Loop loop;
  FakeAgent agent(loop, q.dir, [](const attr::Message&) { return reply(5, "5.1.1", "unknown user"); });
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id); }));
  auto env = envelope(queue::path(q.dir, "deferred", id), id);
  CHECK_FALSE(env.recipients[0].done);
  CHECK(slurp(queue::path(q.dir, "defer", id)) == "carol@example.test\t5.1.1\tunknown user\n");
}

TEST_CASE("scheduler: past maximal_queue_lifetime a deferral becomes a bounce", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test", "x@elsewhere.example"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, [](const attr::Message&) { return reply(4, "4.2.0", "mailbox locked"); });
  auto cfg = settings_for(q);
  cfg.backoff.lifetime = 0s;
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return q.count("active") + q.count("incoming") == 0 && s.messages() == 0; }));
  CHECK_FALSE(q.has("deferred", id));
  CHECK_FALSE(q.has("defer", id));
}

TEST_CASE("scheduler: a reused connection that dies unanswered is retried once", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test", "carol@example.test"});
  event::Loop loop;
  int carol_seen = 0;
  FakeAgent agent(loop, q.dir, [&](const attr::Message& m) -> std::optional<attr::Message> {
    if (m.get("recipient") == "carol@example.test" && carol_seen++ == 0) return std::nullopt;  // e.g. max_use
    return reply(0, "2.0.0", "delivered to mailbox");
  });
  auto cfg = settings_for(q);
  cfg.concurrency = 1;  // bob and carol share the connection
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return q.count("active") + q.count("incoming") == 0 && s.messages() == 0; }));
  CHECK(agent.requests.size() == 3);
  CHECK(agent.connections == 2);
  CHECK_FALSE(q.has("deferred", id));
}

TEST_CASE("scheduler: a fresh connection that dies unanswered defers", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, [](const attr::Message&) { return std::optional<attr::Message>(); });
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id); }));
  CHECK(agent.requests.size() == 1);
  CHECK(slurp(queue::path(q.dir, "defer", id)) ==
        "bob@example.test\t4.3.0\tlost connection with local delivery agent\n");
}

TEST_CASE("scheduler: no agent listening defers the mail", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test"});
  event::Loop loop;
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id); }));
  auto line = slurp(queue::path(q.dir, "defer", id));
  CHECK(line.rfind("bob@example.test\t4.3.0\t", 0) == 0);
}

TEST_CASE("scheduler: corrupt and foreign files", "[qmgr][scheduler]") {
  TempQueue q;
  std::string bad = queue::new_id();
  std::ofstream(queue::path(q.dir, "incoming", bad)) << "V1:1\nthis is not a queue file\n";
  std::ofstream(q.dir + "/incoming/not-a-queue-id") << "x";
  std::string good = enqueue(q.dir, {"bob@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent());
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("corrupt", bad) && !q.has("active", good) && s.messages() == 0; }));
  CHECK(::access((q.dir + "/incoming/not-a-queue-id").c_str(), F_OK) == 0);  // left alone
  CHECK(agent.requests.size() == 1);
}

TEST_CASE("scheduler: takes over active/, honours deferred times, flush retries all", "[qmgr][scheduler]") {
  TempQueue q;
  std::string left = enqueue(q.dir, {"bob@example.test"});
  REQUIRE(::rename(queue::path(q.dir, "incoming", left).c_str(), queue::path(q.dir, "active", left).c_str()) == 0);
  std::string due = enqueue(q.dir, {"carol@example.test"});
  REQUIRE(::rename(queue::path(q.dir, "incoming", due).c_str(), queue::path(q.dir, "deferred", due).c_str()) == 0);
  REQUIRE(set_time(queue::path(q.dir, "deferred", due), wall() - 1));
  std::string later = enqueue(q.dir, {"dave@example.test"});
  REQUIRE(::rename(queue::path(q.dir, "incoming", later).c_str(), queue::path(q.dir, "deferred", later).c_str()) == 0);
  REQUIRE(set_time(queue::path(q.dir, "deferred", later), wall() + 3600));

  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent());
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 2 && s.messages() == 0; }));
  CHECK_FALSE(q.has("active", left));
  CHECK_FALSE(q.has("deferred", due));
  CHECK(q.has("deferred", later));  // not due yet
  s.flush();
  REQUIRE(run_until(loop, [&] { return !q.has("deferred", later) && s.messages() == 0; }));
  CHECK(agent.requests.size() == 3);
  CHECK(q.count("active") == 0);
}

TEST_CASE("scheduler: new mail is picked up on a trigger; a named one takes that file without a scan",
          "[qmgr][scheduler]") {
  TempQueue q;
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent());
  Scheduler s(loop, settings_for(q));
  s.start();
  REQUIRE(run_until(loop, [&] { return true; }));
  std::string unnamed = enqueue(q.dir, {"carol@example.test"});
  std::string named = enqueue(q.dir, {"bob@example.test"});
  s.wakeup_for(named);
  s.wakeup_for(named);              // twice: the second finds it gone
  s.wakeup_for("0000000000000000A"); // never there
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 1 && s.messages() == 0; }));
  CHECK(agent.requests[0].get("queue_id") == named);
  CHECK(q.has("incoming", unnamed));  // no scan took it
  // A plain wake scans and finds it.
  s.wakeup();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 2 && s.messages() == 0; }));
  CHECK(agent.requests[1].get("queue_id") == unnamed);
  CHECK(q.count("incoming") + q.count("active") == 0);
}

TEST_CASE("scheduler: concurrency limits, overall and per recipient", "[qmgr][scheduler][limits]") {
  TempQueue q;
  for (int i = 0; i < 6; ++i) enqueue(q.dir, {"bob@example.test"});
  for (int i = 0; i < 4; ++i) enqueue(q.dir, {"alice@example.test", "carol@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent(), 30ms);
  auto cfg = settings_for(q);
  cfg.concurrency = 3;
  cfg.dest_concurrency["local"] = 2;
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 14 && s.messages() == 0; }));
  CHECK(agent.max_busy == 3);                      // at the limit, never over
  CHECK(agent.max_rcpt["bob@example.test"] == 2);  // per-recipient limit reached, never passed
  CHECK(agent.max_rcpt["alice@example.test"] <= 2);
  CHECK(q.count("active") == 0);
}

TEST_CASE("scheduler: new agent connections are opened a few at a time", "[qmgr][scheduler][limits]") {
  // Without the limit all 6 jobs would go out at once on 6 new
  // connections, each waiting for master to start its own agent.
  TempQueue q;
  for (int i = 0; i < 6; ++i) enqueue(q.dir, {"user" + std::to_string(i) + "@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent(), 100ms);
  Scheduler s(loop, settings_for(q));  // concurrency 10
  s.start();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 6 && s.messages() == 0; }));
  // Two new connections, then each answer frees a connection for reuse
  // and a slot for one more new one: 2, then 4 at a time.
  CHECK(agent.connections == 4);
  CHECK(agent.max_busy == 4);
}

TEST_CASE("scheduler: qmgr_message_active_limit bounds the active queue", "[qmgr][scheduler][limits]") {
  TempQueue q;
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent(), 5ms);
  auto cfg = settings_for(q);
  cfg.active_limit = 2;
  Scheduler s(loop, cfg);
  SECTION("messages a scan finds") {
    for (int i = 0; i < 4; ++i) enqueue(q.dir, {"bob@example.test"});
    s.start();
  }
  SECTION("messages named by triggers: those without room are left to a scan") {
    s.start();
    REQUIRE(run_until(loop, [&] { return true; }));
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(enqueue(q.dir, {"bob@example.test"}));
    for (const auto& id : ids) s.wakeup_for(id);
  }
  size_t max_msgs = 0;
  REQUIRE(run_until(loop, [&] {
    max_msgs = std::max(max_msgs, s.messages());
    return agent.requests.size() == 4 && s.messages() == 0;
  }));
  CHECK(agent.max_active_files == 2);  // at the limit, never over
  CHECK(max_msgs <= 2);
  CHECK(q.count("incoming") + q.count("active") == 0);
}

TEST_CASE("scheduler: qmgr_message_recipient_limit bounds recipients in memory", "[qmgr][scheduler][limits]") {
  TempQueue q;
  // Two messages of 2 reach a limit of 4: the others wait for room.
  for (int i = 0; i < 4; ++i) enqueue(q.dir, {"bob@example.test", "carol@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent(), 5ms);
  auto cfg = settings_for(q);
  cfg.recipient_limit = 4;
  Scheduler s(loop, cfg);
  s.start();
  size_t max_rcpts = 0, max_msgs = 0;
  REQUIRE(run_until(loop, [&] {
    max_rcpts = std::max(max_rcpts, s.recipients_in_memory());
    max_msgs = std::max(max_msgs, s.messages());
    return agent.requests.size() == 8 && s.messages() == 0;
  }));
  CHECK(max_rcpts == 4);
  CHECK(max_msgs == 2);
  CHECK(q.count("incoming") + q.count("active") == 0);
}

TEST_CASE("scheduler: a message over qmgr_message_recipient_limit is still delivered", "[qmgr][scheduler][limits]") {
  TempQueue q;
  enqueue(q.dir, {"a@example.test", "b@example.test", "c@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent());
  auto cfg = settings_for(q);
  cfg.recipient_limit = 2;
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 3 && s.messages() == 0; }));
  CHECK(q.count("incoming") + q.count("active") == 0);
}

TEST_CASE("scheduler: stop waits for the reply in flight and leaves the rest", "[qmgr][scheduler]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test", "carol@example.test"});
  event::Loop loop;
  FakeAgent agent(loop, q.dir, always_sent(), 50ms);
  auto cfg = settings_for(q);
  cfg.concurrency = 1;
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return agent.requests.size() == 1; }));
  bool idle = false;
  s.stop([&] { idle = true; });
  REQUIRE(run_until(loop, [&] { return idle; }));
  CHECK(s.in_flight() == 0);
  CHECK(agent.requests.size() == 1);  // nothing new after stop
  REQUIRE(q.has("active", id));       // for the next qmgr
  auto env = envelope(queue::path(q.dir, "active", id), id);
  CHECK(env.recipients[0].done);  // the reply in flight was recorded
  CHECK_FALSE(env.recipients[1].done);
}

TEST_CASE("scheduler: transport_maps picks agents, error, retry and discard", "[qmgr][scheduler][transport]") {
  TempQueue q;
  std::string table = q.dir + "/transport";
  REQUIRE(file::write_atomic(table,
                             "slow@example.test slow:\n"
                             "gone@example.test error:5.1.1 account closed\n"
                             "busy@example.test retry:4.2.1 mailbox moving\n"
                             ".sink.example discard:\n"
                             "lists.example slow:[hub.example]\n",
                             0600));
  std::string id = enqueue(q.dir, {"bob@example.test", "slow@example.test", "gone@example.test", "busy@example.test",
                                   "x@a.sink.example", "y@lists.example", "z@elsewhere.example"});
  event::Loop loop;
  FakeAgent local(loop, q.dir, always_sent());
  FakeAgent slow(loop, q.dir, always_sent(), 0ms, "slow");
  auto cfg = settings_for(q);
  cfg.transport.transport_maps = {"texthash:" + table};
  Scheduler s(loop, cfg);
  s.start();
  // bob to local, slow and the report of "gone" (to alice) also local;
  // busy and elsewhere stay deferred.
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id) && s.messages() == 0; }));
  std::vector<std::string> to_local;
  for (const auto& r : local.requests) to_local.emplace_back(r.get("recipient").value_or(""));
  CHECK(to_local == std::vector<std::string>{"bob@example.test", "alice@example.test"});
  CHECK(routed(slow) == std::vector<std::string>{"slow@example.test via example.test", "y@lists.example via [hub.example]"});
  auto env = envelope(queue::path(q.dir, "deferred", id), id);
  std::vector<bool> done;
  for (const auto& r : env.recipients) done.push_back(r.done);
  CHECK(done == std::vector<bool>{true, true, true, false, true, true, false});
  CHECK(slurp(queue::path(q.dir, "defer", id)) ==
        "busy@example.test\t4.2.1\tmailbox moving\n"
        "z@elsewhere.example\t4.4.1\tmail transport unavailable: no relay transport yet\n");
}

TEST_CASE("scheduler: a content filter takes every recipient, whatever the tables say", "[qmgr][scheduler][filter]") {
  TempQueue q;
  std::string table = q.dir + "/transport";
  REQUIRE(file::write_atomic(table, "gone@example.test error:5.1.1 account closed\n", 0600));
  std::string a = enqueue(q.dir, {"bob@example.test", "gone@example.test", "z@elsewhere.example"}, "alice@example.test",
                          {{"content_filter", "slow:[127.0.0.1]:10025"}});
  std::string b = enqueue(q.dir, {"carol@example.test"}, "alice@example.test", {{"content_filter", "slow:"}});
  std::string bad = enqueue(q.dir, {"dave@example.test"}, "alice@example.test", {{"content_filter", "../x:y"}});
  event::Loop loop;
  FakeAgent local(loop, q.dir, always_sent());
  FakeAgent slow(loop, q.dir, always_sent(), 0ms, "slow");
  auto cfg = settings_for(q);
  cfg.transport.transport_maps = {"texthash:" + table};
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return !q.has("active", a) && !q.has("active", b) && q.has("deferred", bad); }));
  // No next hop in the filter: the recipient domain (default_filter_nexthop empty).
  CHECK(routed(slow) == std::vector<std::string>{"bob@example.test via [127.0.0.1]:10025", "carol@example.test via example.test",
                                            "gone@example.test via [127.0.0.1]:10025",
                                            "z@elsewhere.example via [127.0.0.1]:10025"});
  CHECK(local.requests.empty());
  // A transport name that is not a service name never becomes a path.
  CHECK(slurp(queue::path(q.dir, "defer", bad)) == "dave@example.test\t4.3.5\tmail transport unavailable\n");

  // default_filter_nexthop fills in a missing next hop.
  CHECK(Router(cfg.transport).filter_route("slow:", "x@y.example") == Route{"slow", "y.example"});
  cfg.transport.default_filter_nexthop = "[10.0.0.1]";
  CHECK(Router(cfg.transport).filter_route("slow", "x@y.example") == Route{"slow", "[10.0.0.1]"});
  CHECK(Router(cfg.transport).filter_route("slow:hub", "x@y.example") == Route{"slow", "hub"});
  CHECK(valid_transport_name("smtp-amavis_2.x"));
  CHECK_FALSE(valid_transport_name(".hidden"));
  CHECK_FALSE(valid_transport_name("a/b"));
  CHECK_FALSE(valid_transport_name(""));
}

TEST_CASE("scheduler: an unreadable transport table defers, never bounces", "[qmgr][scheduler][transport]") {
  TempQueue q;
  std::string id = enqueue(q.dir, {"bob@example.test"});
  event::Loop loop;
  FakeAgent local(loop, q.dir, always_sent());
  auto cfg = settings_for(q);
  cfg.transport.transport_maps = {"hash:" + q.dir + "/no-such-table"};
  Scheduler s(loop, cfg);
  s.start();
  REQUIRE(run_until(loop, [&] { return q.has("deferred", id); }));
  CHECK(local.requests.empty());
  CHECK(slurp(queue::path(q.dir, "defer", id)) == "bob@example.test\t4.3.0\ttransport table lookup failure\n");
}

TEST_CASE("scheduler: per-destination concurrency, per transport", "[qmgr][scheduler][limits]") {
  TempQueue q;
  std::string table = q.dir + "/transport";
  REQUIRE(file::write_atomic(table, "one.example slow:[hub1]\ntwo.example slow:[hub2]\n", 0600));
  // Six recipients at hub1, four at hub2, in separate messages.
  for (int i = 0; i < 6; ++i) enqueue(q.dir, {"u" + std::to_string(i) + "@one.example"});
  for (int i = 0; i < 4; ++i) enqueue(q.dir, {"u" + std::to_string(i) + "@two.example"});
  event::Loop loop;
  FakeAgent slow(loop, q.dir, always_sent(), 30ms, "slow");
  auto cfg = settings_for(q);
  cfg.transport.transport_maps = {"texthash:" + table};

  SECTION("<transport>_destination_concurrency_limit bounds each next hop") {
    cfg.dest_concurrency["slow"] = 2;
    Scheduler s(loop, cfg);
    s.start();
    REQUIRE(run_until(loop, [&] { return slow.requests.size() == 10 && s.messages() == 0; }));
    CHECK(slow.max_hop["[hub1]"] == 2);
    CHECK(slow.max_hop["[hub2]"] == 2);
    CHECK(slow.max_busy == 4);  // both destinations at once
  }
  SECTION("default_destination_concurrency_limit for transports without their own") {
    cfg.default_dest_concurrency = 3;
    cfg.concurrency = 4;  // default_process_limit: the transport's total
    Scheduler s(loop, cfg);
    s.start();
    REQUIRE(run_until(loop, [&] { return slow.requests.size() == 10 && s.messages() == 0; }));
    CHECK(slow.max_hop["[hub1]"] == 3);
    CHECK(slow.max_busy == 4);
  }
  SECTION("recipient limit 1: each recipient is its own destination") {
    cfg.dest_concurrency["slow"] = 1;
    cfg.dest_recipients["slow"] = 1;
    Scheduler s(loop, cfg);
    s.start();
    REQUIRE(run_until(loop, [&] { return slow.requests.size() == 10 && s.messages() == 0; }));
    CHECK(slow.max_hop["[hub1]"] > 1);  // no longer bounded per next hop
  }
}
