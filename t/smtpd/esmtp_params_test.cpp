// MAIL FROM / RCPT TO parameters: DSN (RFC 3461), SIZE, BODY, SMTPUTF8.
#include "smtpd/esmtp_params.h"

#include <catch2/catch.hpp>

#include "lib/queue/queue.h"

using namespace buzon;
using smtpd::parse_mail_params;
using smtpd::parse_rcpt_params;
using smtpd::xtext_decode;

TEST_CASE("esmtp: parameters split on blanks, keyword and value", "[esmtp]") {
  auto p = smtpd::esmtp_params("  SIZE=100\tBODY=8BITMIME  SMTPUTF8 X= ");
  REQUIRE(p.size() == 4);
  CHECK(p[0].keyword == "SIZE");
  CHECK(p[0].value == "100");
  CHECK(p[1].text == "BODY=8BITMIME");
  CHECK(p[2].keyword == "SMTPUTF8");
  CHECK_FALSE(p[2].has_value);
  CHECK(p[3].has_value);
  CHECK(p[3].value.empty());
  CHECK(smtpd::esmtp_params("").empty());
}

TEST_CASE("esmtp: xtext decoding (RFC 3461 section 4)", "[esmtp][dsn]") {
  CHECK(xtext_decode("abc") == "abc");
  CHECK(xtext_decode("a+2Bb+3Dc") == "a+b=c");
  CHECK(xtext_decode("+2b") == "+");  // lower-case hex, as Postfix accepts
  CHECK(xtext_decode("") == "");
  CHECK_FALSE(xtext_decode("+"));
  CHECK_FALSE(xtext_decode("x+2"));
  CHECK_FALSE(xtext_decode("+G0"));
  CHECK_FALSE(xtext_decode("+0"));
}

TEST_CASE("esmtp: MAIL RET and ENVID", "[esmtp][dsn]") {
  auto p = parse_mail_params("RET=hdrs ENVID=QQ+2B1", false);
  REQUIRE(p.ok());
  CHECK(p.value.ret == "HDRS");
  CHECK(p.value.envid == "QQ+1");
  CHECK(parse_mail_params("RET=FULL", false).value.ret == "FULL");
  CHECK_FALSE(parse_mail_params("", false).value.envid);
  CHECK(parse_mail_params("", false).value.ret.empty());

  CHECK(parse_mail_params("RET=ALL", false).error == "501 5.5.4 Bad RET parameter syntax");
  CHECK(parse_mail_params("RET=", false).error == "501 5.5.4 Bad RET parameter syntax");
  CHECK(parse_mail_params("RET=FULL RET=FULL", false).error == "501 5.5.4 Bad RET parameter syntax");
  CHECK(parse_mail_params("ENVID=", false).error == "501 5.5.4 Bad ENVID parameter syntax");
  CHECK(parse_mail_params("ENVID=a+", false).error == "501 5.5.4 Bad ENVID parameter syntax");
  CHECK(parse_mail_params("ENVID=a+0A", false).error == "501 5.5.4 Bad ENVID parameter syntax");  // decodes to LF
  CHECK(parse_mail_params("ENVID=a ENVID=b", false).error == "501 5.5.4 Bad ENVID parameter syntax");
  CHECK(parse_mail_params("RET", false).error == "555 5.5.4 Unsupported option: RET");
}

TEST_CASE("esmtp: MAIL SIZE, BODY, SMTPUTF8, unknown", "[esmtp]") {
  CHECK(parse_mail_params("SIZE=1000", false).value.size == 1000u);
  CHECK(parse_mail_params("SIZE=x", false).error == "501 5.5.4 Bad message size syntax");
  CHECK(parse_mail_params("SIZE=", false).error == "501 5.5.4 Bad message size syntax");
  CHECK(parse_mail_params("SIZE=-1", false).error == "501 5.5.4 Bad message size syntax");
  CHECK(parse_mail_params("SIZE=99999999999999999999", false).error ==
        "552 5.3.4 Message size exceeds file system imposed limit");
  CHECK(parse_mail_params("BODY=8bitmime body=7BIT", false).ok());
  CHECK(parse_mail_params("BODY=BINARYMIME", false).error == "555 5.5.4 Unsupported option: BODY=BINARYMIME");
  CHECK(parse_mail_params("AUTH=<>", false).error == "555 5.5.4 Unsupported option: AUTH=<>");
  CHECK(parse_mail_params("SMTPUTF8", true).value.smtputf8);
  CHECK(parse_mail_params("smtputf8", true).value.smtputf8);
  CHECK(parse_mail_params("SMTPUTF8", false).error == "555 5.5.4 Unsupported option: SMTPUTF8");
  CHECK(parse_mail_params("SMTPUTF8=yes", true).error == "555 5.5.4 Unsupported option: SMTPUTF8=yes");
}

TEST_CASE("esmtp: RCPT NOTIFY", "[esmtp][dsn]") {
  CHECK(parse_rcpt_params("NOTIFY=NEVER").value.notify == queue::kNotifyNever);
  CHECK(parse_rcpt_params("NOTIFY=success,failure").value.notify ==
        (queue::kNotifySuccess | queue::kNotifyFailure));
  CHECK(parse_rcpt_params("").value.notify == 0);
  for (const char* bad : {"NOTIFY=", "NOTIFY=NEVER,DELAY", "NOTIFY=SOMETIMES", "NOTIFY=DELAY NOTIFY=DELAY",
                          "NOTIFY=SUCCESS,SUCCESS"}) {
    INFO(bad);
    CHECK(parse_rcpt_params(bad).error == "501 5.5.4 Error: Bad NOTIFY parameter syntax");
  }
}

TEST_CASE("esmtp: RCPT ORCPT", "[esmtp][dsn]") {
  CHECK(parse_rcpt_params("ORCPT=rfc822;bob+2Bx@example.org").value.orcpt == "rfc822;bob+x@example.org");
  CHECK(parse_rcpt_params("ORCPT=rfc822;a@b NOTIFY=DELAY").value.notify == queue::kNotifyDelay);
  // RFC 6533 utf-8-addr-xtext.
  CHECK(parse_rcpt_params("ORCPT=utf-8;j\\x{F6}rg@example.org").value.orcpt == "utf-8;j\xC3\xB6rg@example.org");
  for (const char* bad : {"ORCPT=", "ORCPT=rfc822", "ORCPT=;a@b", "ORCPT=rfc822;", "ORCPT=rfc822;a+4", "ORCPT=rfc822;a+0D+0A",
                          "ORCPT=rfc822;a@b ORCPT=rfc822;a@b", "ORCPT=utf-8;\\x{D800}", "ORCPT=utf-8;\\x{}",
                          "ORCPT=utf-8;\\y"}) {
    INFO(bad);
    CHECK(parse_rcpt_params(bad).error == "501 5.5.4 Error: Bad ORCPT parameter syntax");
  }
  CHECK(parse_rcpt_params("FOO").error == "555 5.5.4 Unsupported option: FOO");
}
