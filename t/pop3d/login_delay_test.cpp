// pop3d/login_delay: the stamp file that enforces pop3d_login_delay.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pop3d/login_delay.h"
#include "t/temp_dir.h"

using namespace buzon::pop3d;
using namespace std::chrono_literals;

namespace {

using buzon::test::TempDir;

}  // namespace

TEST_CASE("login delay: the first login stamps, a second within the delay is too soon", "[pop3d][login_delay]") {
  TempDir dir;
  std::string stamp = dir.path + "/" + kLoginStampName;
  const std::time_t t0 = 1'700'000'000;
  auto first = login_too_soon(stamp, 900s, t0);
  REQUIRE(first);
  CHECK_FALSE(*first);
  struct stat st {};
  REQUIRE(::stat(stamp.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_mtim.tv_sec == t0);

  auto again = login_too_soon(stamp, 900s, t0 + 899);
  REQUIRE(again);
  CHECK(*again);
  // A refused login does not move the stamp: the wait does not restart.
  REQUIRE(::stat(stamp.c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec == t0);

  auto later = login_too_soon(stamp, 900s, t0 + 900);
  REQUIRE(later);
  CHECK_FALSE(*later);
  REQUIRE(::stat(stamp.c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec == t0 + 900);
}

TEST_CASE("login delay: a clock set back delays by at most the delay", "[pop3d][login_delay]") {
  TempDir dir;
  std::string stamp = dir.path + "/" + kLoginStampName;
  const std::time_t t0 = 1'700'000'000;
  REQUIRE_FALSE(*login_too_soon(stamp, 60s, t0));
  CHECK(*login_too_soon(stamp, 60s, t0 - 59));
  CHECK_FALSE(*login_too_soon(stamp, 60s, t0 - 3600));
}

TEST_CASE("login delay: a symlink or a directory in the stamp's place is an error", "[pop3d][login_delay]") {
  TempDir dir;
  std::string stamp = dir.path + "/" + kLoginStampName;
  std::string target = dir.path + "/elsewhere";
  std::ofstream(target) << "not ours";
  REQUIRE(::symlink(target.c_str(), stamp.c_str()) == 0);
  auto linked = login_too_soon(stamp, 60s, 1'700'000'000);
  CHECK_FALSE(linked);
  std::ifstream in(target);
  std::string content;
  std::getline(in, content);
  CHECK(content == "not ours");

  std::string as_dir = dir.path + "/d";
  REQUIRE(::mkdir(as_dir.c_str(), 0700) == 0);
  CHECK_FALSE(login_too_soon(as_dir, 60s, 1'700'000'000));
  CHECK_FALSE(login_too_soon(dir.path + "/missing/" + kLoginStampName, 60s, 1'700'000'000));
}
