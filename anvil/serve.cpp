#include "anvil/serve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <unordered_map>

#include "anvil/counters.h"
#include "anvil/service.h"
#include "lib/log/log.h"

namespace buzon::anvil {
namespace {

constexpr size_t kReadChunk = 16384;
// Replies are small and the peer is local; a client that does not read
// them for this long is dropped (its connections are closed for it).
constexpr std::chrono::milliseconds kWriteTimeout{2000};
constexpr int kClientLimit = 1000;

class Client {
 public:
  Client(event::Loop& loop, Fd fd, Counters& counters, std::function<void(Client*)> done)
      : fd_(std::move(fd)),
        service_(counters),
        done_(std::move(done)),
        read_ev_(loop, fd_.get(), EV_READ | EV_PERSIST, [this](short) { on_read(); }) {
    read_ev_.add();
  }

 private:
  void on_read() {
    char buf[kReadChunk];
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return finish();
    reader_.feed(std::string_view(buf, static_cast<size_t>(n)));
    for (;;) {
      auto m = reader_.next();
      if (!m) return;
      if (!*m) {
        log::warning("anvil client: " + m->error().message);
        return finish();
      }
      attr::Message reply = service_.handle(**m, std::time(nullptr));
      if (auto st = attr::write_message(fd_.get(), reply, kWriteTimeout); !st) return finish();
    }
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    read_ev_.del();
    service_.close(std::time(nullptr));
    done_(this);
  }

  Fd fd_;
  attr::Reader reader_;
  Service service_;
  std::function<void(Client*)> done_;
  event::Event read_ev_;
  bool finished_ = false;
};

void log_statistics(Counters& counters) {
  for (const auto& line : counters.take_statistics()) log::info(line);
}

}  // namespace

int serve(daemon::Context& ctx) {
  const auto unit = ctx.cf.get_time("anvil_rate_time_unit");
  const auto status_time = ctx.cf.get_time("anvil_status_update_time");
  Counters counters(static_cast<std::time_t>(unit.count()));

  event::Loop loop;
  std::unordered_map<Client*, std::unique_ptr<Client>> clients;
  std::unique_ptr<daemon::Server> server;
  auto done = [&](Client* c) {
    auto node = clients.extract(c);
    if (!node.empty()) loop.defer_delete(std::move(node.mapped()));
    server->client_done();
  };
  // Timers are persistent events re-armed from their callbacks; they do not
  // keep the loop alive once the server stopped (del() in on_stop).
  std::unique_ptr<event::Event> expire_ev, status_ev;
  expire_ev = std::make_unique<event::Event>(loop, -1, 0, [&](short) {
    counters.expire(std::time(nullptr));
    expire_ev->add(std::chrono::duration_cast<std::chrono::milliseconds>(unit));
  });
  status_ev = std::make_unique<event::Event>(loop, -1, 0, [&](short) {
    log_statistics(counters);
    status_ev->add(std::chrono::duration_cast<std::chrono::milliseconds>(status_time));
  });
  expire_ev->add(std::chrono::duration_cast<std::chrono::milliseconds>(unit));
  if (status_time.count() > 0) status_ev->add(std::chrono::duration_cast<std::chrono::milliseconds>(status_time));

  server = std::make_unique<daemon::Server>(
      loop, ctx, kClientLimit,
      [&](Fd fd) {
        int fl = ::fcntl(fd.get(), F_GETFL);
        if (fl >= 0) ::fcntl(fd.get(), F_SETFL, fl | O_NONBLOCK);
        auto c = std::make_unique<Client>(loop, std::move(fd), counters, done);
        clients.emplace(c.get(), std::move(c));
      },
      true);
  server->on_stop([&](daemon::Server::Stop) {
    expire_ev->del();
    status_ev->del();
  });
  loop.run();
  clients.clear();
  server.reset();
  // Postfix's anvil reports what it saw when it exits, too.
  log_statistics(counters);
  return 0;
}

}  // namespace buzon::anvil
