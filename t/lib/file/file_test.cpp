#include <catch2/catch.hpp>

#include <cerrno>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file/file.h"
#include "t/temp_dir.h"

using namespace buzon;

namespace {
using test::TempDir;

}  // namespace

TEST_CASE("file: write_atomic replaces content and sets the mode", "[file]") {
  TempDir t;
  std::string p = t.path + "/f";
  REQUIRE(file::write_atomic(p, "one", 0600));
  REQUIRE(file::write_atomic(p, "two", 0640));
  CHECK(*file::read_file(p, 100) == "two");
  struct stat st;
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK(::access((p + ".tmp." + std::to_string(::getpid())).c_str(), F_OK) != 0);
}

TEST_CASE("file: write_atomic into a missing directory fails", "[file]") {
  TempDir t;
  CHECK_FALSE(file::write_atomic(t.path + "/no/such/f", "x"));
}

TEST_CASE("file: read_file limit at and over", "[file]") {
  TempDir t;
  std::string p = t.path + "/f";
  REQUIRE(file::write_atomic(p, std::string(10, 'a')));
  CHECK(file::read_file(p, 10));
  auto r = file::read_file(p, 9);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("too long") != std::string::npos);
  CHECK_FALSE(file::read_file(t.path + "/missing", 10));
}

TEST_CASE("file: pread_exact reads n bytes at an offset, or fails when the file ends first", "[file]") {
  TempDir t;
  std::string p = t.path + "/f";
  REQUIRE(file::write_atomic(p, "0123456789"));
  int fd = ::open(p.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  char buf[8] = {};
  REQUIRE(file::pread_exact(fd, buf, 4, 3));
  CHECK(std::string(buf, 4) == "3456");
  auto past = file::pread_exact(fd, buf, 4, 8);
  REQUIRE_FALSE(past);
  CHECK(past.error().sys_errno == 0);
  ::close(fd);
  auto closed = file::pread_exact(fd, buf, 1, 0);
  REQUIRE_FALSE(closed);
  CHECK(closed.error().sys_errno == EBADF);
}

TEST_CASE("file: make_dirs and dirname", "[file]") {
  TempDir t;
  REQUIRE(file::make_dirs(t.path + "/a/b/c", 0700));
  REQUIRE(file::make_dirs(t.path + "/a/b/c", 0700));  // idempotent
  REQUIRE(file::write_atomic(t.path + "/plain", "x"));
  CHECK_FALSE(file::make_dirs(t.path + "/plain"));
  CHECK(file::dirname("/a/b") == "/a");
  CHECK(file::dirname("/a") == "/");
  CHECK(file::dirname("b") == ".");
  CHECK(file::fsync_dir(t.path));
  CHECK_FALSE(file::fsync_dir(t.path + "/missing"));
}
