// Logging: syslog (ident "<syslog_name>/<program>") plus the optional
// maillog_file, in Postfix's line shapes. See lib/log/log.h.
#include "lib/log/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/core/strings.h"

namespace buzon::log {
namespace {

// A value longer than this is cut ("..."): enough for an address, a DSN
// text or a remote server's reply, short enough that a hostile peer cannot
// flood the log through one field.
constexpr size_t kValueMax = 1024;
// One whole line's text; syslog daemons cut lines near this size anyway.
constexpr size_t kTextMax = 4096;

struct State {
  bool initialized = false;
  bool also_stderr = false;
  std::string program;  // "smtpd"
  std::string ident;    // "buzon/smtpd"; openlog() keeps this pointer
  std::string host;     // for maillog_file lines, as syslogd writes it
  Fd maillog;           // O_APPEND, opened once before chroot/privilege drop
  pid_t pid = 0;        // for maillog_file lines; refreshed in a forked child
  // Without a syslog daemon, glibc's syslog() tries to connect to /dev/log
  // for every line (socket, connect, close): most of a daemon's system
  // calls per message. So it is called only while /dev/log exists, which
  // is looked at again at most once a minute.
  bool syslog_up = false;
  time_t syslog_retry_at = 0;
};

// Never destroyed: a message logged from a static destructor or an atexit
// handler (fatal() calls exit) must still find it.
State& state() {
  static State* s = new State;
  return *s;
}

const char* program_name() {
  const State& s = state();
  if (!s.program.empty()) return s.program.c_str();
  return program_invocation_short_name;
}

constexpr char kSyslogSocket[] = "/dev/log";
constexpr time_t kSyslogRetry = 60;

bool syslog_socket_exists() {
  struct stat st;
  return ::stat(kSyslogSocket, &st) == 0 && S_ISSOCK(st.st_mode);
}

void to_syslog(State& s, int priority, const std::string& line) {
  if (!s.syslog_up) {
    time_t now = ::time(nullptr);
    if (now < s.syslog_retry_at) return;
    s.syslog_up = syslog_socket_exists();
    if (!s.syslog_up) {
      s.syslog_retry_at = now + kSyslogRetry;
      return;
    }
  }
  ::syslog(priority, "%s", line.c_str());
}

// One write(2) per line: with O_APPEND the kernel places the whole line at
// the end of the file, so lines of concurrent processes never interleave. A
// short write is not continued for the same reason.
void write_line(int fd, std::string_view line) {
  for (;;) {
    ssize_t n = ::write(fd, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

int facility_of(std::string_view name) {
  static const struct {
    std::string_view name;
    int facility;
  } kFacilities[] = {
      {"mail", LOG_MAIL},       {"daemon", LOG_DAEMON},   {"user", LOG_USER},       {"auth", LOG_AUTH},
      {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3},   {"local4", LOG_LOCAL4},   {"local5", LOG_LOCAL5},   {"local6", LOG_LOCAL6},
      {"local7", LOG_LOCAL7},
  };
  for (const auto& f : kFacilities)
    if (f.name == name) return f.facility;
  return -1;
}

// RFC 3164 timestamp "Mmm dd hh:mm:ss" (day padded with a space), in local
// time, with English month names whatever the locale.
std::string timestamp() {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t now = ::time(nullptr);
  struct tm tm;
  if (!::localtime_r(&now, &tm)) return "Jan  1 00:00:00";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d:%02d", kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

std::string short_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  std::string h = buf;
  return h.substr(0, h.find('.'));
}

void emit(int priority, std::string_view text) {
  int saved_errno = errno;  // callers often log and then report errno
  State& s = state();
  std::string line = str::sanitize(text, kTextMax);
  if (!s.initialized || s.also_stderr) write_line(2, std::string(program_name()) + ": " + line + "\n");
  if (s.initialized) {
    to_syslog(s, priority, line);
    if (s.maillog) {
      write_line(s.maillog.get(), timestamp() + " " + s.host + " " + s.ident + "[" + std::to_string(s.pid) +
                                      "]: " + line + "\n");
    }
  }
  errno = saved_errno;
}

}  // namespace

void init(std::string_view program, const config::MainCf& cf) {
  State& s = state();
  // Resolve the time zone now: after chroot /etc/localtime is out of reach.
  ::tzset();
  ::closelog();  // before ident changes: syslog keeps a pointer to it
  s.program = std::string(program);
  s.ident = cf.get("syslog_name") + "/" + s.program;
  s.host = short_hostname();
  std::string facility_name = cf.get("syslog_facility");
  int facility = facility_of(facility_name);
  // LOG_NDELAY connects to /dev/log now, while it is still reachable
  // (before chroot).
  ::openlog(s.ident.c_str(), LOG_PID | LOG_NDELAY, facility < 0 ? LOG_MAIL : facility);
  s.syslog_up = syslog_socket_exists();
  s.syslog_retry_at = s.syslog_up ? 0 : ::time(nullptr) + kSyslogRetry;
  s.pid = ::getpid();
  static bool atfork_set = false;
  if (!atfork_set) {
    atfork_set = true;
    ::pthread_atfork(nullptr, nullptr, [] { state().pid = ::getpid(); });
  }

  std::string problem;
  s.maillog.reset();
  std::string path = cf.get("maillog_file");
  if (!path.empty()) {
    s.maillog.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
    if (!s.maillog) problem = sys_error("open maillog_file " + path).message;
  }
  s.initialized = true;
  if (facility < 0) warning("unknown syslog_facility " + facility_name + ", using mail");
  if (!problem.empty()) warning(problem);
}

void also_stderr(bool on) { state().also_stderr = on; }

std::string format(std::string_view qid, Fields fields) {
  std::string out = str::sanitize(qid, 64) + ":";
  bool first = true;
  for (const Field& f : fields) {
    out += first ? " " : ", ";
    first = false;
    out += str::sanitize(f.key, 64);
    out += '=';
    out += str::sanitize(f.value, kValueMax);
  }
  return out;
}

void info(std::string_view qid, Fields fields) { emit(LOG_INFO, format(qid, fields)); }

void info(std::string_view text) { emit(LOG_INFO, text); }

void warning(std::string_view text) { emit(LOG_WARNING, "warning: " + std::string(text)); }

void fatal(std::string_view text) {
  emit(LOG_CRIT, "fatal: " + std::string(text));
  std::exit(1);
}

void panic(const char* file, int line, std::string_view text) {
  static bool panicking = false;
  if (!panicking) {  // a panic while logging a panic must not recurse
    panicking = true;
    emit(LOG_CRIT, "panic: " + std::string(file ? file : "?") + ":" + std::to_string(line) + ": " +
                       std::string(text));
  }
  std::abort();
}

}  // namespace buzon::log
