// Envelope addresses: the RFC 5321 section 4.1.2 Path and Mailbox grammar,
// as smtpd meets it in MAIL FROM and RCPT TO, and as the other daemons meet
// it in queue files.
//
//   Path     = "<" [ A-d-l ":" ] Mailbox ">"     (source route accepted, dropped)
//   Mailbox  = Local-part "@" ( Domain / address-literal )
//   Local-part = Dot-string / Quoted-string       ("a b"@x, "a\"b"@x)
//   Domain   = sub-domain *("." sub-domain)       (letters, digits, inner hyphens;
//                                                  one trailing dot tolerated, stripped)
//   address-literal = "[" IPv4 "]" / "[IPv6:" IPv6 "]"
//
// With allow_utf8 (SMTPUTF8, RFC 6531 section 3.3) local parts and domain
// labels may also hold non-ASCII UTF-8 (well-formed, shortest form, no
// surrogates); without it any 8-bit byte is malformed.
//
// Postfix leniencies that are kept (strict_rfc821_envelopes = no): the angle
// brackets may be missing, and white space may follow the colon of
// "MAIL FROM:". "user%host" and "user!host" are ordinary local parts: no
// routing is derived from them (that is how open relays were made).
//
// LIMITS  RFC 5321 section 4.5.3.1: kDomainMax octets of domain, kPathMax
//         octets of path (angle brackets included, counted as present even
//         when the client omitted them), kLabelMax octets per DNS label
//         (RFC 1035). Longer is an error ("too long"), never truncated.
//         The local part is NOT held to the RFC's kLocalMax: like Postfix
//         we accept longer ones (SRS, VERP and BATV senders, mailing list
//         bounce addresses exceed 64 octets every day, and section
//         4.5.3.1 asks servers to accept what they can), up to
//         kLocalAcceptMax, which a path of kPathMax always respects.
#pragma once
#include <string>
#include <string_view>

#include "lib/core/result.h"

namespace buzon::address {

constexpr size_t kLocalMax = 64;  // RFC 5321's limit; documented, not enforced (above)
constexpr size_t kLocalAcceptMax = 254;  // kPathMax minus the angle brackets
constexpr size_t kDomainMax = 255;
constexpr size_t kPathMax = 256;
constexpr size_t kLabelMax = 63;

struct Address {
  std::string local;   // unquoted: quoted-pairs resolved, surrounding quotes gone
  std::string domain;  // as written minus a trailing dot; "[192.0.2.1]" keeps its
                       // brackets; empty for the null path and unqualified names
  bool is_null = false;  // the null reverse-path <>
  bool root_dot = false;  // parse_path: the domain was written with a trailing
                          // dot (Postfix shows it so in replies and logs)

  // True when local part and domain are plain ASCII (no SMTPUTF8 needed).
  bool is_ascii() const;
  // True for "[...]" domains.
  bool is_literal() const { return !domain.empty() && domain.front() == '['; }
  // Domain in lower case (DNS names and IPv6 literals compare case-insensitively).
  std::string domain_lower() const;
  // Canonical text: local part quoted (with quoted-pairs) only when it is
  // not a valid Dot-string, then "@" domain when there is one. "" for null.
  //   {local = "a b", domain = "x"} -> "\"a b\"@x"
  std::string text() const;
};

struct PathOptions {
  bool allow_null = false;         // MAIL FROM:<> (never for RCPT)
  bool allow_unqualified = false;  // "<user>" with no domain: the caller decides
                                   // (RCPT TO:<Postmaster>, local submission)
  bool strict_brackets = false;    // strict_rfc821_envelopes: require <...>
  bool allow_utf8 = false;         // RFC 6531 UTF-8 local parts and U-labels
  bool allow_routed_at = false;    // "user@other@ours", which Postfix accepts and
                                   // resolves: the local part becomes "user@other"
                                   // (relay control must see the route, see
                                   // smtpd/resolve.h); kLocalAcceptMax then counts
                                   // everything before the last '@'
};

struct PathResult {
  Address address;
  std::string_view params;  // what follows the path ("SIZE=100 BODY=8BITMIME"),
                            // leading white space removed; a view into the input
};

// Parses the argument of MAIL FROM: / RCPT TO: (the text after the colon).
// Leading white space is skipped unless strict_brackets. The path ends at
// its closing '>' (a '>' inside a quoted local part does not count) or, when
// the brackets are missing, at the first white space outside quotes.
// Errors: "too long" (a limit above), "malformed" (anything else), "null"
// (<> where allow_null is false), "unqualified" (no domain where
// allow_unqualified is false).
Result<PathResult> parse_path(std::string_view arg, const PathOptions& opts);

// Parses one bare Mailbox (no brackets, no parameters, the whole input), e.g.
// a recipient read back from a queue file. Same errors as parse_path, except
// that kPathMax does not apply (there is no path; kLocalAcceptMax and
// kDomainMax do).
// UTF-8 is allowed: the addresses smtpd accepted with SMTPUTF8 are read back.
Result<Address> parse_mailbox(std::string_view text, bool allow_unqualified = false);

// True when s is a valid RFC 5321 Dot-string (needs no quoting); non-ASCII
// UTF-8 counts as atext (RFC 6531), so UTF-8 local parts are not quoted.
bool is_dot_string(std::string_view s);

// Length of the well-formed non-ASCII UTF-8 sequence (RFC 3629) at the
// start of s, or 0 when there is none (an ASCII byte, a malformed, overlong
// or surrogate sequence).
size_t utf8_sequence(std::string_view s);
// True when s is entirely well-formed UTF-8 (ASCII included).
bool valid_utf8(std::string_view s);

// Local part without its address extension: the text before the first of
// the recipient_delimiter characters ("user+ext" -> "user" for "+"). A
// delimiter in the first position is not an extension ("+x" stays "+x"), so
// that no local part can be reduced to nothing. Empty delimiters: no change.
std::string_view strip_extension(std::string_view local, std::string_view delimiters);

}  // namespace buzon::address
