// pop3_load - POP3 load generator for the side-by-side benchmarks (bench/run pop3)
// SYNOPSIS  pop3_load --port P [--clients N] [--first-user 1] [--user-prefix user]
//                     [--password-prefix bench-pw-] [--dele] [--expect-messages M]
//                     [--size S --run-id ID [--domain D]] [--timeout S]
// SECURITY  A client: talks only to the address given (default 127.0.0.1),
//           never runs as a server, writes nothing but its report.
// LIMITS    status lines 512 octets (RFC 1939 3), data lines 64 KiB, a message
//           64 MiB, a scan listing 100,000 lines; a server silent for 60 s
//           fails the session; the run ends after --timeout seconds.
// SEE ALSO  maildir_fill, bench/README.md
//
// N clients run concurrently on one libevent loop; client i (0-based) logs
// in as <user-prefix><first-user + i> with password
// <password-prefix><first-user + i> (USER/PASS), then STAT, LIST, RETR of
// every message in order (with --dele, DELE after each RETR), QUIT. One
// command at a time: the server's latency is what is measured.
//
// Parsing is strict: a status line is "+OK" or "-ERR", alone or followed by
// a space; every line ends in CRLF (a bare CR or LF is an error); a
// multi-line response ends with "." alone and the lines starting with '.'
// lose that first '.' (RFC 1939 3). STAT's and LIST's numbers must agree
// with each other and with --expect-messages; each RETR must return as many
// octets as LIST announced; with --run-id and --size each message must be
// byte for byte what maildir_fill wrote (found by its Message-ID).
//
// Figures: messages/s and MiB/s retrieved (message octets after
// unstuffing) from the first connect to the last QUIT's reply; login
// latency from the start of the connect to the +OK for PASS; RETR latency
// from writing RETR to reading the final "."; QUIT latency (with --dele the
// server removes the messages then). Output: key=value lines on stdout for
// bench/run, histograms on stderr. Exit 0 only when every client retrieved
// every message without an error.
//
// It shares no code with the server under test: a parsing bug common to
// both would hide itself.
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

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

constexpr size_t kMaxStatusLine = 512 - 2;  // RFC 1939 3: 512 octets with the CRLF
constexpr size_t kMaxDataLine = 64 * 1024;
constexpr size_t kMaxMessage = 64u << 20;
constexpr uint64_t kMaxListLines = 100000;
constexpr int kReplyTimeoutS = 60;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  unsigned clients = 10;
  unsigned first_user = 1;
  std::string user_prefix = "user";
  std::string password_prefix = "bench-pw-";
  bool dele = false;
  long expect_messages = -1;
  size_t size = 0;  // with run_id: check each message's bytes
  std::string run_id;
  std::string domain = "bench.test";
  unsigned timeout_s = 300;
};

struct Totals {
  uint64_t retrieved = 0, deleted = 0, octets = 0;
  uint64_t err_replies = 0, content_errors = 0, size_mismatches = 0, count_mismatches = 0;
  unsigned sessions_ok = 0, sessions_failed = 0;
  std::vector<int64_t> login_us, retr_us, dele_us, quit_us;
};

class Client;

struct Run {
  Options opt;
  BasePtr base{event_base_new()};
  sockaddr_in addr{};
  std::vector<std::unique_ptr<Client>> clients;
  EventPtr deadline;
  Totals t;
  unsigned active = 0;
  int64_t start_us = 0, end_us = 0;
  bool timed_out = false;
  std::string first_error;

  void note_error(const std::string& e) {
    if (first_error.empty()) first_error = e.substr(0, 200);
  }
  void client_done() {
    if (--active == 0) {
      end_us = bench::now_us();
      event_base_loopexit(base.get(), nullptr);
    }
  }
};

enum class LineResult { Ok, NeedMore, Error };

// "DIGITS SP DIGITS", then the end or SP and anything (RFC 1939 5: the scan
// listing of STAT and LIST). Strict: no sign, no leading space, no
// overflow.
bool two_numbers(const std::string& s, uint64_t& a, uint64_t& b) {
  size_t i = 0;
  auto number = [&](uint64_t& v) {
    size_t start = i;
    v = 0;
    while (i < s.size() && isdigit((unsigned char)s[i])) {
      if (v > (UINT64_MAX - 9) / 10) return false;
      v = v * 10 + uint64_t(s[i++] - '0');
    }
    return i > start;
  };
  if (!number(a) || i >= s.size() || s[i++] != ' ' || !number(b)) return false;
  return i == s.size() || s[i] == ' ';
}

class Client {
 public:
  Client(Run& run, unsigned user) : run_(run), user_(user) {}

  bool connect() {
    bev_.reset(bufferevent_socket_new(run_.base.get(), -1, BEV_OPT_CLOSE_ON_FREE));
    if (!bev_) return false;
    bufferevent_setcb(bev_.get(), on_read, nullptr, on_event, this);
    timeval tv{kReplyTimeoutS, 0};
    bufferevent_set_timeouts(bev_.get(), &tv, &tv);
    bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
    t_connect_ = bench::now_us();
    return bufferevent_socket_connect(bev_.get(), reinterpret_cast<sockaddr*>(&run_.addr),
                                      sizeof run_.addr) == 0;
  }

  // A client that could not even start (no socket) counts as failed.
  void fail_to_start() {
    phase_ = Phase::Done;
    ++run_.t.sessions_failed;
    run_.note_error("cannot create a socket");
  }

 private:
  enum class Phase { Connecting, Greeting, User, Pass, Stat, List, Retr, Dele, Quit, Done };

  static void on_read(bufferevent*, void* arg) noexcept { static_cast<Client*>(arg)->read(); }
  static void on_event(bufferevent*, short what, void* arg) noexcept {
    static_cast<Client*>(arg)->event(what);
  }

  void event(short what) {
    if (what & BEV_EVENT_CONNECTED) {
      int one = 1;
      setsockopt(bufferevent_getfd(bev_.get()), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      phase_ = Phase::Greeting;
      return;
    }
    if (phase_ == Phase::Connecting)
      return fail("connect failed: " + std::string(strerror(EVUTIL_SOCKET_ERROR())));
    if (what & BEV_EVENT_TIMEOUT) return fail("no reply for " + std::to_string(kReplyTimeoutS) + " s");
    fail("server closed the connection");
  }

  // One line without its CRLF into line_.
  LineResult next_line(evbuffer* in, size_t limit) {
    size_t eol_len = 0;
    evbuffer_ptr p = evbuffer_search_eol(in, nullptr, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
    if (p.pos < 0) {
      if (evbuffer_get_length(in) > limit + 1) return error("line longer than " + std::to_string(limit));
      return LineResult::NeedMore;
    }
    size_t len = size_t(p.pos);
    if (len > limit) return error("line longer than " + std::to_string(limit));
    line_.resize(len);
    if (len) evbuffer_remove(in, line_.data(), len);
    evbuffer_drain(in, eol_len);
    // Two memchr scans: find_first_of would call memchr once per byte.
    if (line_.find('\r') != std::string::npos || line_.find('\n') != std::string::npos)
      return error("bare CR or LF in a line");
    return LineResult::Ok;
  }

  LineResult error(const std::string& why) {
    why_ = why;
    return LineResult::Error;
  }

  void read() {
    evbuffer* in = bufferevent_get_input(bev_.get());
    while (phase_ != Phase::Done) {
      size_t limit = in_data_ ? kMaxDataLine : kMaxStatusLine;
      switch (next_line(in, limit)) {
        case LineResult::NeedMore: return;
        case LineResult::Error: return fail(why_);
        case LineResult::Ok: break;
      }
      if (in_data_) {
        data_line();
      } else {
        status_line();
      }
    }
  }

  // "+OK" or "-ERR", alone or followed by SP and text (RFC 1939 3).
  void status_line() {
    bool ok = line_.compare(0, 3, "+OK") == 0 && (line_.size() == 3 || line_[3] == ' ');
    bool err = line_.compare(0, 4, "-ERR") == 0 && (line_.size() == 4 || line_[4] == ' ');
    if (!ok && !err) return fail("malformed status line: " + line_.substr(0, 80));
    if (err) {
      ++run_.t.err_replies;
      return fail("-ERR to " + command_name() + ": " + line_.substr(0, 120));
    }
    std::string text = line_.size() > 4 ? line_.substr(4) : std::string();
    switch (phase_) {
      case Phase::Greeting: phase_ = Phase::User; return send("USER " + user_name() + "\r\n");
      case Phase::User:
        phase_ = Phase::Pass;
        return send("PASS " + run_.opt.password_prefix + std::to_string(user_) + "\r\n");
      case Phase::Pass:
        run_.t.login_us.push_back(bench::now_us() - t_connect_);
        phase_ = Phase::Stat;
        return send("STAT\r\n");
      case Phase::Stat: return stat_reply(text);
      case Phase::List:
      case Phase::Retr:
        in_data_ = true;
        data_.clear();
        if (phase_ == Phase::Retr && sizes_[next_ - 1] <= kMaxMessage) data_.reserve(sizes_[next_ - 1]);
        list_index_ = 0;
        return;
      case Phase::Dele:
        run_.t.dele_us.push_back(bench::now_us() - t_cmd_);
        ++run_.t.deleted;
        return next_retr();
      case Phase::Quit:
        run_.t.quit_us.push_back(bench::now_us() - t_cmd_);
        return finish(true);
      default: return fail("unexpected +OK");
    }
  }

  // "+OK nn mm": both numbers are required (RFC 1939 5, STAT).
  void stat_reply(const std::string& text) {
    uint64_t count = 0, octets = 0;
    if (!two_numbers(text, count, octets) || count > kMaxListLines)
      return fail("malformed STAT reply: " + text.substr(0, 80));
    stat_count_ = count;
    stat_octets_ = octets;
    if (run_.opt.expect_messages >= 0 && count != uint64_t(run_.opt.expect_messages)) {
      ++run_.t.count_mismatches;
      run_.note_error(user_name() + ": STAT says " + std::to_string(count) + " messages, expected " +
                      std::to_string(run_.opt.expect_messages));
    }
    phase_ = Phase::List;
    send("LIST\r\n");
  }

  // A line of a multi-line response. Dot-unstuffing: a line starting with
  // '.' is the end when it is "." alone, else loses its first '.'.
  void data_line() {
    bool end = line_ == ".";
    size_t skip = !end && !line_.empty() && line_[0] == '.' ? 1 : 0;
    if (phase_ == Phase::List) return end ? list_end() : list_line();
    if (end) return retr_end();
    if (data_.size() + line_.size() + 2 > kMaxMessage) return fail("message larger than 64 MiB");
    data_.append(line_, skip, std::string::npos);
    data_ += "\r\n";
  }

  // "msg octets" in ascending message numbers (RFC 1939 5, LIST).
  void list_line() {
    uint64_t n = 0, octets = 0;
    if (!two_numbers(line_, n, octets))
      return fail("malformed LIST line: " + line_.substr(0, 80));
    if (n != list_index_ + 1 || sizes_.size() >= kMaxListLines)
      return fail("LIST line out of order: " + line_.substr(0, 80));
    ++list_index_;
    sizes_.push_back(octets);
  }

  void list_end() {
    in_data_ = false;
    uint64_t sum = 0;
    for (auto s : sizes_) sum += s;
    if (sizes_.size() != stat_count_ || sum != stat_octets_) {
      ++run_.t.count_mismatches;
      run_.note_error(user_name() + ": LIST (" + std::to_string(sizes_.size()) + " messages, " +
                      std::to_string(sum) + " octets) disagrees with STAT (" +
                      std::to_string(stat_count_) + ", " + std::to_string(stat_octets_) + ")");
    }
    next_ = 0;
    next_retr();
  }

  void next_retr() {
    if (next_ >= sizes_.size()) {
      phase_ = Phase::Quit;
      t_cmd_ = bench::now_us();
      return send("QUIT\r\n");
    }
    ++next_;
    phase_ = Phase::Retr;
    t_cmd_ = bench::now_us();
    send("RETR " + std::to_string(next_) + "\r\n");
  }

  void retr_end() {
    in_data_ = false;
    run_.t.retr_us.push_back(bench::now_us() - t_cmd_);
    ++run_.t.retrieved;
    run_.t.octets += data_.size();
    if (data_.size() != sizes_[next_ - 1]) {
      ++run_.t.size_mismatches;
      run_.note_error(user_name() + ": RETR " + std::to_string(next_) + " gave " +
                      std::to_string(data_.size()) + " octets, LIST said " +
                      std::to_string(sizes_[next_ - 1]));
    }
    if (!run_.opt.run_id.empty()) check_content();
    if (run_.opt.dele) {
      phase_ = Phase::Dele;
      t_cmd_ = bench::now_us();
      return send("DELE " + std::to_string(next_) + "\r\n");
    }
    next_retr();
  }

  // The message must be maildir_fill's: find its sequence number in the
  // Message-ID, rebuild the text, compare every byte.
  void check_content() {
    std::string prefix = "\r\nMessage-ID: <" + run_.opt.run_id + ".";
    size_t at = data_.find(prefix);
    unsigned long long seq = 0;
    bool ok = at != std::string::npos &&
              std::sscanf(data_.c_str() + at + prefix.size(), "%llu@", &seq) == 1;
    if (ok) {
      std::string to = run_.opt.user_prefix + std::to_string(user_) + "@" + run_.opt.domain;
      ok = data_ == bench::mailbox_message(run_.opt.run_id, seq, to, run_.opt.size);
    }
    if (!ok) {
      ++run_.t.content_errors;
      run_.note_error(user_name() + ": RETR " + std::to_string(next_) + ": not the message the fill wrote");
    }
  }

  std::string user_name() const { return run_.opt.user_prefix + std::to_string(user_); }

  std::string command_name() const {
    switch (phase_) {
      case Phase::Greeting: return "the greeting";
      case Phase::User: return "USER";
      case Phase::Pass: return "PASS";
      case Phase::Stat: return "STAT";
      case Phase::List: return "LIST";
      case Phase::Retr: return "RETR";
      case Phase::Dele: return "DELE";
      case Phase::Quit: return "QUIT";
      default: return "?";
    }
  }

  void send(const std::string& s) { bench::write_now(bev_.get(), s); }

  void fail(const std::string& why) {
    if (phase_ == Phase::Done) return;
    run_.note_error(user_name() + ": " + why);
    finish(false);
  }

  void finish(bool ok) {
    phase_ = Phase::Done;
    bool clean = ok && stat_count_ == sizes_.size() && next_ == sizes_.size() &&
                 (run_.opt.expect_messages < 0 || sizes_.size() == uint64_t(run_.opt.expect_messages));
    if (clean) ++run_.t.sessions_ok;
    else ++run_.t.sessions_failed;
    // Freed with the run: the client stays put, only its connection goes.
    bev_.reset();
    run_.client_done();
  }

  Run& run_;
  unsigned user_;
  BevPtr bev_;
  Phase phase_ = Phase::Connecting;
  bool in_data_ = false;
  std::string line_, data_, why_;
  uint64_t stat_count_ = 0, stat_octets_ = 0, list_index_ = 0;
  std::vector<uint64_t> sizes_;
  size_t next_ = 0;  // the message number of the current RETR/DELE, 1-based
  int64_t t_connect_ = 0, t_cmd_ = 0;
};

[[noreturn]] void usage() {
  std::fputs(
      "usage: pop3_load --port P [--host 127.0.0.1] [--clients 10] [--first-user 1]\n"
      "         [--user-prefix user] [--password-prefix bench-pw-] [--dele]\n"
      "         [--expect-messages M] [--size S --run-id ID [--domain bench.test]]\n"
      "         [--timeout 300]\n",
      stderr);
  std::exit(2);
}

unsigned long long arg_number(const char* name, const char* v, unsigned long long lo,
                              unsigned long long hi) {
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (errno || !*v || *end || n < lo || n > hi) {
    std::fprintf(stderr, "pop3_load: --%s: need a number in %llu..%llu\n", name, lo, hi);
    std::exit(2);
  }
  return n;
}

// Names and passwords go on the wire inside a command line: no CR, LF,
// space or control characters.
bool word_ok(const std::string& s) {
  for (char c : s)
    if ((unsigned char)c <= ' ' || c == 0x7f) return false;
  return true;
}

Options parse(int argc, char** argv) {
  Options o;
  static const option longopts[] = {
      {"host", required_argument, nullptr, 'h'},       {"port", required_argument, nullptr, 'p'},
      {"clients", required_argument, nullptr, 'n'},    {"first-user", required_argument, nullptr, 'f'},
      {"user-prefix", required_argument, nullptr, 'u'}, {"password-prefix", required_argument, nullptr, 'w'},
      {"dele", no_argument, nullptr, 'D'},             {"expect-messages", required_argument, nullptr, 'e'},
      {"size", required_argument, nullptr, 's'},       {"run-id", required_argument, nullptr, 'i'},
      {"domain", required_argument, nullptr, 'd'},     {"timeout", required_argument, nullptr, 't'},
      {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    switch (c) {
      case 'h': o.host = optarg; break;
      case 'p': o.port = int(arg_number("port", optarg, 1, 65535)); break;
      case 'n': o.clients = unsigned(arg_number("clients", optarg, 1, 10000)); break;
      case 'f': o.first_user = unsigned(arg_number("first-user", optarg, 0, 1000000)); break;
      case 'u': o.user_prefix = optarg; break;
      case 'w': o.password_prefix = optarg; break;
      case 'D': o.dele = true; break;
      case 'e': o.expect_messages = long(arg_number("expect-messages", optarg, 0, kMaxListLines)); break;
      case 's': o.size = size_t(arg_number("size", optarg, 1, kMaxMessage)); break;
      case 'i': o.run_id = optarg; break;
      case 'd': o.domain = optarg; break;
      case 't': o.timeout_s = unsigned(arg_number("timeout", optarg, 1, 86400)); break;
      default: usage();
    }
  }
  if (optind != argc || o.port == 0) usage();
  if (o.run_id.empty() != (o.size == 0)) {
    std::fprintf(stderr, "pop3_load: --run-id and --size go together (the content check)\n");
    std::exit(2);
  }
  if (!word_ok(o.user_prefix) || !word_ok(o.password_prefix) || !word_ok(o.run_id) ||
      !word_ok(o.domain)) {
    std::fprintf(stderr, "pop3_load: names without spaces or control characters\n");
    std::exit(2);
  }
  return o;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

void report(const char* what, std::vector<int64_t>& samples, const char* prefix) {
  auto sum = bench::summarize(samples);
  std::printf("%s\n", bench::format_summary(prefix, sum).c_str());
  std::fprintf(stderr, "%s (%zu):\n", what, samples.size());
  bench::print_histogram(stderr, samples);
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a server that resets a connection must not kill the client
  raise_fd_limit();
  Run run;
  run.opt = parse(argc, argv);
  if (!run.base) return 1;
  run.addr.sin_family = AF_INET;
  run.addr.sin_port = htons(uint16_t(run.opt.port));
  if (inet_pton(AF_INET, run.opt.host.c_str(), &run.addr.sin_addr) != 1) {
    std::fprintf(stderr, "pop3_load: --host: an IPv4 address\n");
    return 2;
  }
  run.deadline.reset(evtimer_new(run.base.get(), [](evutil_socket_t, short, void* arg) noexcept {
    auto* r = static_cast<Run*>(arg);
    r->timed_out = true;
    r->end_us = bench::now_us();
    r->note_error("run deadline reached");
    event_base_loopbreak(r->base.get());
  }, &run));
  timeval tv{time_t(run.opt.timeout_s), 0};
  evtimer_add(run.deadline.get(), &tv);

  run.start_us = bench::now_us();
  for (unsigned i = 0; i < run.opt.clients; ++i) {
    auto c = std::make_unique<Client>(run, run.opt.first_user + i);
    if (c->connect()) ++run.active;
    else c->fail_to_start();
    run.clients.push_back(std::move(c));
  }
  if (run.active > 0) event_base_dispatch(run.base.get());
  if (run.end_us == 0) run.end_us = bench::now_us();
  // Sessions cut by the deadline are neither ok nor counted failed yet.
  unsigned unfinished = run.opt.clients - run.t.sessions_ok - run.t.sessions_failed;
  run.t.sessions_failed += unfinished;
  run.clients.clear();

  auto& t = run.t;
  double secs = double(run.end_us - run.start_us) / 1e6;
  uint64_t errors = t.sessions_failed + t.err_replies + t.content_errors + t.size_mismatches +
                    t.count_mismatches;
  std::printf("mode=pop3 clients=%u first_user=%u dele=%d expect_messages=%ld content_check=%d\n",
              run.opt.clients, run.opt.first_user, run.opt.dele ? 1 : 0, run.opt.expect_messages,
              run.opt.run_id.empty() ? 0 : 1);
  std::printf("sessions_ok=%u sessions_failed=%u retrieved=%llu deleted=%llu octets=%llu "
              "err_replies=%llu content_errors=%llu size_mismatches=%llu count_mismatches=%llu "
              "errors=%llu timed_out=%d\n",
              t.sessions_ok, t.sessions_failed, (unsigned long long)t.retrieved,
              (unsigned long long)t.deleted, (unsigned long long)t.octets,
              (unsigned long long)t.err_replies, (unsigned long long)t.content_errors,
              (unsigned long long)t.size_mismatches, (unsigned long long)t.count_mismatches,
              (unsigned long long)errors, run.timed_out ? 1 : 0);
  std::printf("elapsed_s=%.3f msgs_per_s=%.1f mib_per_s=%.2f\n", secs,
              secs > 0 ? double(t.retrieved) / secs : 0.0,
              secs > 0 ? double(t.octets) / secs / 1048576.0 : 0.0);
  report("login latency, connect -> +OK to PASS", t.login_us, "login_");
  report("RETR latency, command -> final dot", t.retr_us, "retr_");
  if (run.opt.dele) report("DELE latency", t.dele_us, "dele_");
  report("QUIT latency (with --dele: the expunge)", t.quit_us, "quit_");
  if (!run.first_error.empty()) std::printf("first_error=\"%s\"\n", run.first_error.c_str());
  return errors == 0 && !run.timed_out ? 0 : 1;
}
