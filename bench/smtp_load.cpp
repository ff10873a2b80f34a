// smtp_load - SMTP load generator for the side-by-side benchmarks (bench/run)
// SYNOPSIS  smtp_load --port P [--sessions N] [--messages M] [--per-conn K]
//                     [--size SPEC] [--rcpts R] [--users U] [--domain D]
//                     [--pipelining] [--chunking] [--records FILE]
//                     [--run-id ID] [--timeout S] [--rate R]
//           smtp_load --port P --idle N --hold S [--ready-file FILE]
// SECURITY  A client: talks only to the address given (default 127.0.0.1),
//           never runs as a server, writes only the --records file.
// LIMITS    server reply lines 8 KiB, reply 64 lines, messages 64 MiB,
//           a run ends after --timeout seconds whatever happens.
// SEE ALSO  e2e_watch, bench/README.md
//
// N sessions run concurrently on one libevent loop; together they send M
// messages, K per connection (then QUIT and a new connection). With
// --rate R the load is paced (open loop): message k starts no earlier than
// k/R seconds after the first connection, so that latency can be compared
// at a load both servers sustain, not only at saturation; without it each
// session starts its next message as soon as the last one is done. Latency per
// message is from writing MAIL FROM to reading the 250 for the final dot
// (or for BDAT LAST). Output: key=value lines on stdout for bench/run, a
// histogram on stderr, and with --records one line per message
//   seq <TAB> message-id <TAB> status <TAB> t_mail_us <TAB> t_250_us <TAB> queue-id <TAB> nrcpt <TAB> size
// under a "# start_us=T" header, times on CLOCK_MONOTONIC (see stats.h).
//
// It deliberately shares no code with the server under test: a parsing bug
// common to both would hide itself.
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "bench/bev_write.h"
#include "bench/message.h"
#include "bench/stats.h"
#include "lib/event/event.h"

namespace {

using buzon::event::BasePtr;
using buzon::event::CFree;
using BevPtr = std::unique_ptr<bufferevent, CFree<bufferevent, bufferevent_free>>;
using EventPtr = std::unique_ptr<event, CFree<event, event_free>>;

constexpr size_t kMaxReplyLine = 8192;  // RFC 5321 4.5.3.1.5: 512; generous for odd servers
constexpr int kMaxReplyLines = 64;
constexpr int kMaxConnectFailures = 50;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  unsigned sessions = 10;
  uint64_t messages = 1000;
  unsigned per_conn = 1;
  bench::SizeDist sizes = *bench::SizeDist::parse("4096");
  unsigned rcpts = 1;
  unsigned users = 100;
  std::string domain = "bench.test";
  std::string helo = "client.bench.invalid";
  std::string sender = "bench@client.invalid";
  bool pipelining = false;
  bool chunking = false;
  std::string records;
  std::string run_id;
  unsigned timeout_s = 300;
  unsigned idle = 0;
  unsigned hold_s = 0;
  std::string ready_file;
  uint64_t seed = 1;
  unsigned rate = 0;  // messages per second over all sessions; 0 = as fast as the server answers
};

struct Record {
  uint64_t seq = 0;
  int status = 0;  // final reply code seen; 250 = accepted; 0 = connection lost
  int64_t t_mail = 0, t_done = 0;
  std::string queue_id;
  unsigned nrcpt = 0;
  size_t size = 0;
};

class Session;

struct Run {
  Options opt;
  BasePtr base{event_base_new()};
  sockaddr_in addr{};
  std::mt19937_64 rng;
  uint64_t next_seq = 0;
  std::list<std::unique_ptr<Session>> sessions;
  std::vector<std::unique_ptr<Session>> graveyard;
  EventPtr reaper;
  EventPtr deadline;
  EventPtr hold;
  std::vector<Record> records;
  int64_t start_us = 0, end_us = 0;
  unsigned connect_failures = 0;
  unsigned connections = 0;
  unsigned idle_established = 0, idle_settled = 0;
  bool timed_out = false;
  bool aborted = false;
  bool ready_file_written = false;
  std::string first_error;

  void spawn();
  void retire(Session* s);
  void settle_idle(Session* s);
  void start_hold();
  bool more_messages() const { return !aborted && next_seq < opt.messages; }
  // Sessions still connecting will each claim a message: without counting
  // them, the last few retirements would open connections that only QUIT.
  unsigned starting = 0;
  bool spawn_needed() const { return more_messages() && next_seq + starting < opt.messages; }
  void note_error(const std::string& e) {
    if (first_error.empty()) first_error = e;
  }
  // --rate: when message seq may start.
  int64_t due_us(uint64_t seq) const { return start_us + int64_t(seq * 1000000 / opt.rate); }
};

// One SMTP connection. The transaction is a list of steps; with PIPELINING
// (RFC 2920) every step up to DATA goes out in one write, otherwise one step
// per reply. DATA is a synchronisation point in both modes (RFC 2920 3.1).
class Session {
 public:
  explicit Session(Run& run) : run_(run) {}

  bool connect() {
    starting_ = true;
    ++run_.starting;
    bev_.reset(bufferevent_socket_new(run_.base.get(), -1, BEV_OPT_CLOSE_ON_FREE));
    if (!bev_) return false;
    bufferevent_setcb(bev_.get(), on_read, nullptr, on_event, this);
    timeval tv{60, 0};  // a server that stalls a minute has failed the run
    bufferevent_set_timeouts(bev_.get(), &tv, &tv);
    bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(bev_.get(), reinterpret_cast<sockaddr*>(&run_.addr),
                                   sizeof run_.addr) < 0)
      return false;
    return true;
  }

  void quit_now() {
    if (phase_ == Phase::Idle) send_quit();
  }

 private:
  enum class Phase { Connecting, Greeting, Ehlo, Txn, Quit, Idle, Done };
  struct Step {
    std::string text;
    int expect;
    bool sync;  // DATA: nothing after it may be sent before its 354
  };

  static void on_read(bufferevent*, void* arg) noexcept { static_cast<Session*>(arg)->read_replies(); }
  static void on_event(bufferevent*, short what, void* arg) noexcept {
    static_cast<Session*>(arg)->event(what);
  }

  void event(short what) {
    if (what & BEV_EVENT_CONNECTED) {
      int one = 1;
      setsockopt(bufferevent_getfd(bev_.get()), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      phase_ = Phase::Greeting;
      return;
    }
    if (phase_ == Phase::Connecting) {
      ++run_.connect_failures;
      run_.note_error("connect failed: " + std::string(strerror(EVUTIL_SOCKET_ERROR())));
    }
    if (phase_ == Phase::Quit) return finish();  // the 221 may race the close
    if (what & BEV_EVENT_TIMEOUT) run_.note_error("server reply timeout");
    else if (what & BEV_EVENT_EOF) run_.note_error("server closed the connection");
    fail(0, "connection lost");
  }

  void read_replies() {
    evbuffer* in = bufferevent_get_input(bev_.get());
    while (phase_ != Phase::Done) {
      size_t len = 0;
      char* line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
      if (!line) {
        if (evbuffer_get_length(in) > kMaxReplyLine) fail(0, "reply line too long");
        return;
      }
      std::string text(line, len);
      free(line);
      // RFC 5321 4.2: three digits, then '-' (more lines follow) or ' '/end.
      bool ok = len >= 3 && isdigit((unsigned char)text[0]) && isdigit((unsigned char)text[1]) &&
                isdigit((unsigned char)text[2]) &&
                (len == 3 || text[3] == ' ' || text[3] == '-');
      if (!ok || len > kMaxReplyLine) return fail(0, "malformed reply: " + text.substr(0, 80));
      int code = std::atoi(text.substr(0, 3).c_str());
      bool more = len > 3 && text[3] == '-';
      std::string rest = len > 4 ? text.substr(4) : std::string();
      if (phase_ == Phase::Ehlo && lines_ > 0) note_capability(rest);
      if (more) {
        if (++lines_ > kMaxReplyLines) return fail(0, "reply has too many lines");
        continue;
      }
      lines_ = 0;
      reply(code, rest);
    }
  }

  void note_capability(const std::string& kw) {
    auto word = kw.substr(0, kw.find(' '));
    for (auto& c : word) c = char(toupper((unsigned char)c));
    if (word == "PIPELINING") cap_pipelining_ = true;
    if (word == "CHUNKING") cap_chunking_ = true;
  }

  void reply(int code, const std::string& text) {
    switch (phase_) {
      case Phase::Greeting:
        if (code != 220) return fail(code, "greeting " + text);
        phase_ = Phase::Ehlo;
        return write("EHLO " + run_.opt.helo + "\r\n");
      case Phase::Ehlo:
        if (code != 250) return fail(code, "EHLO " + text);
        if (run_.opt.pipelining && !cap_pipelining_) return abort_run("server lacks PIPELINING");
        if (run_.opt.chunking && !cap_chunking_) return abort_run("server lacks CHUNKING");
        if (run_.opt.idle) {
          phase_ = Phase::Idle;
          ++run_.idle_established;
          return run_.settle_idle(this);
        }
        phase_ = Phase::Txn;
        leave_starting();
        return next_message();
      case Phase::Txn:
        return txn_reply(code, text);
      case Phase::Quit:
        return finish();
      default:
        return fail(code, "unexpected reply " + text);
    }
  }

  void next_message() {
    if (!run_.more_messages() || on_conn_ >= run_.opt.per_conn) return send_quit();
    ++on_conn_;
    rec_ = Record{};
    rec_.seq = run_.next_seq++;
    int64_t wait = run_.opt.rate ? run_.due_us(rec_.seq) - bench::now_us() : 0;
    if (wait > 0) return wait_until_due(wait);
    send_message();
  }

  // --rate: this session has claimed message rec_.seq, whose time has not
  // come yet.
  void wait_until_due(int64_t wait_us) {
    if (!pace_)
      pace_.reset(evtimer_new(run_.base.get(), [](evutil_socket_t, short, void* arg) noexcept {
        static_cast<Session*>(arg)->send_message();
      }, this));
    timeval tv{time_t(wait_us / 1000000), suseconds_t(wait_us % 1000000)};
    evtimer_add(pace_.get(), &tv);
  }

  void send_message() {
    rec_.size = run_.opt.sizes.pick(run_.rng);
    rec_.nrcpt = run_.opt.rcpts;
    steps_.clear();
    std::string first_to;
    steps_.push_back({"MAIL FROM:<" + run_.opt.sender + ">\r\n", 250, false});
    for (unsigned j = 0; j < run_.opt.rcpts; ++j) {
      std::string to = "user" +
                       std::to_string(bench::recipient_user(rec_.seq, j, run_.opt.rcpts, run_.opt.users)) +
                       "@" + run_.opt.domain;
      if (j == 0) first_to = to;
      steps_.push_back({"RCPT TO:<" + to + ">\r\n", 250, false});
    }
    std::string msg = bench::build_message(run_.opt.run_id, rec_.seq, first_to, rec_.size);
    if (run_.opt.chunking) {
      // RFC 3030: one BDAT LAST chunk, the octets as they are (no dot-stuffing).
      steps_.push_back({"BDAT " + std::to_string(msg.size()) + " LAST\r\n" + msg, 250, false});
    } else {
      steps_.push_back({"DATA\r\n", 354, true});
      steps_.push_back({msg + ".\r\n", 250, false});
    }
    sent_ = replied_ = 0;
    rec_.t_mail = bench::now_us();
    send_ready();
  }

  bool may_send(size_t i) const {
    if (i == 0) return true;
    if (!run_.opt.pipelining || steps_[i - 1].sync) return replied_ >= i;
    return true;
  }

  void send_ready() {
    while (sent_ < steps_.size() && may_send(sent_)) write(steps_[sent_++].text);
  }

  void txn_reply(int code, const std::string& text) {
    if (replied_ >= sent_) return fail(code, "reply without a command: " + text);
    if (code != steps_[replied_].expect) return fail(code, text);
    ++replied_;
    if (replied_ < steps_.size()) return send_ready();
    rec_.t_done = bench::now_us();
    rec_.status = code;
    // Postfix: "250 2.0.0 Ok: queued as 4Xk2Lq1Z3vz"; otherwise the last word.
    auto pos = text.find("queued as ");
    std::string qid = pos != std::string::npos ? text.substr(pos + 10) : text.substr(text.rfind(' ') + 1);
    rec_.queue_id = qid.substr(0, qid.find(' ')).substr(0, 64);
    run_.records.push_back(rec_);
    steps_.clear();
    next_message();
  }

  void send_quit() {
    phase_ = Phase::Quit;
    write("QUIT\r\n");
  }

  void write(const std::string& s) { bench::write_now(bev_.get(), s); }

  void fail(int code, const std::string& why) {
    if (phase_ == Phase::Done) return;
    if (!steps_.empty()) {
      rec_.status = code;
      rec_.t_done = bench::now_us();
      rec_.queue_id = "-";
      run_.records.push_back(rec_);
      steps_.clear();
      run_.note_error(why.substr(0, 200));
    } else if (phase_ != Phase::Connecting) {
      run_.note_error(why.substr(0, 200));
    }
    // A server that fails every session before its first message would
    // otherwise be reconnected to until the deadline.
    if (phase_ == Phase::Greeting || phase_ == Phase::Ehlo) ++run_.connect_failures;
    if (run_.opt.idle) run_.settle_idle(this);
    finish();
  }

  void leave_starting() {
    if (starting_) {
      starting_ = false;
      --run_.starting;
    }
  }

  void abort_run(const std::string& why) {
    run_.note_error(why);
    run_.aborted = true;
    finish();
  }

  void finish() {
    leave_starting();
    phase_ = Phase::Done;
    bufferevent_disable(bev_.get(), EV_READ | EV_WRITE);
    run_.retire(this);
  }

  friend struct Run;
  Run& run_;
  BevPtr bev_;
  Phase phase_ = Phase::Connecting;
  int lines_ = 0;
  bool cap_pipelining_ = false, cap_chunking_ = false;
  unsigned on_conn_ = 0;
  bool starting_ = false;
  EventPtr pace_;  // --rate: waits for the claimed message's time
  std::vector<Step> steps_;
  size_t sent_ = 0, replied_ = 0;
  Record rec_;

 public:
  bool counted_idle = false;
};

void Run::spawn() {
  auto s = std::make_unique<Session>(*this);
  ++connections;
  if (start_us == 0) start_us = bench::now_us();
  if (!s->connect()) {
    s->leave_starting();
    ++connect_failures;
    note_error("cannot create a socket");
    if (opt.idle) ++idle_settled;
    if (sessions.empty()) event_base_loopexit(base.get(), nullptr);
    return;
  }
  sessions.push_back(std::move(s));
}

void Run::settle_idle(Session* s) {
  if (s->counted_idle) return;
  s->counted_idle = true;
  if (++idle_settled == opt.idle) start_hold();
}

void Run::start_hold() {
  if (!ready_file_written && !opt.ready_file.empty()) {
    ready_file_written = true;
    if (FILE* f = std::fopen(opt.ready_file.c_str(), "w")) {
      std::fprintf(f, "idle_established=%u\n", idle_established);
      std::fclose(f);
    }
  }
  std::fprintf(stdout, "idle_established=%u\n", idle_established);
  std::fflush(stdout);
  hold.reset(evtimer_new(base.get(), [](evutil_socket_t, short, void* arg) noexcept {
    auto* run = static_cast<Run*>(arg);
    for (auto& s : run->sessions) s->quit_now();
  }, this));
  timeval tv{time_t(opt.hold_s), 0};
  evtimer_add(hold.get(), &tv);
}

// A session ends from inside its own callback, so it is moved to the
// graveyard and freed from a zero-delay timer once the callback returned.
void Run::retire(Session* s) {
  for (auto it = sessions.begin(); it != sessions.end(); ++it) {
    if (it->get() != s) continue;
    graveyard.push_back(std::move(*it));
    sessions.erase(it);
    break;
  }
  if (!reaper)
    reaper.reset(evtimer_new(base.get(), [](evutil_socket_t, short, void* arg) noexcept {
      static_cast<Run*>(arg)->graveyard.clear();
    }, this));
  timeval zero{0, 0};
  evtimer_add(reaper.get(), &zero);
  if (connect_failures > kMaxConnectFailures) aborted = true;
  // Keep N sessions busy while messages remain (K per connection).
  if (!opt.idle && spawn_needed()) return spawn();
  if (sessions.empty()) {
    end_us = bench::now_us();
    event_base_loopexit(base.get(), nullptr);
  }
}

void usage() {
  std::fputs(
      "usage: smtp_load --port P [--host 127.0.0.1] [--sessions 10] [--messages 1000]\n"
      "         [--per-conn 1] [--size 4096|SIZE:WEIGHT,...] [--rcpts 1] [--users 100]\n"
      "         [--domain bench.test] [--pipelining] [--chunking] [--records FILE]\n"
      "         [--run-id ID] [--timeout 300] [--seed 1] [--rate MSGS_PER_S]\n"
      "       smtp_load --port P --idle N --hold SECONDS [--ready-file FILE]\n",
      stderr);
  std::exit(2);
}

unsigned long long arg_number(const char* name, const char* v, unsigned long long lo,
                              unsigned long long hi) {
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (errno || !*v || *end || n < lo || n > hi) {
    std::fprintf(stderr, "smtp_load: --%s: need a number in %llu..%llu\n", name, lo, hi);
    std::exit(2);
  }
  return n;
}

Options parse(int argc, char** argv) {
  Options o;
  static const option longopts[] = {
      {"host", required_argument, nullptr, 'h'},     {"port", required_argument, nullptr, 'p'},
      {"sessions", required_argument, nullptr, 'n'}, {"messages", required_argument, nullptr, 'm'},
      {"per-conn", required_argument, nullptr, 'k'}, {"size", required_argument, nullptr, 's'},
      {"rcpts", required_argument, nullptr, 'r'},    {"users", required_argument, nullptr, 'u'},
      {"domain", required_argument, nullptr, 'd'},   {"pipelining", no_argument, nullptr, 'P'},
      {"chunking", no_argument, nullptr, 'C'},       {"records", required_argument, nullptr, 'o'},
      {"run-id", required_argument, nullptr, 'i'},   {"timeout", required_argument, nullptr, 't'},
      {"idle", required_argument, nullptr, 'I'},     {"hold", required_argument, nullptr, 'H'},
      {"ready-file", required_argument, nullptr, 'R'}, {"seed", required_argument, nullptr, 'S'},
      {"rate", required_argument, nullptr, 'Q'},
      {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    switch (c) {
      case 'h': o.host = optarg; break;
      case 'p': o.port = int(arg_number("port", optarg, 1, 65535)); break;
      case 'n': o.sessions = unsigned(arg_number("sessions", optarg, 1, 20000)); break;
      case 'm': o.messages = arg_number("messages", optarg, 1, 100000000); break;
      case 'k': o.per_conn = unsigned(arg_number("per-conn", optarg, 1, 1000000)); break;
      case 's': {
        auto d = bench::SizeDist::parse(optarg);
        if (!d) {
          std::fprintf(stderr, "smtp_load: --size: SIZE or SIZE:WEIGHT,... (1..64 MiB)\n");
          std::exit(2);
        }
        o.sizes = *d;
        break;
      }
      case 'r': o.rcpts = unsigned(arg_number("rcpts", optarg, 1, 1000)); break;
      case 'u': o.users = unsigned(arg_number("users", optarg, 1, 1000000)); break;
      case 'd': o.domain = optarg; break;
      case 'P': o.pipelining = true; break;
      case 'C': o.chunking = true; break;
      case 'o': o.records = optarg; break;
      case 'i': o.run_id = optarg; break;
      case 't': o.timeout_s = unsigned(arg_number("timeout", optarg, 1, 86400)); break;
      case 'I': o.idle = unsigned(arg_number("idle", optarg, 1, 100000)); break;
      case 'H': o.hold_s = unsigned(arg_number("hold", optarg, 0, 86400)); break;
      case 'R': o.ready_file = optarg; break;
      case 'S': o.seed = arg_number("seed", optarg, 0, ~0ull); break;
      case 'Q': o.rate = unsigned(arg_number("rate", optarg, 1, 1000000)); break;
      default: usage();
    }
  }
  if (optind != argc || o.port == 0) usage();
  if (o.rcpts > o.users) {
    std::fprintf(stderr, "smtp_load: --rcpts must not exceed --users (recipients are distinct)\n");
    std::exit(2);
  }
  if (o.run_id.empty()) o.run_id = "r" + std::to_string(getpid()) + "x" + std::to_string(bench::now_us());
  for (char ch : o.run_id)
    if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_') {
      std::fprintf(stderr, "smtp_load: --run-id: letters, digits, '-' and '_' only\n");
      std::exit(2);
    }
  return o;
}

// Each session holds a socket; 2,000 idle sessions need more than the
// usual soft limit of 1,024 descriptors.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

bool write_records(const Run& run) {
  FILE* f = std::fopen(run.opt.records.c_str(), "w");
  if (!f) return false;
  std::fprintf(f, "# start_us=%lld end_us=%lld run_id=%s\n", (long long)run.start_us,
               (long long)run.end_us, run.opt.run_id.c_str());
  for (const auto& r : run.records)
    std::fprintf(f, "%llu\t%s\t%d\t%lld\t%lld\t%s\t%u\t%zu\n", (unsigned long long)r.seq,
                 bench::message_id(run.opt.run_id, r.seq).c_str(), r.status, (long long)r.t_mail,
                 (long long)r.t_done, r.queue_id.c_str(), r.nrcpt, r.size);
  return std::fclose(f) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a server that resets a connection must not kill the client
  raise_fd_limit();
  Run run;
  run.opt = parse(argc, argv);
  if (!run.base) return 1;
  run.rng.seed(run.opt.seed);
  run.addr.sin_family = AF_INET;
  run.addr.sin_port = htons(uint16_t(run.opt.port));
  if (inet_pton(AF_INET, run.opt.host.c_str(), &run.addr.sin_addr) != 1) {
    std::fprintf(stderr, "smtp_load: --host: an IPv4 address\n");
    return 2;
  }
  run.deadline.reset(evtimer_new(run.base.get(), [](evutil_socket_t, short, void* arg) noexcept {
    auto* r = static_cast<Run*>(arg);
    r->timed_out = true;
    r->end_us = bench::now_us();
    event_base_loopbreak(r->base.get());
  }, &run));
  timeval tv{time_t(run.opt.timeout_s + run.opt.hold_s), 0};
  evtimer_add(run.deadline.get(), &tv);

  unsigned n = run.opt.idle ? run.opt.idle : run.opt.sessions;
  if (!run.opt.idle && n > run.opt.messages) n = unsigned(run.opt.messages);
  for (unsigned i = 0; i < n; ++i) run.spawn();
  if (run.opt.idle && run.idle_settled == run.opt.idle) run.start_hold();
  if (!run.sessions.empty()) event_base_dispatch(run.base.get());
  if (run.end_us == 0) run.end_us = bench::now_us();

  if (run.opt.idle) {
    std::printf("mode=idle sessions=%u idle_established=%u timed_out=%d\n", run.opt.idle,
                run.idle_established, run.timed_out ? 1 : 0);
    if (!run.first_error.empty()) std::printf("first_error=\"%s\"\n", run.first_error.c_str());
    return run.idle_established == run.opt.idle && !run.timed_out ? 0 : 1;
  }

  std::vector<int64_t> lat;
  uint64_t accepted = 0, bytes = 0;
  for (const auto& r : run.records)
    if (r.status == 250) {
      ++accepted;
      bytes += r.size;
      lat.push_back(r.t_done - r.t_mail);
    }
  uint64_t failed = run.records.size() - accepted;
  double secs = double(run.end_us - run.start_us) / 1e6;
  auto sum = bench::summarize(lat);
  std::printf("mode=load sessions=%u messages=%llu per_conn=%u size=%s rcpts=%u users=%u "
              "pipelining=%d chunking=%d rate=%u\n",
              run.opt.sessions, (unsigned long long)run.opt.messages, run.opt.per_conn,
              run.opt.sizes.describe().c_str(), run.opt.rcpts, run.opt.users, run.opt.pipelining,
              run.opt.chunking, run.opt.rate);
  std::printf("run_id=%s accepted=%llu failed=%llu not_sent=%llu connections=%u "
              "connect_failures=%u timed_out=%d\n",
              run.opt.run_id.c_str(), (unsigned long long)accepted, (unsigned long long)failed,
              (unsigned long long)(run.opt.messages - run.records.size()), run.connections,
              run.connect_failures, run.timed_out ? 1 : 0);
  std::printf("elapsed_s=%.3f accepted_per_s=%.1f accepted_mib_per_s=%.2f\n", secs,
              secs > 0 ? double(accepted) / secs : 0.0,
              secs > 0 ? double(bytes) / secs / 1048576.0 : 0.0);
  std::printf("%s\n", bench::format_summary("lat_", sum).c_str());
  if (!run.first_error.empty()) std::printf("first_error=\"%s\"\n", run.first_error.c_str());
  std::fprintf(stderr, "latency MAIL -> 250 after the data (%zu messages):\n", lat.size());
  bench::print_histogram(stderr, lat);
  if (!run.opt.records.empty() && !write_records(run)) {
    std::fprintf(stderr, "smtp_load: cannot write %s: %s\n", run.opt.records.c_str(), strerror(errno));
    return 1;
  }
  return accepted == run.opt.messages && !run.timed_out ? 0 : 1;
}
