// ByteSource - where sendmail reads the message from: stdin in production,
// a string in the unit tests. read() returns 0 at end of input.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::cli {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to max bytes into buf; 0 means end of input.
  virtual Result<size_t> read(char* buf, size_t max) = 0;
};

// Reads a file descriptor it does not own (stdin), retrying on EINTR.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  Result<size_t> read(char* buf, size_t max) override;

 private:
  int fd_;
};

// Hands out a string, at most chunk bytes per read() so the tests exercise
// the boundaries between reads.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data, size_t chunk = 65536)
      : data_(std::move(data)), chunk_(chunk) {}
  Result<size_t> read(char* buf, size_t max) override;

 private:
  std::string data_;
  size_t pos_ = 0;
  size_t chunk_;
};

}  // namespace buzon::cli
