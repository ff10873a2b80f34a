// proc_sample - memory and CPU of a server's process set, for bench/run
// SYNOPSIS  proc_sample pss   (--cgroup DIR | --root PID) [--interval-ms 100]
//           proc_sample cpu   (--cgroup DIR | --root PID)
// SECURITY  Reads /proc and the cgroup file system only; run as root (or as
//           the owner of every process measured) so smaps_rollup is readable.
// LIMITS    100,000 processes a sample.
// SEE ALSO  bench/run, bench/README.md
//
// The process set is either every process of a cgroup (v1 or v2
// cgroup.procs: a daemon that double-forks stays inside), or a root pid and
// its descendants found through the ppid field of /proc/PID/stat.
//
// pss: samples until SIGTERM/SIGINT, then prints
//   pss_peak_kib=N procs_at_peak=N samples=N
// PSS (proportional set size) divides each shared page among the processes
// that map it, so the sum over a process set is that set's real footprint;
// RSS would count the shared text of N forked daemons N times.
//
// cpu: prints cpu_user_s= cpu_sys_s= for the set now: utime+stime of each
// live process plus cutime+cstime (children it has reaped). Only a child
// reparented to init escapes this sum, which is why bench/run prefers the
// cgroup's own cpuacct counters and uses this as the fallback.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxProcs = 100000;
volatile sig_atomic_t g_stop = 0;

struct Stat {
  int ppid = 0;
  unsigned long long utime = 0, stime = 0, cutime = 0, cstime = 0;
};

// Fields of /proc/PID/stat after the command name, which may itself hold
// spaces and parentheses: parse from the last ')'.
bool read_stat(int pid, Stat* st) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!std::getline(f, s)) return false;
  size_t close = s.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(s.substr(close + 2));
  std::vector<std::string> v;
  std::string w;
  while (in >> w && v.size() < 20) v.push_back(w);
  if (v.size() < 15) return false;
  // v[0] = state (field 3), ppid = field 4, utime..cstime = fields 14..17
  st->ppid = std::atoi(v[1].c_str());
  st->utime = std::strtoull(v[11].c_str(), nullptr, 10);
  st->stime = std::strtoull(v[12].c_str(), nullptr, 10);
  st->cutime = std::strtoull(v[13].c_str(), nullptr, 10);
  st->cstime = std::strtoull(v[14].c_str(), nullptr, 10);
  return true;
}

std::vector<int> cgroup_pids(const std::string& dir) {
  std::vector<int> pids;
  std::ifstream f(dir + "/cgroup.procs");
  int pid;
  while (f >> pid && pids.size() < kMaxProcs) pids.push_back(pid);
  return pids;
}

std::vector<int> tree_pids(int root) {
  std::map<int, std::vector<int>> children;
  DIR* d = opendir("/proc");
  if (!d) return {};
  size_t n = 0;
  while (dirent* e = readdir(d)) {
    int pid = std::atoi(e->d_name);
    if (pid <= 0 || ++n > kMaxProcs) continue;
    Stat st;
    if (read_stat(pid, &st)) children[st.ppid].push_back(pid);
  }
  closedir(d);
  std::vector<int> out;
  std::vector<int> todo{root};
  std::set<int> seen;
  while (!todo.empty()) {
    int p = todo.back();
    todo.pop_back();
    if (!seen.insert(p).second || kill(p, 0) != 0) continue;
    out.push_back(p);
    for (int c : children[p]) todo.push_back(c);
  }
  return out;
}

long long pss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Pss:", 0) == 0) return std::atoll(line.c_str() + 4);
  return 0;  // exited between listing and reading, or a kernel thread
}

void on_signal(int) { g_stop = 1; }

void usage() {
  std::fputs("usage: proc_sample pss (--cgroup DIR | --root PID) [--interval-ms 100]\n"
             "       proc_sample cpu (--cgroup DIR | --root PID)\n",
             stderr);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) usage();
  std::string mode = argv[1], cgroup;
  int root = 0, interval_ms = 100;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    if (a == "--cgroup") cgroup = argv[++i];
    else if (a == "--root") root = std::atoi(argv[++i]);
    else if (a == "--interval-ms") interval_ms = std::atoi(argv[++i]);
    else usage();
  }
  if ((cgroup.empty()) == (root <= 0) || interval_ms < 10 || interval_ms > 10000) usage();
  auto pids = [&] { return cgroup.empty() ? tree_pids(root) : cgroup_pids(cgroup); };

  if (mode == "cpu") {
    unsigned long long user = 0, sys = 0;
    for (int p : pids()) {
      Stat st;
      if (!read_stat(p, &st)) continue;
      user += st.utime + st.cutime;
      sys += st.stime + st.cstime;
    }
    double hz = double(sysconf(_SC_CLK_TCK));
    std::printf("cpu_user_s=%.3f cpu_sys_s=%.3f\n", double(user) / hz, double(sys) / hz);
    return 0;
  }
  if (mode != "pss") usage();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  long long peak = 0;
  size_t procs_at_peak = 0, samples = 0;
  while (!g_stop) {
    long long sum = 0;
    auto set = pids();
    for (int p : set) sum += pss_kib(p);
    ++samples;
    if (sum > peak) {
      peak = sum;
      procs_at_peak = set.size();
    }
    usleep(useconds_t(interval_ms) * 1000);
  }
  std::printf("pss_peak_kib=%lld procs_at_peak=%zu samples=%zu\n", peak, procs_at_peak, samples);
  return 0;
}
