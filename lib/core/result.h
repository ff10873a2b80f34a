// Result<T> - a value or an Error, for expected failures (peer, disk, bad
// input). Callers must check before using the value; value() on an error is
// a broken invariant and aborts.
#pragma once
#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace buzon {

struct Error {
  std::string message;  // for the log, never sent to a client verbatim
  int sys_errno = 0;    // errno when the failure came from a system call
};

// Builds an Error for a failed system call, capturing errno now.
// sys_error("open /x") -> "open /x: No such file or directory"
Error sys_error(const std::string& what);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { check(); return std::get<0>(v_); }
  const T& value() const& { check(); return std::get<0>(v_); }
  T&& value() && { check(); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  void check() const { if (!ok()) std::abort(); }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}
  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace buzon
