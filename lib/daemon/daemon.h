// The skeleton every master-spawned daemon (smtpd, qmgr, local) runs in.
//
// Contract with master (doc/master-protocol.md):
//   argv:  PROGRAM -c CONFIG_DIR -n SERVICE -t inet|unix [-u] [-r] [-o name=value]... [args]
//          -u: drop to mail_owner; -r: chroot to queue_directory.
//   fd 3:  the service's listening socket (non-blocking); the daemon accepts.
//   fd 4:  status pipe to master. The daemon writes StatusMessage records:
//          available=1 when it can take another client, 0 when it cannot.
//          Master forks another process only while none is available.
//          The first accepted client is always announced (0, then 1 again if
//          still available, as Postfix's TAKEN/AVAIL) so that master knows
//          the process got past startup: a later crash is not "bad startup".
//          When master goes away (the pipe's read end closes) the daemon
//          drains as on SIGHUP.
//   SIGHUP:  stop accepting, finish current clients, exit 0 (reload/drain).
//   SIGTERM: stop accepting, finish current clients for at most a few
//            seconds (daemon's choice), exit 0.
#pragma once
#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/event.h"

namespace buzon::daemon {

constexpr int kListenFd = 3;
constexpr int kStatusFd = 4;

struct StatusMessage {  // written whole (8 bytes < PIPE_BUF, so atomic)
  int32_t pid;
  int32_t available;
};

struct Context {
  config::MainCf cf;
  std::string service;  // master.cf service name
  std::string type;     // inet | unix
  std::vector<std::string> args;
  Fd listen;            // fd 3
  Fd status;            // fd 4 (invalid when run by hand)
};

struct Spec {
  const char* name;  // program name for logs
  // Optional: runs as root (when started as root) before chroot and the drop
  // to mail_owner; open files and keys the jailed process will need here.
  std::function<Status(Context&)> pre_jail;
  // Runs the service; returns the exit status.
  std::function<int(Context&)> serve;
  // local keeps root to setuid per delivery; everyone else drops.
  bool keep_root = false;
  // The main.cf parameter that names the account to drop to: authd has its
  // own (auth_owner), so that only it can read the password databases.
  const char* owner_param = "mail_owner";
};

// The master -> daemon command line, parsed. Options come first; the first
// word that is not an option (or everything after "--") starts args.
struct Args {
  std::string config_dir;  // -c; empty: $MAIL_CONFIG, else the built-in default
  std::string service;     // -n (required)
  std::string type;        // -t inet|unix (required)
  bool unprivileged = false;  // -u
  bool chroot = false;        // -r
  std::vector<std::pair<std::string, std::string>> overrides;  // -o name=value
  std::vector<std::string> args;
};
// Errors (message is the reason, for "usage: ..."): unknown option, option
// without its value, -o without "name=", -t other than inet|unix, missing
// -n or -t.
Result<Args> parse_args(int argc, const char* const* argv);

// Parses argv, loads main.cf with the -o overrides, starts logging, runs
// pre_jail, chroots/drops privileges as master asked, then serve(). Config
// errors and exceptions before serve() are logged as fatal: exit 1.
int run(int argc, char** argv, const Spec& spec);

// Accept loop shared by the daemons. Accepts clients on ctx.listen (one at a
// time when client_limit is 1), tells master whether this process is
// available, stops accepting on SIGHUP/SIGTERM and stops the loop when the
// last client is done. Exits the loop after max_idle seconds without a client
// (unless persistent) or once max_use x client_limit clients have been
// served.
class Server {
 public:
  using OnClient = std::function<void(Fd client)>;
  Server(event::Loop& loop, Context& ctx, int client_limit, OnClient on_client,
         bool persistent = false);
  ~Server();
  // Call when a client handed to on_client is finished.
  void client_done();
  // Why the server stops: Drain (SIGHUP, reload: clients in progress finish
  // their whole session on the old configuration) or Terminate (SIGTERM,
  // stop: clients get a few seconds).
  enum class Stop { Drain, Terminate };
  // True once SIGHUP/SIGTERM was received: finish up, take no new work.
  bool stopping() const { return stopping_; }
  // Optional: called once for Drain and once for Terminate (a SIGTERM may
  // follow a SIGHUP), as each first arrives.
  void on_stop(std::function<void(Stop)> fn) { on_stop_ = std::move(fn); }

 private:
  void accept_ready();
  bool accept_one();  // false: nothing (more) to accept now
  void update();
  void report(bool available);
  void begin_stop(Stop why);
  void pause_accepting();
  event::Loop& loop_;
  Context& ctx_;
  int client_limit_;
  OnClient on_client_;
  bool persistent_;
  int active_ = 0;
  unsigned long served_ = 0;
  bool stopping_ = false;
  int reported_ = -1;
  std::function<void(Stop)> on_stop_;
  bool terminating_ = false;
  std::unique_ptr<event::Event> accept_ev_, idle_ev_, hup_ev_, term_ev_;
  // Added by the lib/daemon implementation (private; no caller sees them).
  std::chrono::milliseconds max_idle_{0};  // 0: never exit for idleness
  unsigned long long max_use_ = 0;         // clients per process; 0: no limit
  bool accept_paused_ = false;             // after EMFILE and friends
  bool reported_taken_ = false;            // first client announced to master
  std::unique_ptr<event::Event> status_ev_, grace_ev_, pause_ev_;
};

}  // namespace buzon::daemon
