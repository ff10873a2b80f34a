// A local delivery environment for unit tests: a queue, a passwd-file with
// bob, carol (unprivileged) and toor (uid 0), their homes, and a main.cf.
// Run as root, deliveries fork and drop to uid 65534 (system mode) and the
// queue belongs to mail_owner nobody; otherwise they run in-process as the
// invoking user (instance mode).
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "lib/config/config.h"
#include "local/deliver.h"
#include "t/local/test_util.h"

namespace buzon::test {

inline bool root() { return ::geteuid() == 0; }
inline uid_t user_uid() { return root() ? 65534 : ::getuid(); }
inline gid_t user_gid() { return root() ? 65534 : ::getgid(); }

struct Env {
  QueueDir d;
  config::MainCf cf;
  explicit Env(const std::string& extra = "") {
    REQUIRE(::mkdir((d.path + "/mail").c_str(), 01777) == 0);
    ::chmod((d.path + "/mail").c_str(), 01777);
    std::string uid = std::to_string(user_uid()), gid = std::to_string(user_gid());
    spew(d.path + "/passwd", "bob:x:" + uid + ":" + gid + "::" + d.path + "/home/bob::\n" +
                                 "carol:x:" + uid + ":" + gid + "::" + d.path + "/home/carol::\n" +
                                 "toor:x:0:0::" + d.path + "/home/toor::\n");
    for (const char* u : {"bob", "carol"}) {
      std::string h = d.path + "/home/" + u;
      REQUIRE(file::make_dirs(h, 0755));
      if (root()) REQUIRE(::chown(h.c_str(), user_uid(), user_gid()) == 0);
    }
    REQUIRE(file::make_dirs(d.path + "/home/toor", 0755));
    if (root()) {
      // Forwarding writes the queue as mail_owner.
      REQUIRE(::chown(d.queue().c_str(), user_uid(), user_gid()) == 0);
      for (const char* sub : queue::kDirs)
        REQUIRE(::chown((d.queue() + "/" + sub).c_str(), user_uid(), user_gid()) == 0);
    }
    std::string text = "queue_directory = " + d.queue() + "\nmail_spool_directory = " + d.path +
                       "/mail\nlocal_passwd_file = " + d.path + "/passwd\nmyhostname = mx.example.test\n" +
                       "myorigin = example.test\ndeliver_lock_attempts = 2\nalias_maps =\n" +
                       "mail_owner = " + (root() ? "nobody" : "me") + "\ndefault_privs = nobody\n" + extra;
    auto parsed = config::MainCf::parse(text, d.path + "/main.cf", d.path);
    if (!parsed) FAIL(parsed.error().message);
    cf = std::move(*parsed);
  }
  local::Deliverer deliverer() {
    auto s = local::Settings::from(cf);
    if (!s) FAIL(s.error().message);
    return local::Deliverer(cf, *s, root() ? local::Mode::ForkAndDrop : local::Mode::InProcess);
  }
  // An aliases(5) file built into DIR/aliases.db, owned like the homes.
  std::string aliases(const std::string& text) {
    std::string p = d.path + "/aliases";
    spew(p, text);
    REQUIRE(map::find_type("hash")->build(p, map::Syntax::Alias, true, nullptr));
    if (root()) REQUIRE(::chown((p + ".db").c_str(), user_uid(), user_gid()) == 0);
    return "hash:" + p;
  }
};

inline local::Request request_for(const QueuedMessage& q, size_t i = 0) {
  const auto& r = q.env.recipients.at(i);
  return local::Request{q.id, "active/" + q.id, r.offset, r.address, r.original, q.env.sender};
}

// Queue files in incoming/ (forwarded copies), read back.
inline std::vector<queue::Envelope> incoming(const QueueDir& d) {
  std::vector<queue::Envelope> out;
  for (const auto& name : list_dir(d.queue() + "/incoming")) {
    Fd fd(::open((d.queue() + "/incoming/" + name).c_str(), O_RDONLY));
    REQUIRE(fd);
    auto env = queue::read_envelope(fd.get(), name);
    REQUIRE(env);
    out.push_back(std::move(*env));
  }
  return out;
}

}  // namespace buzon::test
