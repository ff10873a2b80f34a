#include <catch2/catch.hpp>

#include <memory>

#include "pop3d/line_input.h"

using namespace buzon::pop3d;
using Kind = LineInput::Kind;

namespace {

struct Buffer {
  std::unique_ptr<evbuffer, void (*)(evbuffer*)> b{evbuffer_new(), evbuffer_free};
  void add(const std::string& s) { evbuffer_add(b.get(), s.data(), s.size()); }
};

}  // namespace

TEST_CASE("pop3 line input: CRLF and bare LF lines, partial input", "[pop3d][line]") {
  Buffer in;
  LineInput li;
  in.add("USER alice\r\nNOOP\nQU");
  auto l = li.next(in.b.get(), 255);
  CHECK(l.kind == Kind::Ok);
  CHECK(l.text == "USER alice");
  CHECK(li.next(in.b.get(), 255).text == "NOOP");
  CHECK(li.next(in.b.get(), 255).kind == Kind::NeedMore);
  in.add("IT\r\n");
  CHECK(li.next(in.b.get(), 255).text == "QUIT");
  CHECK(li.next(in.b.get(), 255).kind == Kind::NeedMore);
}

TEST_CASE("pop3 line input: the limit, at limit and limit+1", "[pop3d][line]") {
  Buffer in;
  LineInput li;
  in.add(std::string(10, 'a') + "\r\n" + std::string(11, 'b') + "\r\nNOOP\r\n");
  auto at = li.next(in.b.get(), 10);
  CHECK(at.kind == Kind::Ok);
  CHECK(at.text.size() == 10);
  CHECK(li.next(in.b.get(), 10).kind == Kind::TooLong);
  CHECK(li.next(in.b.get(), 10).text == "NOOP");
}

TEST_CASE("pop3 line input: an endless line is dropped, not buffered", "[pop3d][line]") {
  Buffer in;
  LineInput li;
  in.add(std::string(100, 'x'));
  CHECK(li.next(in.b.get(), 10).kind == Kind::TooLong);
  CHECK(evbuffer_get_length(in.b.get()) == 0);
  in.add(std::string(100, 'x'));
  CHECK(li.next(in.b.get(), 10).kind == Kind::NeedMore);  // reported once
  CHECK(evbuffer_get_length(in.b.get()) == 0);
  in.add("tail\r\nCAPA\r\n");
  auto l = li.next(in.b.get(), 10);
  CHECK(l.kind == Kind::Ok);
  CHECK(l.text == "CAPA");
}
