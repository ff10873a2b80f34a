// ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 section 4.1.2
// esmtp-param), checked the way Postfix's smtpd checks them, with its reply
// texts:
//   MAIL: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME (RFC 6152), RET=FULL|HDRS
//         and ENVID=xtext (RFC 3461), SMTPUTF8 (RFC 6531)
//   RCPT: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY and ORCPT=addr-type;xtext
//         (RFC 3461)
// Anything else is "555 5.5.4 Unsupported option: PARAM".
//
// The parsers are pure: the session applies the results (message size
// limit, queue file records).
//
// LIMITS  Values are bounded by the command line (line_length_limit);
//         decoded values are never longer than their xtext.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace buzon::smtpd {

// "SIZE=100 BODY=8BITMIME" -> {"SIZE", "100"}, {"BODY", "8BITMIME"};
// a parameter without "=" has an empty value and has_value false.
struct EsmtpParam {
  std::string_view keyword;
  std::string_view value;
  bool has_value = false;
  std::string_view text;  // the whole "KEYWORD=value", for error replies
};
std::vector<EsmtpParam> esmtp_params(std::string_view s);

// RFC 3461 section 4 xtext: "+" followed by two hex digits stands for that
// octet; other characters stand for themselves. Like Postfix, lower-case hex
// digits are accepted. nullopt when a "+" is not followed by two hex digits.
std::optional<std::string> xtext_decode(std::string_view xtext);

struct MailParams {
  std::optional<unsigned long long> size;  // SIZE, when given
  std::string ret;                          // "FULL", "HDRS" or "" (not given)
  std::optional<std::string> envid;         // decoded ENVID, when given
  bool smtputf8 = false;                    // SMTPUTF8 given
};

struct RcptParams {
  unsigned notify = 0;  // queue::Notify flags; 0 when not given
  std::string orcpt;    // "addr-type;decoded address", or "" when not given
};

// Either the parameters or the whole reply line (without CRLF) to refuse
// the command with.
template <class T>
struct Parsed {
  T value;
  std::string error;  // empty when the parameters are acceptable
  bool ok() const { return error.empty(); }
};

// smtputf8_enabled: the SMTPUTF8 keyword is announced (smtputf8_enable);
// when it is not, the parameter is an unsupported option.
Parsed<MailParams> parse_mail_params(std::string_view params, bool smtputf8_enabled);
Parsed<RcptParams> parse_rcpt_params(std::string_view params);

}  // namespace buzon::smtpd
