// Logging to syslog facility mail (ident "<syslog_name>/<program>") and, when
// maillog_file is set, appended to that file with one write(2) per line so
// concurrent processes never interleave. Line shape is Postfix's:
//   4C1F2A3B4D5E6F7A8: from=<a@example.org>, size=2048, nrcpt=1
// Values are sanitized (control characters replaced) and truncated.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace buzon::config { class MainCf; }

namespace buzon::log {

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  std::string key;
  std::string value;
};
using Fields = std::initializer_list<Field>;

// Call once per process after the configuration is loaded. program is the
// daemon name ("smtpd"). Before init, messages go to stderr.
void init(std::string_view program, const config::MainCf& cf);
// Also copy every line to stderr (command-line tools, foreground master).
void also_stderr(bool on);

// "QID: k=v, k=v" (qid may be "NOQUEUE"); pure, for tests.
std::string format(std::string_view qid, Fields fields);

void info(std::string_view qid, Fields fields);
void info(std::string_view text);
void warning(std::string_view text);
[[noreturn]] void fatal(std::string_view text);            // logs, exit(1)
[[noreturn]] void panic(const char* file, int line, std::string_view text);  // logs, abort()

}  // namespace buzon::log

#define MAIL_PANIC(text) ::buzon::log::panic(__FILE__, __LINE__, (text))
