#include "lib/users/users.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "lib/config/config.h"
#include "t/temp_dir.h"

using namespace buzon;

namespace {

using test::TempDir;

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

config::MainCf cf_with(const std::string& passwd_path, const std::string& dir) {
  std::string text = passwd_path.empty() ? "" : "local_passwd_file = " + passwd_path + "\n";
  auto cf = config::MainCf::parse(text, dir + "/main.cf", dir);
  REQUIRE(cf.ok());
  return std::move(cf).value();
}

// Log lines go to stderr before log::init(); capture them to check that a
// skipped line is reported with file:line.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) : path_(path) {
    fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

}  // namespace

TEST_CASE("users: passwd-file entries are found with their fields", "[users]") {
  TempDir d;
  std::string pw = d.path + "/passwd";
  write(pw,
        "# instance users\n"
        "\n"
        "alice:{SHA512-CRYPT}$6$x:1001:1002::/home/alice::\n"
        "bob:x:1003:1004:Bob B:/home/bob:/bin/sh:extra:fields\n"
        "carol:x:1005:1006::/home/carol\n"
        "bob:x:9999:9999::/nowhere:\n");
  auto cf = cf_with(pw, d.path);

  auto a = users::find(cf, "alice");
  REQUIRE(a.ok());
  REQUIRE(a->has_value());
  CHECK((*a)->name == "alice");
  CHECK((*a)->uid == 1001);
  CHECK((*a)->gid == 1002);
  CHECK((*a)->home == "/home/alice");
  CHECK((*a)->shell.empty());

  auto b = users::find(cf, "bob");
  REQUIRE(b.ok());
  REQUIRE(b->has_value());
  CHECK((*b)->uid == 1003);  // first entry wins over the later duplicate
  CHECK((*b)->home == "/home/bob");
  CHECK((*b)->shell == "/bin/sh");

  auto c = users::find(cf, "carol");  // six fields: shell omitted
  REQUIRE(c.ok());
  REQUIRE(c->has_value());
  CHECK((*c)->home == "/home/carol");

  auto none = users::find(cf, "mallory");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto partial = users::find(cf, "ali");  // no prefix matching
  REQUIRE(partial.ok());
  CHECK_FALSE(partial->has_value());
}

TEST_CASE("users: a changed passwd file is read again, in place or replaced", "[users]") {
  // Lookups reuse the parsed file while it is unchanged; any change, even
  // one that keeps the size, must be seen by the next lookup.
  TempDir d;
  std::string pw = d.path + "/passwd";
  write(pw, "alice:x:1001:1001::/home/alice::\n");
  auto cf = cf_with(pw, d.path);
  auto uid_of_alice = [&] {
    auto a = users::find(cf, "alice");
    REQUIRE(a.ok());
    return a->has_value() ? static_cast<long>((*a)->uid) : -1L;
  };
  CHECK(uid_of_alice() == 1001);
  CHECK(uid_of_alice() == 1001);

  write(pw, "alice:x:1002:1001::/home/alice::\n");  // same size, same inode
  CHECK(uid_of_alice() == 1002);

  write(pw + ".new", "bob:x:1003:1003::/home/bob::\n");  // replaced by rename
  REQUIRE(::rename((pw + ".new").c_str(), pw.c_str()) == 0);
  CHECK(uid_of_alice() == -1);
  auto b = users::find_uid(cf, 1003);
  REQUIRE(b.ok());
  REQUIRE(b->has_value());
  CHECK((*b)->name == "bob");

  REQUIRE(::unlink(pw.c_str()) == 0);  // gone: an error again, not the old entries
  CHECK_FALSE(users::find(cf, "bob").ok());
}

TEST_CASE("users: find_uid searches the passwd file by uid", "[users]") {
  TempDir d;
  std::string pw = d.path + "/passwd";
  write(pw, "alice:x:1001:1001::/home/alice::\nbob:x:1003:1003::/home/bob::\n");
  auto cf = cf_with(pw, d.path);
  auto b = users::find_uid(cf, 1003);
  REQUIRE(b.ok());
  REQUIRE(b->has_value());
  CHECK((*b)->name == "bob");
  auto none = users::find_uid(cf, 4242);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("users: malformed lines are skipped with a file:line warning", "[users]") {
  TempDir d;
  std::string pw = d.path + "/passwd";
  write(pw,
        "short:x:1:2\n"                     // 1: too few fields
        "baduid:x:12a:2::/home/x::\n"        // 2: uid not numeric
        "badgid:x:1:-2::/home/x::\n"         // 3: gid negative
        "relhome:x:1:2::home/x::\n"          // 4: relative home
        "../etc:x:1:2::/home/x::\n"          // 5: name escapes the spool dir
        "a/b:x:1:2::/home/x::\n"             // 6: slash in name
        ":x:1:2::/home/x::\n"                // 7: empty name
        "huge:x:99999999999999999999:2::/home/x::\n"  // 8: uid overflows
        "good:x:7:8::/home/good::\n");       // 9
  auto cf = cf_with(pw, d.path);
  StderrCapture cap(d.path + "/stderr");
  auto g = users::find(cf, "good");
  for (const char* name : {"short", "baduid", "badgid", "relhome", "../etc", "a/b", "", "huge"}) {
    auto r = users::find(cf, name);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
  }
  std::string err = cap.text();
  REQUIRE(g.ok());
  REQUIRE(g->has_value());
  CHECK((*g)->uid == 7);
  for (int line = 1; line <= 8; ++line) CHECK(err.find(pw + ":" + std::to_string(line) + ":") != std::string::npos);
  CHECK(err.find(pw + ":9:") == std::string::npos);
}

TEST_CASE("users: line length limit is 1024 bytes", "[users][limits]") {
  TempDir d;
  std::string pw = d.path + "/passwd";
  auto line_of = [](const std::string& name, size_t len) {
    std::string l = name + ":x:10:10::/home/";
    l += std::string(len - l.size(), 'h');
    REQUIRE(l.size() == len);
    return l + "\n";
  };
  write(pw, line_of("atlimit", 1024) + line_of("overlimit", 1025));
  auto cf = cf_with(pw, d.path);
  StderrCapture cap(d.path + "/stderr");
  auto at = users::find(cf, "atlimit");
  auto over = users::find(cf, "overlimit");
  std::string err = cap.text();
  REQUIRE(at.ok());
  CHECK(at->has_value());
  REQUIRE(over.ok());
  CHECK_FALSE(over->has_value());
  CHECK(err.find(pw + ":2:") != std::string::npos);
}

TEST_CASE("users: passwd file size limit is 1 MiB", "[users][limits]") {
  TempDir d;
  std::string pw = d.path + "/passwd";
  std::string entry = "last:x:10:10::/home/last::\n";
  auto fill_to = [&](size_t total) {
    std::string text;
    std::string comment = "#" + std::string(1000, 'c') + "\n";
    while (text.size() + comment.size() + entry.size() <= total) text += comment;
    text += "#" + std::string(total - text.size() - entry.size() - 2, 'p') + "\n";
    text += entry;
    REQUIRE(text.size() == total);
    return text;
  };
  auto cf = cf_with(pw, d.path);

  write(pw, fill_to(1 << 20));
  auto at = users::find(cf, "last");
  REQUIRE(at.ok());
  CHECK(at->has_value());

  write(pw, fill_to((1 << 20) + 1));
  auto over = users::find(cf, "last");
  CHECK_FALSE(over.ok());
}

TEST_CASE("users: an unreadable passwd file is an error, not 'no such user'", "[users]") {
  TempDir d;
  auto cf = cf_with(d.path + "/missing", d.path);
  auto r = users::find(cf, "bob");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("missing") != std::string::npos);
  CHECK_FALSE(users::find_uid(cf, 0).ok());
}

TEST_CASE("users: without local_passwd_file the system database is used", "[users]") {
  TempDir d;
  auto cf = cf_with("", d.path);
  auto root = users::find(cf, "root");
  REQUIRE(root.ok());
  REQUIRE(root->has_value());
  CHECK((*root)->uid == 0);
  CHECK(!(*root)->home.empty());
  auto by_uid = users::find_uid(cf, 0);
  REQUIRE(by_uid.ok());
  REQUIRE(by_uid->has_value());
  CHECK((*by_uid)->name == "root");
  auto none = users::find(cf, "no-such-user-buzon-test");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}
