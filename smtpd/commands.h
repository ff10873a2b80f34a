// The SMTP command table: one row per verb, one Session handler per row
// (commands.cpp; STARTTLS in tls_cmd.cpp, AUTH in auth_cmd.cpp). BDAT and
// ETRN will be rows here.
#pragma once
#include <span>
#include <string_view>

namespace buzon::smtpd {

class Session;

struct CommandDef {
  std::string_view name;  // upper case, as logged ("MAIL")
  void (Session::*handler)(std::string_view arg);
  bool in_help;           // listed by HELP (VRFY only when enabled)
};

std::span<const CommandDef> command_table();
// Index into command_table() of verb (any case), or command_table().size()
// when it is not a known command.
size_t find_command(std::string_view verb);

}  // namespace buzon::smtpd
