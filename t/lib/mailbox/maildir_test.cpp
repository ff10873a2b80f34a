#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "lib/file/file.h"
#include "lib/mailbox/maildir.h"

using namespace buzon;
using namespace buzon::mailbox;

namespace {

struct TempMaildir {
  std::string dir;
  TempMaildir() {
    char tmpl[] = "/tmp/buzon-maildir-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempMaildir() { std::system(("rm -rf '" + dir + "'").c_str()); }
  void put(const std::string& name, const std::string& content) {
    REQUIRE(file::write_atomic(dir + "/" + name, content, 0600));
  }
  bool exists(const std::string& name) const { return ::access((dir + "/" + name).c_str(), F_OK) == 0; }
};

std::string read_fd(int fd) {
  std::string out(4096, '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), 0);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace

TEST_CASE("maildir: names, flags and bases", "[mailbox][maildir]") {
  CHECK(maildir_base("123.M4P5.host,S=10:2,SR") == "123.M4P5.host,S=10");
  CHECK(maildir_flags("123.host:2,TSRF") == "FRST");
  CHECK(maildir_flags("123.host") == "");
  CHECK(maildir_flags("123.host:2,") == "");
}

TEST_CASE("maildir: UIDs are assigned in arrival order and stay stable", "[mailbox][maildir]") {
  TempMaildir t;
  auto m = Maildir::open(t.dir);
  REQUIRE(m);
  CHECK(m->messages().empty());
  CHECK(t.exists("cur"));
  CHECK(t.exists("tmp"));
  t.put("new/1000.A.host", "Subject: a\n\nline\n");  // 17 bytes, 3 LFs -> 20
  t.put("new/1001.B.host", "x\r\ny\n");              // one bare LF -> 6
  REQUIRE(m->sync());
  REQUIRE(m->messages().size() == 2);
  CHECK(m->messages()[0].uid == 1);
  CHECK(m->messages()[0].base == "1000.A.host");
  CHECK(m->messages()[0].vsize == 20);
  CHECK(m->messages()[1].uid == 2);
  CHECK(m->messages()[1].vsize == 6);
  uint32_t validity = m->uidvalidity();

  SECTION("a flag change by another client keeps the UID") {
    REQUIRE(::rename((t.dir + "/new/1000.A.host").c_str(), (t.dir + "/cur/1000.A.host:2,S").c_str()) == 0);
    t.put("new/0999.C.host", "late\n");  // sorts first but arrives later: a new UID
    auto again = Maildir::open(t.dir);
    REQUIRE(again);
    CHECK(again->uidvalidity() == validity);
    REQUIRE(again->messages().size() == 3);
    CHECK(again->messages()[0].uid == 1);
    CHECK(again->messages()[0].flags == "S");
    CHECK(again->messages()[0].name == "cur/1000.A.host:2,S");
    CHECK(again->messages()[2].uid == 3);
    CHECK(again->messages()[2].base == "0999.C.host");
  }
  SECTION("an expunged message's UID is never reused") {
    REQUIRE(m->expunge(1));
    CHECK_FALSE(t.exists("new/1001.B.host"));
    t.put("new/1002.D.host", "d\n");
    REQUIRE(m->sync());
    REQUIRE(m->messages().size() == 2);
    CHECK(m->messages()[1].uid == 3);
  }
  SECTION("set_flags moves the file to cur/ and open_message follows renames") {
    REQUIRE(m->set_flags(0, "SR"));
    CHECK(m->messages()[0].name == "cur/1000.A.host:2,RS");
    CHECK(t.exists("cur/1000.A.host:2,RS"));
    REQUIRE(m->set_flags(0, "RS"));  // idempotent
    // Another client changes the flags behind our back.
    REQUIRE(::rename((t.dir + "/cur/1000.A.host:2,RS").c_str(), (t.dir + "/cur/1000.A.host:2,FRS").c_str()) == 0);
    auto fd = m->open_message(0);
    REQUIRE(fd);
    CHECK(read_fd(fd->get()) == "Subject: a\n\nline\n");
    CHECK(m->messages()[0].flags == "FRS");
    REQUIRE(m->expunge(0));
    CHECK_FALSE(t.exists("cur/1000.A.host:2,FRS"));
    REQUIRE(m->expunge(0));  // already gone is fine
  }
  SECTION("a corrupt uid list is rebuilt, not trusted") {
    t.put("buzon-uidlist", "B1 V1 N2\n5 1 x\n");
    REQUIRE(m->sync());
    REQUIRE(m->messages().size() == 2);
    CHECK(m->messages()[0].uid == 1);
  }
}

TEST_CASE("maildir: ,W= in the name gives the size without reading", "[mailbox][maildir]") {
  TempMaildir t;
  REQUIRE(Maildir::open(t.dir));
  t.put("new/1000.A.host,S=3,W=777", "ab\n");
  auto m = Maildir::open(t.dir);
  REQUIRE(m);
  REQUIRE(m->messages().size() == 1);
  CHECK(m->messages()[0].vsize == 777);
}

TEST_CASE("maildir: symlinks are not followed", "[mailbox][maildir]") {
  TempMaildir t;
  REQUIRE(::mkdir((t.dir + "/real").c_str(), 0700) == 0);
  REQUIRE(::symlink((t.dir + "/real").c_str(), (t.dir + "/link").c_str()) == 0);
  CHECK_FALSE(Maildir::open(t.dir + "/link"));
  auto m = Maildir::open(t.dir + "/real");
  REQUIRE(m);
  REQUIRE(::symlink("/etc/passwd", (t.dir + "/real/new/1000.A.host").c_str()) == 0);
  REQUIRE(m->sync());
  CHECK(m->messages().empty());
}

TEST_CASE("maildir: the CRLF size of files around the read size", "[mailbox][maildir][limits]") {
  // The size scan stops at a short read; a file of exactly the buffer size
  // (64 KiB) takes one more read to see its end. Each size must count whole.
  TempMaildir t;
  REQUIRE(Maildir::open(t.dir));
  const size_t k = 65536;
  std::vector<size_t> sizes{k - 1, k, k + 1, 2 * k};
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string body(sizes[i], 'x');
    body.back() = '\n';  // one bare LF each, at the very end
    t.put("new/" + std::to_string(2000 + i) + ".S.host", body);
  }
  auto m = Maildir::open(t.dir);
  REQUIRE(m);
  REQUIRE(m->messages().size() == sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) CHECK(m->messages()[i].vsize == sizes[i] + 1);
}

TEST_CASE("maildir: a CRLF split by the read size is one line end", "[mailbox][maildir][limits]") {
  const size_t k = 65536;
  TempMaildir t;
  REQUIRE(Maildir::open(t.dir));
  std::string split(2 * k, 'x');
  split[k - 1] = '\r';
  split[k] = '\n';  // CRLF across the two reads: not bare
  split.back() = '\n';  // bare
  t.put("new/3000.A.host", split);
  std::string after(2 * k, 'x');
  after[k] = '\n';  // first byte of the second read, after an 'x': bare
  t.put("new/3001.B.host", after);
  t.put("new/3002.C.host", "\n\r\n\r\r\n\n");  // LF first, CRLF, CR CRLF, LF: 2 bare
  auto m = Maildir::open(t.dir);
  REQUIRE(m);
  REQUIRE(m->messages().size() == 3);
  CHECK(m->messages()[0].vsize == 2 * k + 1);
  CHECK(m->messages()[1].vsize == 2 * k + 1);
  CHECK(m->messages()[2].vsize == 7 + 2);
}
