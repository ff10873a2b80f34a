// What a DNS lookup that a restriction depends on said, as the session
// keeps it (the resolver's dns::Status, plus "not looked up yet").
#pragma once

namespace buzon::smtpd {

enum class DnsStatus { NotLooked, Found, NotFound, TempFail };

}  // namespace buzon::smtpd
