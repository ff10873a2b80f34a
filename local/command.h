// Delivery to an external command (Postfix local(8) "EXTERNAL COMMAND
// DELIVERY"): /bin/sh -c COMMAND with the message on standard input,
// preceded by the "From sender date" line, Return-Path: and Delivered-To:
// (no From_ quoting, no empty line appended). The caller has already taken
// the rights the command runs with; run_command only forks and execs.
//
// Outcome, as Postfix maps it (sysexits(3)):
//   exit 0                          sent
//   EX_TEMPFAIL, EX_OSERR           defer (4.3.0)
//   other non-zero exit             bounce (the sysexits DSN, else 5.3.0)
//   killed by a signal              defer
//   over command_time_limit         bounce 5.3.0 "Command time limit exceeded"
// Output that starts with an enhanced status code ("5.1.1 ...") overrides
// the DSN of a non-zero exit; the first kOutputMax bytes of output go into
// the reason.
//
// LIMITS  kOutputMax bytes of command output kept; command_time_limit.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "local/content.h"
#include "local/reply.h"

namespace buzon::local {

constexpr size_t kOutputMax = 2048;

struct CommandSpec {
  std::string command;              // given to /bin/sh -c
  std::vector<std::string> env;     // NAME=value, the whole environment
  std::string cwd;                  // working directory ("" = unchanged)
  std::chrono::seconds time_limit{1000};
};

// Replaces characters outside Postfix's command_expansion_filter with '_'
// (environment values must not carry shell syntax into a careless script).
std::string env_safe(std::string_view value);

Reply run_command(const CommandSpec& spec, const Message& msg, long long now);

// Exit status to Reply (exposed for tests). output is the captured text.
Reply command_reply(const std::string& command, int wait_status, bool timed_out, const std::string& output);

}  // namespace buzon::local
