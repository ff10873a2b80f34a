// APOP (RFC 1939 section 7) in authd: the digest, the response parser and
// the checks against a passwd-file. The Conversation path (offered only
// with clear texts, bans, delays) is in sasl_test.cpp, whose one Engine
// has APOP configured.
#include <catch2/catch.hpp>

#include <string>

#include "authd/apop.h"

using namespace buzon::authd;
using namespace std::literals;

TEST_CASE("apop: the digest of RFC 1939's example", "[authd][apop]") {
  // RFC 1939 section 7: shared secret "tanstaaf".
  CHECK(apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf") == "c4c9334bac560ecc979e58001b3e22fb");
}
