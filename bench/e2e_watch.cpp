// e2e_watch - end-to-end delivery timing for the benchmarks (bench/run)
// SYNOPSIS  e2e_watch watch --expect N --out FILE [--prefix RUNID] [--ready-file F]
//                     [--timeout S] [--idle-timeout S] NEWDIR...
//           e2e_watch report --sent RECORDS --seen FILE
// SECURITY  Reads the Maildir files of the benchmark users (run it as their
//           owner or root); writes only --out / --ready-file.
// LIMITS    header read 256 KiB a file, 100,000 directories, a watch ends
//           after --timeout seconds whatever happens.
// SEE ALSO  smtp_load, bench/README.md
//
// watch: inotify on each user's Maildir new/ (IN_MOVED_TO for rename(2),
// IN_CREATE for link(2), as Postfix's virtual does; IN_CLOSE_WRITE for a
// writer that creates in new/ directly). Each new file's Message-ID is read
// from its header; a line "message-id <TAB> t_us <TAB> path" goes to --out,
// t_us being the CLOCK_MONOTONIC time the event was read (the same clock as
// smtp_load's records). Stops after N deliveries carrying the --prefix run
// id, after --idle-timeout seconds without one, or on SIGTERM.
//
// report: joins smtp_load's records with the watch output and prints
// key=value figures: end-to-end msg/s (first connection to the last file
// in new/), delivery latency 250 -> new/ per delivery, missing and
// duplicate deliveries.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bench/stats.h"
#include "lib/core/fd.h"

namespace {

constexpr size_t kHeaderMax = 256 * 1024;
constexpr size_t kMaxDirs = 100000;
volatile sig_atomic_t g_stop = 0;  // SIGTERM: stop watching, keep what was recorded

void die(const std::string& msg) {
  std::fprintf(stderr, "e2e_watch: %s\n", msg.c_str());
  std::exit(2);
}

// The Message-ID of a message file, or "" when the header has none (yet).
// Folded header lines (RFC 5322 2.2.3) are unfolded for this one field.
std::string read_message_id(const std::string& path, bool* complete_header) {
  *complete_header = false;
  buzon::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return "";
  std::string buf(kHeaderMax, '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
    if (buf.find("\n\r\n") < got || buf.find("\n\n") < got) break;
  }
  buf.resize(got);
  size_t end = buf.find("\n\r\n");
  if (end == std::string::npos) end = buf.find("\n\n");
  if (end != std::string::npos) {
    *complete_header = true;
    buf.resize(end + 1);
  }
  size_t pos = 0;
  while (pos < buf.size()) {
    size_t eol = buf.find('\n', pos);
    if (eol == std::string::npos) eol = buf.size();
    if (eol - pos > 11 && strncasecmp(buf.data() + pos, "message-id:", 11) == 0) {
      std::string v = buf.substr(pos + 11, eol - pos - 11);
      for (size_t next = eol + 1; next < buf.size() && (buf[next] == ' ' || buf[next] == '\t');) {
        size_t e2 = buf.find('\n', next);
        if (e2 == std::string::npos) e2 = buf.size();
        v += buf.substr(next, e2 - next);
        next = e2 + 1;
      }
      std::string id;
      for (char c : v)
        if (c != ' ' && c != '\t' && c != '\r') id += c;
      return id;
    }
    pos = eol + 1;
  }
  return "";
}

struct Watch {
  std::vector<std::string> dirs;  // by watch descriptor
  std::unordered_map<int, size_t> by_wd;
  std::unordered_set<std::string> done;     // paths already recorded
  std::unordered_map<std::string, int64_t> pending;  // created, header not complete yet
  std::string prefix;
  FILE* out = nullptr;
  uint64_t matched = 0, foreign = 0, overflows = 0;
  int64_t last_match_us = 0;

  // Records a file once; keeps it pending while its header is incomplete.
  void consider(const std::string& path, int64_t t, bool final_write) {
    if (done.count(path)) return;
    bool complete = false;
    std::string id = read_message_id(path, &complete);
    if (id.empty() && !complete && !final_write) {
      pending.emplace(path, t);
      return;
    }
    auto it = pending.find(path);
    if (it != pending.end()) {
      t = it->second;  // it appeared in new/ when first seen
      pending.erase(it);
    }
    done.insert(path);
    std::fprintf(out, "%s\t%lld\t%s\n", id.empty() ? "-" : id.c_str(), (long long)t, path.c_str());
    if (!prefix.empty() && id.compare(0, prefix.size() + 1, "<" + prefix) == 0 &&
        id.size() > prefix.size() + 1 && id[prefix.size() + 1] == '.') {
      ++matched;
      last_match_us = t;
    } else {
      ++foreign;
    }
  }

  // After an inotify queue overflow events are lost: list every directory
  // and record what is new, stamped with the (later) time of the scan.
  void rescan(int64_t t) {
    for (const auto& d : dirs) {
      DIR* dp = opendir(d.c_str());
      if (!dp) continue;
      while (dirent* e = readdir(dp))
        if (e->d_name[0] != '.') consider(d + "/" + e->d_name, t, true);
      closedir(dp);
    }
  }
};

int watch_main(int argc, char** argv) {
  uint64_t expect = 0;
  std::string out_path, ready;
  Watch w;
  unsigned timeout_s = 600, idle_s = 30;
  std::vector<std::string> dirs;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--expect") expect = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--out") out_path = val();
    else if (a == "--prefix") w.prefix = val();
    else if (a == "--ready-file") ready = val();
    else if (a == "--timeout") timeout_s = unsigned(std::atoi(val().c_str()));
    else if (a == "--idle-timeout") idle_s = unsigned(std::atoi(val().c_str()));
    else if (a.rfind("--", 0) == 0) die("unknown option " + a);
    else dirs.push_back(a);
  }
  if (expect == 0 || out_path.empty() || dirs.empty() || w.prefix.empty())
    die("watch needs --expect N --out FILE --prefix RUNID and directories");
  if (dirs.size() > kMaxDirs) die("too many directories");
  buzon::Fd in(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!in) die(std::string("inotify_init1: ") + strerror(errno));
  for (const auto& d : dirs) {
    int wd = inotify_add_watch(in.get(), d.c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
    if (wd < 0) die("watch " + d + ": " + strerror(errno));
    w.by_wd[wd] = w.dirs.size();
    w.dirs.push_back(d);
  }
  w.out = std::fopen(out_path.c_str(), "w");
  if (!w.out) die("open " + out_path + ": " + strerror(errno));
  if (!ready.empty()) {
    FILE* f = std::fopen(ready.c_str(), "w");
    if (!f) die("open " + ready + ": " + strerror(errno));
    std::fclose(f);
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  int64_t start = bench::now_us();
  int64_t last_progress = start;
  alignas(inotify_event) char buf[256 * 1024];
  bool timed_out = false;
  while (w.matched < expect && !g_stop) {
    int64_t now = bench::now_us();
    if (now - start > int64_t(timeout_s) * 1000000) { timed_out = true; break; }
    if (now - last_progress > int64_t(idle_s) * 1000000) { timed_out = true; break; }
    pollfd p{in.get(), POLLIN, 0};
    int r = poll(&p, 1, 200);
    if (r < 0 && errno != EINTR) die(std::string("poll: ") + strerror(errno));
    if (r <= 0) continue;
    ssize_t n = read(in.get(), buf, sizeof buf);
    if (n <= 0) continue;
    int64_t t = bench::now_us();
    uint64_t before = w.matched;
    bool overflow = false;
    for (char* p2 = buf; p2 < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p2);
      p2 += sizeof(inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) { overflow = true; continue; }
      if (!ev->len || ev->name[0] == '.') continue;
      auto it = w.by_wd.find(ev->wd);
      if (it == w.by_wd.end()) continue;
      w.consider(w.dirs[it->second] + "/" + ev->name, t, (ev->mask & IN_CLOSE_WRITE) != 0);
    }
    if (overflow) {
      ++w.overflows;
      w.rescan(bench::now_us());
    }
    std::fflush(w.out);  // bench/run polls the file while the watch goes on
    if (w.matched != before) last_progress = t;
  }
  std::fclose(w.out);
  std::printf("watch_matched=%llu watch_foreign=%llu watch_overflows=%llu watch_timed_out=%d "
              "watch_stopped=%d watch_pending=%zu\n",
              (unsigned long long)w.matched, (unsigned long long)w.foreign,
              (unsigned long long)w.overflows, timed_out ? 1 : 0, g_stop ? 1 : 0, w.pending.size());
  return w.matched >= expect ? 0 : 1;
}

struct Sent {
  int status = 0;
  int64_t t_done = 0;
  unsigned nrcpt = 0;
  unsigned seen = 0;
  int64_t last_seen = 0;
};

int report_main(int argc, char** argv) {
  std::string sent_path, seen_path;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) die(a + " needs a value");
    if (a == "--sent") sent_path = argv[++i];
    else if (a == "--seen") seen_path = argv[++i];
    else die("unknown option " + a);
  }
  if (sent_path.empty() || seen_path.empty()) die("report needs --sent and --seen");
  std::ifstream sent_in(sent_path), seen_in(seen_path);
  if (!sent_in) die("cannot read " + sent_path);
  if (!seen_in) die("cannot read " + seen_path);
  std::unordered_map<std::string, Sent> sent;
  int64_t start_us = 0;
  std::string line;
  uint64_t accepted = 0, expected_deliveries = 0, malformed = 0;
  while (std::getline(sent_in, line)) {
    if (line.rfind("# start_us=", 0) == 0) {
      start_us = std::atoll(line.c_str() + 11);
      continue;
    }
    std::vector<std::string> f;
    size_t pos = 0;
    while (true) {
      size_t tab = line.find('\t', pos);
      f.push_back(line.substr(pos, tab - pos));
      if (tab == std::string::npos) break;
      pos = tab + 1;
    }
    if (f.size() != 8) { ++malformed; continue; }
    Sent s;
    s.status = std::atoi(f[2].c_str());
    s.t_done = std::atoll(f[4].c_str());
    s.nrcpt = unsigned(std::atoi(f[6].c_str()));
    if (s.status == 250) {
      ++accepted;
      expected_deliveries += s.nrcpt;
    }
    sent[f[1]] = s;
  }
  std::vector<int64_t> lat;
  uint64_t duplicates = 0, unexpected = 0, from_rejected = 0;
  std::set<std::pair<std::string, std::string>> seen_pairs;  // (message-id, directory)
  int64_t last_us = 0;
  while (std::getline(seen_in, line)) {
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) { ++malformed; continue; }
    std::string id = line.substr(0, t1);
    int64_t t = std::atoll(line.c_str() + t1 + 1);
    std::string path = line.substr(t2 + 1);
    auto it = sent.find(id);
    if (it == sent.end()) { ++unexpected; continue; }
    std::string dir = path.substr(0, path.rfind('/'));
    if (!seen_pairs.insert({id, dir}).second) { ++duplicates; continue; }
    if (it->second.status != 250) { ++from_rejected; continue; }
    ++it->second.seen;
    lat.push_back(t - it->second.t_done);
    if (t > last_us) last_us = t;
  }
  uint64_t complete = 0, missing = 0;
  for (auto& [id, s] : sent)
    if (s.status == 250) {
      if (s.seen >= s.nrcpt) ++complete;
      else missing += s.nrcpt - s.seen;
    }
  double secs = last_us > start_us ? double(last_us - start_us) / 1e6 : 0;
  auto sum = bench::summarize(lat);
  std::printf("accepted=%llu delivered_msgs=%llu deliveries=%zu expected_deliveries=%llu "
              "missing=%llu duplicates=%llu unexpected=%llu delivered_rejected=%llu malformed=%llu\n",
              (unsigned long long)accepted, (unsigned long long)complete, lat.size(),
              (unsigned long long)expected_deliveries, (unsigned long long)missing,
              (unsigned long long)duplicates, (unsigned long long)unexpected,
              (unsigned long long)from_rejected, (unsigned long long)malformed);
  std::printf("e2e_s=%.3f e2e_per_s=%.1f\n", secs,
              secs > 0 && missing == 0 ? double(complete) / secs : 0.0);
  std::printf("%s\n", bench::format_summary("dlat_", sum).c_str());
  std::fprintf(stderr, "delivery latency 250 -> new/ (%zu deliveries):\n", lat.size());
  bench::print_histogram(stderr, lat);
  return missing == 0 && duplicates == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "watch") return watch_main(argc, argv);
  if (mode == "report") return report_main(argc, argv);
  std::fputs("usage: e2e_watch watch --expect N --out FILE --prefix RUNID [--ready-file F]\n"
             "                 [--timeout 600] [--idle-timeout 30] NEWDIR...\n"
             "       e2e_watch report --sent RECORDS --seen FILE\n",
             stderr);
  return 2;
}
