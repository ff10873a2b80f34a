// echo_daemon - test service for t/master (not installed)
// SYNOPSIS  echo_daemon [generic daemon options] [tag=T] [limit=N]
//           [show=PARAM] [record=FILE] [fail] [stubborn]
// SECURITY  Test only: built as a check program, never installed.
// LIMITS    1024-byte lines; limit=N clients per process (default 1)
// SEE ALSO  master(8), t/master/master_test.cpp
//
// Answers each line with "pid=P uid=U tag=T service=S [PARAM=V] line=L" so a
// test can tell which process (and which configuration) served it.
//   fail      exit 1 before serving (a command that cannot start)
//   record    append everything a client sent to FILE when it disconnects
//             (wakeup triggers are one 'W' and a close)
//   stubborn  ignore the stop: never exit after SIGTERM (master must SIGKILL)
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>

#include "lib/daemon/daemon.h"

using namespace buzon;

namespace {

constexpr size_t kLineMax = 1024;

struct Options {
  std::string tag = "-";
  int limit = 1;
  std::string show;
  std::string record;
  bool fail = false;
  bool stubborn = false;
};

Options options(const std::vector<std::string>& args) {
  Options o;
  for (const auto& a : args) {
    if (a.starts_with("tag=")) o.tag = a.substr(4);
    else if (a.starts_with("limit=")) o.limit = std::stoi(a.substr(6));
    else if (a.starts_with("show=")) o.show = a.substr(5);
    else if (a.starts_with("record=")) o.record = a.substr(7);
    else if (a == "fail") o.fail = true;
    else if (a == "stubborn") o.stubborn = true;
  }
  return o;
}

struct Session {
  Fd fd;
  std::string in;
  std::string received;
  std::unique_ptr<event::Event> ev;
};

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return;  // test peer gone or buffer full: the test will notice
    off += static_cast<size_t>(n);
  }
}

int serve(daemon::Context& ctx) {
  Options o = options(ctx.args);
  if (o.fail) return 1;
  event::Loop loop;
  std::map<int, std::unique_ptr<Session>> sessions;
  std::unique_ptr<daemon::Server> server;

  auto finish = [&](int id) {
    auto it = sessions.find(id);
    if (it == sessions.end()) return;
    if (!o.record.empty()) {
      Fd f(open(o.record.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
      if (f) send_all(f.get(), it->second->received);
    }
    it->second->ev->del();
    loop.defer_delete(std::move(it->second));
    sessions.erase(it);
    server->client_done();
  };
  auto on_read = [&](int id) {
    Session& s = *sessions.at(id);
    char buf[512];
    ssize_t n = read(s.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) return finish(id);
    s.in.append(buf, static_cast<size_t>(n));
    s.received.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = s.in.find('\n')) != std::string::npos) {
      std::string line = s.in.substr(0, nl);
      s.in.erase(0, nl + 1);
      std::string reply = "pid=" + std::to_string(getpid()) + " uid=" + std::to_string(getuid()) +
                          " tag=" + o.tag + " service=" + ctx.service;
      if (!o.show.empty()) reply += " " + o.show + "=" + ctx.cf.get(o.show);
      send_all(s.fd.get(), reply + " line=" + line + "\n");
    }
    if (s.in.size() > kLineMax) {
      send_all(s.fd.get(), "error=line-too-long\n");
      finish(id);
    }
  };
  server = std::make_unique<daemon::Server>(loop, ctx, o.limit, [&](Fd client) {
    int id = client.get();
    auto s = std::make_unique<Session>();
    s->fd = std::move(client);
    s->ev = std::make_unique<event::Event>(loop, s->fd.get(), EV_READ | EV_PERSIST, [&, id](short) { on_read(id); });
    s->ev->add();
    sessions[id] = std::move(s);
  });
  loop.run();
  if (o.stubborn)
    for (;;) pause();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return daemon::run(argc, argv, {.name = "echo_daemon", .serve = serve});
}
