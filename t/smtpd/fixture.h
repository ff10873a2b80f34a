// Test fixture for smtpd: a real temporary queue directory, a real
// passwd-file (local_passwd_file) and a main.cf parsed by lib/config, so the
// Session under test writes real queue files that lib/queue reads back.
#pragma once
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/file/file.h"
#include "lib/log/log.h"
#include "lib/queue/queue.h"
#include "smtpd/session.h"
#include "smtpd/settings.h"

namespace smtpd_test {

namespace fs = std::filesystem;
using namespace buzon;

struct QueuedMessage {
  queue::Envelope env;
  std::string content;
  std::vector<std::string> recipients() const {
    std::vector<std::string> out;
    for (const auto& r : env.recipients) out.push_back(r.address);
    return out;
  }
};

class Fixture {
 public:
  // extra: more main.cf lines. passwd: the local_passwd_file contents.
  explicit Fixture(const std::string& extra = "",
                   const std::string& passwd = "alice:{PLAIN}a:1000:1000::/home/alice::\n"
                                               "bob:{PLAIN}b:1001:1001::/home/bob::\n") {
    char tmpl[] = "/tmp/smtpd-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    queue_dir = dir + "/queue";
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(queue_dir + "/" + d).ok());
    REQUIRE(file::write_atomic(dir + "/passwd", passwd).ok());
    std::string text = "myhostname = mx.example.test\n"
                       "mydomain = example.test\n"
                       "myorigin = $mydomain\n"
                       "mydestination = $myhostname, $mydomain, localhost\n"
                       "queue_directory = " + queue_dir + "\n"
                       "local_passwd_file = " + dir + "/passwd\n"
                       "alias_maps =\n"
                       "maillog_file = " + dir + "/maillog\n" + extra;
    auto parsed = config::MainCf::parse(text, dir + "/main.cf", dir);
    INFO((parsed ? std::string() : parsed.error().message));
    REQUIRE(parsed.ok());
    cf = std::make_unique<config::MainCf>(std::move(*parsed));
    log::init("smtpd", *cf);
    auto s = smtpd::load_settings(*cf);
    INFO((s ? std::string() : s.error().message));
    REQUIRE(s.ok());
    settings = std::move(*s);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::vector<std::string> files(const char* sub) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(queue_dir + "/" + sub)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> incoming() const { return files("incoming"); }

  QueuedMessage read(const std::string& id) const {
    QueuedMessage m;
    Fd fd(::open(queue::path(queue_dir, "incoming", id).c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    auto env = queue::read_envelope(fd.get(), id);
    INFO((env ? std::string() : env.error().message));
    REQUIRE(env.ok());
    m.env = std::move(*env);
    m.content.resize(m.env.content_size);
    REQUIRE(::pread(fd.get(), m.content.data(), m.content.size(), m.env.content_offset) ==
            static_cast<ssize_t>(m.content.size()));
    return m;
  }
  // The only message in incoming/.
  QueuedMessage only() const {
    auto ids = incoming();
    REQUIRE(ids.size() == 1);
    return read(ids[0]);
  }

  std::string maillog() const {
    auto t = file::read_file(dir + "/maillog", 1 << 24);
    return t ? *t : std::string();
  }

  std::string dir, queue_dir;
  std::unique_ptr<config::MainCf> cf;
  smtpd::Settings settings;
};

inline smtpd::Peer net_peer(const std::string& addr = "192.0.2.1") {
  smtpd::Peer p;
  p.addr = addr;
  return p;
}

inline smtpd::Peer local_peer(uid_t uid = 1000, const std::string& login = "alice") {
  smtpd::Peer p;
  p.name = "local";
  p.local = true;
  p.uid = uid;
  p.login = login;
  return p;
}

// A folder for table files (access tables) that outlives a Fixture's
// parsing of main.cf.
struct TableDir {
  std::string path;
  TableDir() {
    char tmpl[] = "/tmp/buzon-tables-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TableDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, std::string_view text) {
    std::string file = path + "/" + name;
    REQUIRE(file::write_atomic(file, text).ok());
    return file;
  }
};

// A client talking to one Session.
class Client {
 public:
  explicit Client(Fixture& f, smtpd::Peer peer = net_peer()) : session(f.settings, std::move(peer)) {
    greeting = session.start().bytes;
  }
  // Feeds bytes; returns the replies of this feed. A message handed out
  // for commit is committed here, synchronously, as the connection's
  // Committer would.
  std::string say(std::string_view bytes) {
    last = session.feed(bytes);
    while (last.commit) {
      Status st = last.commit->commit();
      std::string before = std::move(last.bytes);
      bool queued = last.queued;
      last = session.committed(std::move(st));
      last.bytes = before + last.bytes;
      last.queued = last.queued || queued;
    }
    return last.bytes;
  }
  smtpd::Session session;
  smtpd::Output last;
  std::string greeting;
};

// Reply codes of the final lines ("250-x\r\n250 y\r\n550 z\r\n" -> 250 550).
inline std::vector<std::string> codes(const std::string& replies) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < replies.size()) {
    size_t e = replies.find("\r\n", i);
    if (e == std::string::npos) break;
    std::string line = replies.substr(i, e - i);
    if (line.size() >= 4 && line[3] == ' ') out.push_back(line.substr(0, 3));
    if (line.size() == 3) out.push_back(line);
    i = e + 2;
  }
  return out;
}

using Codes = std::vector<std::string>;

}  // namespace smtpd_test
