#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/file/file.h"

using namespace buzon;

namespace {
struct TempDir {
  std::string dir;
  TempDir() {
    char tmpl[] = "/tmp/buzon-file-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + dir + "'").c_str()); }
};
}  // namespace

TEST_CASE("file: write_atomic replaces content and sets the mode", "[file]") {
  TempDir t;
  std::string p = t.dir + "/f";
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
  CHECK_FALSE(file::write_atomic(t.dir + "/no/such/f", "x"));
}

TEST_CASE("file: read_file limit at and over", "[file]") {
  TempDir t;
  std::string p = t.dir + "/f";
  REQUIRE(file::write_atomic(p, std::string(10, 'a')));
  CHECK(file::read_file(p, 10));
  auto r = file::read_file(p, 9);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("too long") != std::string::npos);
  CHECK_FALSE(file::read_file(t.dir + "/missing", 10));
}

TEST_CASE("file: make_dirs and dirname", "[file]") {
  TempDir t;
  REQUIRE(file::make_dirs(t.dir + "/a/b/c", 0700));
  REQUIRE(file::make_dirs(t.dir + "/a/b/c", 0700));  // idempotent
  REQUIRE(file::write_atomic(t.dir + "/plain", "x"));
  CHECK_FALSE(file::make_dirs(t.dir + "/plain"));
  CHECK(file::dirname("/a/b") == "/a");
  CHECK(file::dirname("/a") == "/");
  CHECK(file::dirname("b") == ".");
  CHECK(file::fsync_dir(t.dir));
  CHECK_FALSE(file::fsync_dir(t.dir + "/missing"));
}
