#include <catch2/catch.hpp>

#include "pop3d/session_log.h"

using namespace buzon::pop3d;

TEST_CASE("pop3d log lines: Postfix shape with Dovecot's fields", "[pop3d][log]") {
  Endpoints ep{"192.0.2.7", "192.0.2.1"};
  CHECK(login_line("alice", "PLAIN", ep, true) == "login: user=<alice>, method=PLAIN, rip=192.0.2.7, lip=192.0.2.1, TLS");
  CHECK(login_line("bob", "CRAM-MD5", ep, false) == "login: user=<bob>, method=CRAM-MD5, rip=192.0.2.7, lip=192.0.2.1");
  SessionStats st;
  st.retr_count = 1;
  st.retr_bytes = 2048;
  st.deleted = 1;
  st.messages = 3;
  st.size = 4096;
  CHECK(logout_line("alice", ep, "Logged out", st) ==
        "Disconnected: user=<alice>, rip=192.0.2.7, reason=Logged out, top=0/0, retr=1/2048, del=1/3, size=4096");
  CHECK(prelogin_line(ep, "Inactivity", 2, false) ==
        "Disconnected: rip=192.0.2.7, lip=192.0.2.1, reason=Inactivity, auth_attempts=2");
}

TEST_CASE("pop3d log lines: a user name cannot forge a line", "[pop3d][log]") {
  std::string line = login_line("evil\nDisconnected: user=<root>", "PLAIN", {"a", "b"}, false);
  CHECK(line.find('\n') == std::string::npos);
}
