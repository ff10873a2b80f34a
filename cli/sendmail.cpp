#include "cli/sendmail.h"

#include <pwd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/address_list.h"
#include "cli/commands.h"
#include "cli/map_cmd.h"
#include "lib/stream/data_encoder.h"
#include "cli/sendmail_args.h"
#include "cli/smtp_client.h"
#include "cli/smtp_relay.h"
#include "lib/attr/attr.h"
#include "lib/config/config.h"
#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/users/users.h"

namespace buzon::cli {
namespace {

constexpr size_t kWriteChunk = 65536;

SubmitOutcome fail(int code, std::string message) { return {code, std::move(message)}; }

// A reply that is not the expected success: 4xx is temporary, 5xx at RCPT
// is an unknown user, any other 5xx a rejected message.
SubmitOutcome rejected(const std::string& what, const SmtpReply& r, bool at_rcpt = false) {
  int code = r.code < 500 ? EX_TEMPFAIL : at_rcpt ? EX_NOUSER : EX_DATAERR;
  return fail(code, what + " rejected: " + r.summary());
}

void add_unique(std::vector<std::string>& out, std::string a) {
  for (const auto& x : out)
    if (x == a) return;
  out.push_back(std::move(a));
}

bool needs_quotes(std::string_view name) {
  for (unsigned char c : name)
    if (c < 0x80 && !std::isalnum(c) && c != ' ' && !std::strchr("!#$%&'*+-/=?^_`{|}~", c)) return true;
  return false;
}

void print_fatal(const char* prog, const std::string& message) {
  std::fprintf(stderr, "%s: fatal: %s\n", prog, message.c_str());
}

const char* const kUsage =
    "usage: sendmail [-t] [-i] [-f sender] [-F full_name] [-C config_dir] [-N dsn] [-R ret] [recipient ...]\n"
    "       sendmail -bp | -bs | -q | -bi [-C config_dir]\n"
    "       mailq [-C config_dir]; newaliases [-C config_dir]\n";

// -C names the configuration directory or, like Postfix, a file in it.
std::string config_dir_of(const std::optional<std::string>& dash_c) {
  if (!dash_c) return config::config_dir_from(nullptr);
  struct stat st;
  if (::stat(dash_c->c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return file::dirname(*dash_c);
  return config::config_dir_from(dash_c->c_str());
}

// The caller's login name: the system account of the uid; when there is
// none (a container uid), the local_passwd_file entry of the uid. The
// system name comes first because in instance mode every instance user
// shares the invoking user's uid, so the uid does not say which one is
// sending (t/integration/sendmail_local.py expects the login name).
Result<std::string> login_name(const config::MainCf& cf) {
  uid_t uid = ::getuid();
  if (const passwd* pw = ::getpwuid(uid)) return std::string(pw->pw_name);
  if (auto u = users::find_uid(cf, uid); u && u->has_value()) return (*u)->name;
  return Error{"no login name found for user ID " + std::to_string(uid)};
}

int deliver(const SendmailOptions& o, const config::MainCf& cf, const char* prog) {
  std::string myorigin = cf.get("myorigin");
  FdSource in(STDIN_FILENO);
  auto hb = read_header_block(in, cf.get_size("header_size_limit"), !o.ignore_dots);
  if (!hb) {
    print_fatal(prog, hb.error().message);
    return hb.error().sys_errno ? EX_IOERR : EX_DATAERR;
  }
  auto rcpts = command_line_recipients(o.recipients, myorigin);
  if (!rcpts) {
    print_fatal(prog, rcpts.error().message);
    return EX_USAGE;
  }
  if (o.extract_recipients) {
    auto more = header_recipients(*hb, myorigin);
    if (!more) {
      print_fatal(prog, more.error().message);
      return EX_DATAERR;
    }
    for (auto& r : *more) add_unique(*rcpts, std::move(r));
  }
  if (rcpts->empty()) {
    print_fatal(prog, "no recipients specified");
    return EX_USAGE;
  }

  SubmitEnvelope env;
  env.recipients = std::move(*rcpts);
  std::string from_line;
  bool need_user = !o.sender || !hb->has("From");
  std::string user_address;
  if (need_user) {
    auto user = login_name(cf);
    if (!user) {
      print_fatal(prog, user.error().message);
      return EX_USAGE;
    }
    user_address = qualify(*user, myorigin);
  }
  if (o.sender) {
    if (o.sender->empty()) {
      env.sender = "";
    } else {
      auto s = parse_address_list(*o.sender);
      if (!s || s->size() != 1) {
        print_fatal(prog, "-f: bad sender address: " + str::sanitize(*o.sender));
        return EX_USAGE;
      }
      env.sender = qualify((*s)[0].address, myorigin);
    }
  } else {
    env.sender = user_address;
  }
  if (!hb->has("From")) {
    std::optional<std::string> name = o.full_name;
    if (!name) {
      // Postfix's sendmail takes the full name from $NAME when -F is absent.
      if (const char* n = std::getenv("NAME"); n && *n) name = std::string(n);
    }
    if (name) {
      std::string clean;
      for (char c : *name)
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) clean += c;
      name = clean;
    }
    from_line = from_header(name, user_address);
  }

  std::string socket_path = cf.get("queue_directory") + "/public/submit";
  auto sock = attr::connect_unix(socket_path);
  if (!sock) {
    print_fatal(prog, "cannot connect to " + socket_path + ": " + sock.error().message +
                          " (is the mail system running?)");
    return EX_TEMPFAIL;
  }
  Fd fd = std::move(*sock);
  bool more_input = hb->end == HeaderBlock::End::Blank || hb->end == HeaderBlock::End::Body;
  auto r = submit(fd.get(), env, compose_head(*hb, from_line), more_input ? &in : nullptr, !o.ignore_dots,
                  kSubmitTimeout);
  if (r.exit_code != 0) print_fatal(prog, r.message);
  return r.exit_code;
}

}  // namespace

std::string qualify(std::string_view address, std::string_view myorigin) {
  if (address.empty()) return "";
  // An '@' inside a quoted local part does not count ("a@b"@c is qualified).
  bool quoted = false;
  for (size_t i = 0; i < address.size(); ++i) {
    char c = address[i];
    if (c == '\\' && quoted) ++i;
    else if (c == '"') quoted = !quoted;
    else if (c == '@' && !quoted) return std::string(address);
  }
  return std::string(address) + "@" + std::string(myorigin);
}

Result<std::vector<std::string>> command_line_recipients(std::span<const std::string> args,
                                                         std::string_view myorigin) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    auto list = parse_address_list(a);
    if (!list) return Error{"bad recipient address: " + str::sanitize(a) + ": " + list.error().message};
    for (auto& m : *list) add_unique(out, qualify(m.address, myorigin));
  }
  return out;
}

Result<std::vector<std::string>> header_recipients(const HeaderBlock& hb, std::string_view myorigin) {
  bool resent = hb.has("Resent-To") || hb.has("Resent-Cc") || hb.has("Resent-Bcc");
  const char* names[3] = {"To", "Cc", "Bcc"};
  if (resent) {
    names[0] = "Resent-To";
    names[1] = "Resent-Cc";
    names[2] = "Resent-Bcc";
  }
  std::vector<std::string> out;
  for (const auto& f : hb.fields) {
    if (!str::iequals(f.name, names[0]) && !str::iequals(f.name, names[1]) && !str::iequals(f.name, names[2]))
      continue;
    auto list = parse_address_list(f.unfolded_body());
    if (!list) return Error{"malformed " + f.name + ": header: " + list.error().message};
    for (auto& m : *list) add_unique(out, qualify(m.address, myorigin));
  }
  return out;
}

std::string from_header(const std::optional<std::string>& full_name, std::string_view address) {
  std::string a(address);
  if (!full_name || str::trim(*full_name).empty()) return "From: <" + a + ">";
  std::string name(str::trim(*full_name));
  if (needs_quotes(name)) {
    std::string q = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    name = q + "\"";
  }
  return "From: " + name + " <" + a + ">";
}

std::string compose_head(const HeaderBlock& hb, std::string_view from_line) {
  std::string out;
  for (const auto& f : hb.fields) {
    if (str::iequals(f.name, "Bcc") || str::iequals(f.name, "Resent-Bcc")) continue;
    out += f.raw;
    out += '\n';
  }
  if (!from_line.empty()) {
    out += from_line;
    out += '\n';
  }
  switch (hb.end) {
    case HeaderBlock::End::Blank:
    case HeaderBlock::End::Body:  // RFC 5322 2.1: an empty line separates header and body
      out += '\n';
      out += hb.rest;
      break;
    case HeaderBlock::End::Eof:
    case HeaderBlock::End::Dot:
      break;
  }
  return out;
}

SubmitOutcome submit(int fd, const SubmitEnvelope& env, std::string_view head, ByteSource* body,
                     bool dot_ends_input, std::chrono::milliseconds timeout) {
  SmtpClient c(fd, timeout);
  auto io_fail = [](const Error& e) { return fail(EX_TEMPFAIL, "submission failed: " + e.message); };

  auto r = c.read_reply();
  if (!r) return io_fail(r.error());
  if (r->code != 220) return rejected("connection", *r);
  r = c.command("EHLO localhost");
  if (!r) return io_fail(r.error());
  if (r->code >= 500) {  // a server without ESMTP (RFC 5321 3.2)
    r = c.command("HELO localhost");
    if (!r) return io_fail(r.error());
  }
  if (r->code != 250) return rejected("HELO", *r);
  r = c.command("MAIL FROM:<" + env.sender + ">");
  if (!r) return io_fail(r.error());
  if (r->code != 250) return rejected("sender <" + env.sender + ">", *r);
  for (const auto& rcpt : env.recipients) {
    r = c.command("RCPT TO:<" + rcpt + ">");
    if (!r) return io_fail(r.error());
    if (r->code != 250 && r->code != 251) {
      (void)c.command("QUIT");
      return rejected("recipient <" + rcpt + ">", *r, /*at_rcpt=*/true);
    }
  }
  r = c.command("DATA");
  if (!r) return io_fail(r.error());
  if (r->code != 354) {
    (void)c.command("QUIT");
    return rejected("DATA", *r);
  }

  stream::DataEncoder enc(dot_ends_input);
  std::string out;
  enc.feed(head, out);
  if (body) {
    char chunk[kWriteChunk];
    while (!enc.ended()) {
      auto n = body->read(chunk, sizeof chunk);
      // Without the final '.', the server must discard the partial message.
      if (!n) return fail(EX_IOERR, "reading the message: " + n.error().message);
      if (*n == 0) break;
      enc.feed(std::string_view(chunk, *n), out);
      if (out.size() >= kWriteChunk) {
        if (auto s = c.write(out); !s) return io_fail(s.error());
        out.clear();
      }
    }
  }
  enc.finish(out);
  if (auto s = c.write(out); !s) return io_fail(s.error());
  r = c.read_reply();
  if (!r) return io_fail(r.error());
  if (r->code != 250) {
    (void)c.command("QUIT");
    return rejected("message", *r);
  }
  // The message is queued; a failed QUIT changes nothing.
  (void)c.command("QUIT");
  return {};
}

int sendmail_main(int argc, char** argv) {
  std::string base = argc > 0 ? argv[0] : "sendmail";
  base = base.substr(base.rfind('/') == std::string::npos ? 0 : base.rfind('/') + 1);
  bool as_mailq = base == "mailq";
  bool as_newaliases = base == "newaliases";
  const char* prog = as_mailq ? "mailq" : as_newaliases ? "newaliases" : "sendmail";

  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto o = parse_sendmail_args(args, as_mailq, as_newaliases);
  if (!o) {
    print_fatal(prog, o.error().message);
    std::fputs(kUsage, stderr);
    return EX_USAGE;
  }
  auto cf = config::MainCf::load(config_dir_of(o->config));
  if (!cf) {
    print_fatal(prog, cf.error().message);
    return EX_CONFIG;
  }
  switch (o->mode) {
    case SendmailOptions::Mode::ListQueue:
      return run_queue_list(*cf, /*json=*/false, prog);
    case SendmailOptions::Mode::NewAliases:
      return run_newaliases(*cf, prog) == 0 ? 0 : EX_CONFIG;
    case SendmailOptions::Mode::Flush:
      return run_flush(*cf, prog) == 0 ? 0 : EX_TEMPFAIL;
    case SendmailOptions::Mode::Smtp: {
      std::string socket_path = cf->get("queue_directory") + "/public/submit";
      auto sock = attr::connect_unix(socket_path);
      if (!sock) {
        print_fatal(prog, "cannot connect to " + socket_path + ": " + sock.error().message);
        return EX_TEMPFAIL;
      }
      Fd fd = std::move(*sock);
      if (auto s = relay_smtp(STDIN_FILENO, STDOUT_FILENO, fd.get()); !s) {
        print_fatal(prog, s.error().message);
        return EX_TEMPFAIL;
      }
      return 0;
    }
    case SendmailOptions::Mode::Deliver:
      break;
  }
  return deliver(*o, *cf, prog);
}

}  // namespace buzon::cli
