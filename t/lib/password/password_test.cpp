#include <catch2/catch.hpp>

#include "lib/password/base64.h"
#include "lib/password/scheme.h"

using namespace buzon;
using namespace buzon::password;

TEST_CASE("password: base64 round trip and strict decoding", "[password]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode(std::string("\0user\0pass", 10)) == "AHVzZXIAcGFzcw==");
  CHECK(base64_decode("AHVzZXIAcGFzcw==") == std::string("\0user\0pass", 10));
  CHECK(base64_decode("Zm9v") == "foo");
  CHECK(base64_decode("Zm8=") == "fo");
  CHECK(base64_decode("Zg==") == "f");
  CHECK(base64_decode("") == "");
  CHECK_FALSE(base64_decode("Zm9").has_value());    // not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9v!===").has_value());
  CHECK_FALSE(base64_decode("Z=9v").has_value());   // padding in the middle
  CHECK_FALSE(base64_decode("*").has_value());      // the AUTH cancel line is not base64
}

TEST_CASE("password: every scheme hashes and verifies", "[password]") {
  auto scheme = GENERATE(Scheme::Sha512Crypt, Scheme::Sha256Crypt, Scheme::BlfCrypt, Scheme::Argon2id,
                         Scheme::ScramSha256);
  auto h = hash(scheme, "correct horse");
  REQUIRE(h.ok());
  CHECK(h->scheme == scheme);
  CHECK(h->data.find("correct horse") == std::string::npos);
  // Through the stored text form, as passwd-file holds it.
  auto parsed = parse_stored(format(*h));
  REQUIRE(parsed.ok());
  CHECK(parsed->scheme == scheme);
  CHECK(verify(*parsed, "correct horse", false));
  CHECK_FALSE(verify(*parsed, "correct horsE", false));
  CHECK_FALSE(verify(*parsed, "", false));
  // Fresh salt every time.
  auto again = hash(scheme, "correct horse");
  REQUIRE(again.ok());
  CHECK(again->data != h->data);
  // None of these hand a clear text to SASL.
  CHECK_FALSE(clear_text(*parsed, true).has_value());
}

TEST_CASE("password: known hashes from other tools", "[password]") {
  // doveadm pw -s SHA512-CRYPT -p secret (crypt(3) "$6$").
  auto h = hash(Scheme::Sha512Crypt, "secret");
  REQUIRE(h.ok());
  CHECK(h->data.rfind("$6$", 0) == 0);
  CHECK(hash(Scheme::Sha256Crypt, "x")->data.rfind("$5$", 0) == 0);
  CHECK(hash(Scheme::BlfCrypt, "x")->data.rfind("$2b$", 0) == 0);
  CHECK(hash(Scheme::Argon2id, "x")->data.rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0) == 0);
  // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==,
  // 4096 iterations. These keys reproduce the RFC's ServerSignature
  // (v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=) for its AuthMessage.
  auto rfc = parse_stored("{SCRAM-SHA-256}4096,W22ZaJ0SNY7soEsUEjb6gQ==,"
                          "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
                          "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  REQUIRE(rfc.ok());
  CHECK(verify(*rfc, "pencil", false));
  CHECK_FALSE(verify(*rfc, "pencil2", false));
  CHECK(cyrus_scram_sha256(*rfc) ==
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  // A bare crypt(3) string (system shadow) is the CRYPT scheme.
  auto bare = parse_stored(h->data);
  REQUIRE(bare.ok());
  CHECK(bare->scheme == Scheme::Crypt);
  CHECK(verify(*bare, "secret", false));
}

TEST_CASE("password: PLAIN only when weak schemes are allowed", "[password]") {
  auto p = parse_stored("{PLAIN}hunter2");
  REQUIRE(p.ok());
  CHECK(is_weak(p->scheme));
  CHECK_FALSE(verify(*p, "hunter2", false));
  CHECK(verify(*p, "hunter2", true));
  CHECK_FALSE(verify(*p, "hunter3", true));
  CHECK_FALSE(clear_text(*p, false).has_value());
  CHECK(clear_text(*p, true) == "hunter2");
  CHECK(parse_stored("{cleartext}x")->scheme == Scheme::Plain);
}

TEST_CASE("password: malformed and locked entries never match", "[password]") {
  CHECK_FALSE(parse_stored("{NOPE}x").ok());
  CHECK_FALSE(parse_stored("{SHA512-CRYPT").ok());
  CHECK_FALSE(parse_stored("{SHA512-CRYPT}").ok());
  CHECK_FALSE(parse_stored("{SCRAM-SHA-256}4096,abc").ok());
  CHECK_FALSE(parse_stored("{SCRAM-SHA-256}10,W22ZaJ0SNY7soEsUEjb6gQ==,"
                           "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=,"
                           "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=").ok());  // under kScramIterMin
  // Limits: kStoredMax and kPasswordMax, at and over.
  CHECK(parse_stored("{PLAIN}" + std::string(kStoredMax - 7, 'x')).ok());
  CHECK_FALSE(parse_stored("{PLAIN}" + std::string(kStoredMax - 6, 'x')).ok());
  auto h = hash(Scheme::Sha256Crypt, std::string(kPasswordMax, 'p'));
  REQUIRE(h.ok());
  CHECK(verify(*h, std::string(kPasswordMax, 'p'), false));
  CHECK_FALSE(verify(*h, std::string(kPasswordMax + 1, 'p'), false));
  CHECK_FALSE(hash(Scheme::Sha256Crypt, std::string(kPasswordMax + 1, 'p')).ok());
  for (const char* locked : {"!", "*", "!$6$abc$def", "*LK*"}) {
    auto s = parse_stored(locked);
    REQUIRE(s.ok());
    CHECK_FALSE(verify(*s, "", false));
    CHECK_FALSE(verify(*s, locked, false));
  }
  CHECK(scheme_from_name("sha512-crypt") == Scheme::Sha512Crypt);
  CHECK_FALSE(scheme_from_name("MD5").has_value());
}
