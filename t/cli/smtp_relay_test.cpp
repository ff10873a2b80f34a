#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "cli/smtp_relay.h"
#include "lib/core/fd.h"

using namespace buzon;
using namespace buzon::cli;

TEST_CASE("relay: bare LF becomes CRLF, CRLF stays, across chunks", "[relay]") {
  bool cr = false;
  CHECK(lf_to_crlf("HELO x\nMAIL FROM:<a@b>\r\n", cr) == "HELO x\r\nMAIL FROM:<a@b>\r\n");
  cr = false;
  std::string a = lf_to_crlf("QUIT\r", cr);
  std::string b = lf_to_crlf("\n", cr);
  CHECK(a + b == "QUIT\r\n");
  cr = false;
  CHECK(lf_to_crlf("\n\n", cr) == "\r\n\r\n");
}

TEST_CASE("relay: a whole session through stdin/stdout pipes", "[relay]") {
  int in[2], out[2], sv[2];
  REQUIRE(::pipe(in) == 0);
  REQUIRE(::pipe(out) == 0);
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  Fd in_r(in[0]), in_w(in[1]), out_r(out[0]), out_w(out[1]), client(sv[0]), server(sv[1]);

  // The "server" greets, reads until the client's side is shut down, then
  // answers and closes, as smtpd does after QUIT.
  std::string got;
  std::thread srv([&] {
    (void)!::write(server.get(), "220 hi\r\n", 8);
    char buf[256];
    ssize_t n;
    while ((n = ::read(server.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    (void)!::write(server.get(), "221 bye\r\n", 9);
    server.reset();
  });
  std::string typed = "EHLO me\nQUIT\n";
  REQUIRE(::write(in_w.get(), typed.data(), typed.size()) == static_cast<ssize_t>(typed.size()));
  in_w.reset();  // end of stdin
  auto s = relay_smtp(in_r.get(), out_w.get(), client.get());
  srv.join();
  CHECK(s.ok());
  out_w.reset();
  std::string shown;
  char buf[256];
  ssize_t n;
  while ((n = ::read(out_r.get(), buf, sizeof buf)) > 0) shown.append(buf, static_cast<size_t>(n));
  CHECK(got == "EHLO me\r\nQUIT\r\n");
  CHECK(shown == "220 hi\r\n221 bye\r\n");
}
