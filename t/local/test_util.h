// Shared helpers for the local unit tests: a throwaway queue, queue files
// written with the real queue::Writer, and small file utilities.
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/core/fd.h"
#include "lib/file/file.h"
#include "lib/queue/queue.h"
#include "local/content.h"
#include "t/temp_dir.h"

namespace buzon::test {

// The test's folder with an empty queue in it.
struct QueueDir : TempDir {
  QueueDir() {
    for (const char* d : queue::kDirs) REQUIRE(file::make_dirs(path + "/queue/" + d, 0700));
  }
  std::string queue() const { return path + "/queue"; }
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spew(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline off_t size_of(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// A committed queue file, moved to active/ as qmgr would.
struct QueuedMessage {
  std::string id;
  std::string path;
  queue::Envelope env;
  Fd fd;
  local::Message message(size_t recipient = 0) const {
    const auto& r = env.recipients.at(recipient);
    return local::Message{env.sender, r.address, fd.get(), env.content_offset, env.content_size,
                          env.id,     r.offset,  env.arrival_sec, env.arrival_usec};
  }
};

inline QueuedMessage queue_message(const std::string& queue_dir, const std::string& sender,
                                   const std::vector<std::string>& rcpts, const std::string& content) {
  auto w = queue::Writer::create(queue_dir);
  REQUIRE(w);
  REQUIRE(w->sender(sender));
  for (const auto& r : rcpts) REQUIRE(w->recipient(r));
  REQUIRE(w->begin_content());
  REQUIRE(w->append(content));
  REQUIRE(w->commit());
  QueuedMessage q;
  q.id = w->id();
  q.path = queue::path(queue_dir, "active", q.id);
  REQUIRE(::rename(queue::path(queue_dir, "incoming", q.id).c_str(), q.path.c_str()) == 0);
  q.fd.reset(::open(q.path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(q.fd);
  auto env = queue::read_envelope(q.fd.get(), q.id);
  REQUIRE(env);
  q.env = std::move(*env);
  return q;
}

inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace buzon::test
