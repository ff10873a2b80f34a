// Dates as mail headers write them.
#pragma once
#include <ctime>
#include <string>

namespace buzon {

// RFC 5322 section 3.3 date-time in local time with a numeric zone:
// "Tue, 3 Dec 2024 10:52:37 +0100". Independent of the C locale.
std::string rfc5322_date(std::time_t t);

}  // namespace buzon
