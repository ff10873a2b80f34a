// A temporary directory for one test, removed with everything in it.
#pragma once
#include <sys/stat.h>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace buzon::test {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/buzon-cli-XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path = p;
    // An instance made here by root runs as nobody, which must get in.
    ::chmod(p, 0755);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace buzon::test
