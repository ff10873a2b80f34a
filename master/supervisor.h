// The running master: services with their listeners and status pipes, the
// children, and the signals that drive them (SIGCHLD, SIGHUP reload,
// SIGTERM stop). Everything happens in event callbacks; nothing here reads
// network input.
//
// Fork on demand (Postfix's master_avail): a listening socket is watched
// only while none of the children serving it says it is available and the
// service has fewer than maxproc; a readable socket then means a client is
// waiting and no one will take it, so master forks. (A service named by a
// port alone may have one socket per inet_interfaces address; each child
// serves one of them, maxproc counts them all.) A new child counts as
// available until it reports otherwise on the status pipe.
//
// Throttle (Postfix's master_throttle): a child that dies abnormally before
// it ever took a client means the command cannot start (bad binary,
// config, permissions); forking it again at once would spin. The service
// gets no new children for service_throttle_time.
#pragma once
#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/core/result.h"
#include "lib/event/event.h"
#include "master/listeners.h"
#include "master/settings.h"
#include "master/trigger.h"

namespace buzon::master {

// Checks a master.cf service list before master acts on it: supported
// types, sane columns, no service name+type twice, and that every
// listening address can be derived (endpoints_for). Errors are
// "FILE:LINE: reason".
Status check_services(const std::vector<config::Service>& services, const Settings& st);

// Master waits this long after SIGTERM-ing its children before SIGKILL.
constexpr std::chrono::seconds kStopWait{10};

class Supervisor {
 public:
  Supervisor(event::Loop& loop, Settings st, bool debug);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Opens every listener and arms the signal events, wakeup timers and
  // first wakeups. A listener that cannot be opened is an error
  // "FILE:LINE: bind ...: reason"; the caller exits (fatal).
  Status start(const std::vector<config::Service>& services);
  // The signal that ended the loop (0 while running).
  int stopped_by() const { return stop_signal_; }

 private:
  struct Service;
  struct Listener {
    Endpoint endpoint;
    Fd fd;
    std::unique_ptr<event::Event> ev;
    int available = 0;  // children of this listener that can take a client
  };
  struct Child {
    pid_t pid;
    Service* service;
    Listener* listener;  // nullptr once reload removed it
    std::string path;    // for log messages
    bool available = true;
    unsigned long use_count = 0;  // times it reported busy
    bool signalled = false;       // master sent it SIGHUP/SIGTERM
  };
  struct Service {
    config::Service conf;
    std::vector<std::unique_ptr<Listener>> listeners;
    Fd status_read, status_write;
    std::unique_ptr<event::Event> status_ev;
    std::string status_buf;  // a partial record (never expected: writes are atomic)
    int children = 0;
    bool throttled = false;
    bool retired = false;  // removed by reload; waits for its children
    std::unique_ptr<event::Event> throttle_ev, wakeup_ev;
    std::string key() const { return conf.name + "/" + conf.type; }
  };

  static std::string where(const config::Service& s);
  Result<std::unique_ptr<Service>> make_service(const config::Service& conf);
  // Opens the service's listeners, taking over those in reuse whose address
  // is unchanged (same fd: clients in the backlog are not lost). Returns the
  // errors ("FILE:LINE: ..."); what could be opened stays open.
  std::vector<std::string> open_listeners(Service& svc, std::vector<std::unique_ptr<Listener>> reuse);
  void arm(Service& svc);
  void close_listener(Listener& l, bool remove_socket);
  void retire(Service& svc);
  void update(Service& svc);
  void listener_ready(Service& svc, Listener& l);
  void spawn_child(Service& svc, Listener& l);
  void status_ready(Service& svc);
  void reap();
  void child_exited(pid_t pid, int status);
  void throttle(Service& svc, const std::string& path);
  void wakeup(Service& svc);
  void reload();
  void stop(int signo);
  void erase_finished_retired();

  event::Loop& loop_;
  Settings st_;
  bool debug_;
  std::vector<std::string> env_;
  Triggers triggers_;
  std::vector<std::unique_ptr<Service>> services_;
  std::map<pid_t, Child> children_;
  bool stopping_ = false;
  int stop_signal_ = 0;
  std::unique_ptr<event::Event> chld_ev_, hup_ev_, term_ev_, int_ev_, kill_ev_;
};

}  // namespace buzon::master
