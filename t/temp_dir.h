// A temporary directory for one test, removed with everything in it.
#pragma once
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

namespace buzon::test {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = "/tmp/buzon-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    // An instance made here by root runs as nobody, which must get in.
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // path/name, written with text (replacing it); returns the file's path.
  std::string write(const std::string& name, std::string_view text) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  // The content of path/name ("" when it cannot be read).
  std::string read(const std::string& name) const {
    std::ifstream in(path + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

}  // namespace buzon::test
