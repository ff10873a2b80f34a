#include "local/deliver.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/privilege/effective_ids.h"
#include "lib/privilege/privilege.h"
#include "lib/users/users.h"
#include "local/command.h"
#include "local/expand.h"
#include "local/loop.h"
#include "local/queued.h"

extern char** environ;

namespace buzon::local {

struct Deliverer::Job {
  const Request& req;
  Fd fd;
  queue::Envelope env;
  const queue::Recipient* rcpt = nullptr;
  Message msg;
  std::string local;      // local part as addressed ("Bob+lists")
  std::string user;       // account name ("bob")
  std::string extension;  // "lists"
  std::string delimiter;  // the delimiter found ("+")
  std::string domain;
  std::vector<UnsyncedFile>* unsynced = nullptr;  // Maildir fsyncs the caller does
};

namespace {

bool allowed(const std::vector<std::string>& list, const char* origin) {
  return std::find(list.begin(), list.end(), origin) != list.end();
}

// Reads a .forward or :include: file with the current rights: a plain file
// (no symlink), at most max bytes, owned by owner or root when asked.
Result<std::optional<std::string>> read_checked(const std::string& path, uid_t owner, size_t max,
                                                bool must_be_owned) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return sys_error("open " + path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) < 0) return sys_error("fstat " + path);
  if (!S_ISREG(st.st_mode)) return Error{path + " is not a regular file"};
  if (must_be_owned && st.st_uid != owner && st.st_uid != 0) return Error{path + " is not owned by its user"};
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read " + path);
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max) return Error{path + ": longer than " + std::to_string(max) + " bytes"};
    out.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

std::string local_part(std::string_view a) {
  auto at = a.rfind('@');
  return std::string(at == std::string_view::npos ? a : a.substr(0, at));
}
std::string domain_part(std::string_view a) {
  auto at = a.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(a.substr(at + 1));
}

// forward_expansion_filter, and no '/' from an address into a path.
std::string path_safe(std::string_view v) {
  std::string s = env_safe(v);
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

}  // namespace

Result<Settings> Settings::from(const config::MainCf& cf) {
  Settings s;
  s.queue_dir = cf.get("queue_directory");
  s.spool_dir = cf.get("mail_spool_directory");
  s.home_mailbox = cf.get("home_mailbox");
  s.delimiters = cf.get("recipient_delimiter");
  s.hostname = cf.get("myhostname");
  s.myorigin = cf.get("myorigin");
  if (auto st = set_lock_methods(s.mbox, cf.get_list("mailbox_delivery_lock"), "mailbox_delivery_lock"); !st)
    return st.error();
  s.mbox.lock.attempts = static_cast<unsigned>(cf.get_int("deliver_lock_attempts"));
  s.mbox.lock.delay = cf.get_time("deliver_lock_delay");
  s.mbox.lock.stale = cf.get_time("stale_lock_time");
  s.mailbox_size_limit = cf.get_size("mailbox_size_limit");
  s.mbox.size_limit = s.mailbox_size_limit;
  s.message_size_limit = cf.get_size("message_size_limit");
  s.header_size_limit = cf.get_size("header_size_limit");
  s.child_timeout = cf.get_time("ipc_timeout");
  s.alias_maps = cf.get_list("alias_maps");
  // Expanded per recipient ($home, $extension), not by main.cf.
  s.forward_path = str::split(cf.raw("forward_path"), ", \t\n");
  s.luser_relay = cf.raw("luser_relay");
  // Postfix: not subject to $parameter expansion, so shell syntax such as
  // "$EXTENSION" reaches the shell.
  s.mailbox_command = cf.raw("mailbox_command");
  for (auto* p : {&s.allow_commands, &s.allow_files}) {
    *p = cf.get_list(p == &s.allow_commands ? "allow_mail_to_commands" : "allow_mail_to_files");
    for (const auto& v : *p)
      if (v != "alias" && v != "forward" && v != "include")
        return Error{std::string(p == &s.allow_commands ? "allow_mail_to_commands" : "allow_mail_to_files") +
                     ": unknown value: " + v + " (expected alias, forward, include)"};
  }
  s.command_time_limit = cf.get_time("command_time_limit");
  s.export_environment = cf.get_list("export_environment");
  s.mail_owner = cf.get("mail_owner");
  s.default_privs = cf.get("default_privs");
  return s;
}

Reply combine(const Reply& a, const Reply& b) {
  auto rank = [](int s) { return s == 4 ? 2 : s == 5 ? 1 : 0; };
  Reply r = rank(b.status) > rank(a.status) ? b : a;
  if (a.status == 0 && b.status == 0 && r.reason.size() < 512) r.reason = a.reason + "; " + b.reason;
  const std::string& other = &r == &a ? b.warning : a.warning;
  if (!other.empty()) r.warning = r.warning.empty() ? other : r.warning + "; " + other;
  if (r.warning.size() > 2048) r.warning.resize(2048);
  return r;
}

Reply Deliverer::deliver(const Request& req, std::vector<UnsyncedFile>* unsynced) {
  Job job{req};
  job.unsynced = unsynced;
  Queued q;
  if (auto early = open_queued(s_.queue_dir, req, s_.message_size_limit, q)) return *early;
  job.fd = std::move(q.fd);
  job.env = std::move(q.env);
  job.rcpt = &job.env.recipients[q.rcpt_index];
  job.msg = q.msg;
  const queue::Recipient& rc = *job.rcpt;
  job.local = local_part(rc.address);
  job.domain = domain_part(rc.address);
  job.user = user_of(rc.address, s_.delimiters);
  if (!s_.delimiters.empty()) {
    auto d = job.local.find_first_of(s_.delimiters);
    if (d != std::string::npos && d > 0) {
      job.delimiter = job.local.substr(d, 1);
      job.extension = job.local.substr(d + 1);
    }
  }
  ++counter_;  // in the parent, so children forked later get distinct values
  return resolve(job);
}

Status Deliverer::open_aliases() {
  if (aliases_open_) return {};
  std::vector<std::unique_ptr<map::Table>> tables;
  for (const std::string& spec : s_.alias_maps) {
    map::OpenOptions o;
    o.syntax = map::Syntax::Alias;
    auto t = map::open(spec, o);
    if (!t) return t.error();
    tables.push_back(std::move(*t));
  }
  aliases_ = std::move(tables);
  aliases_open_ = true;
  return {};
}

Reply Deliverer::resolve(Job& job) {
  // Postfix: an alias_maps table that cannot be read defers the mail (the
  // alias might have sent it elsewhere).
  if (auto s = open_aliases(); !s) return Reply::defer("4.3.0", "alias database unavailable", s.error().message);
  std::vector<std::string> keys{str::lower(job.local)};
  if (!job.extension.empty()) keys.push_back(job.user);
  for (const auto& table : aliases_) {
    for (const std::string& key : keys) {
      auto v = table->lookup(key);
      if (!v) return Reply::defer("4.3.0", "alias database unavailable", v.error().message);
      if (!*v) continue;
      auto items = parse_targets(**v);
      if (!items)
        return Reply::defer("4.3.0", "bad alias", table->spec() + ": " + key + ": " + items.error().message);
      auto rights = alias_rights(*table);
      if (!rights) return Reply::defer("4.3.0", "cannot determine alias owner", rights.error().message);
      // owner-NAME receives the errors of list NAME: it becomes the sender
      // of the copies (never of a bounce, whose null sender stays).
      std::string sender = job.env.sender;
      if (!sender.empty()) {
        auto owner = table->lookup("owner-" + key);
        if (!owner) return Reply::defer("4.3.0", "alias database unavailable", owner.error().message);
        if (*owner) sender = "owner-" + key + "@" + (job.domain.empty() ? s_.myorigin : job.domain);
      }
      if (items->empty()) return Reply::bounce("5.1.1", "alias " + str::sanitize(key) + " has no destinations");
      return expand(job, *items, Context{Origin::Alias, *rights, key, sender, 0});
    }
  }
  return deliver_user(job, true);
}

Reply Deliverer::deliver_user(Job& job, bool use_forward) {
  const std::string& name = job.user;
  // A lookup key with a slash or a leading dot could only name a file
  // outside the spool; no account has such a name.
  auto unknown = [&] { return Reply::bounce("5.1.1", "unknown user: \"" + str::sanitize(name) + "\""); };
  if (name.empty() || name.front() == '.' || name.find('/') != std::string::npos) return unknown();
  auto user = users::find(cf_, name);
  if (!user) return Reply::defer("4.3.0", "user lookup failed", user.error().message);
  Vars vars{{"user", name},
            {"local", path_safe(job.local)},
            {"extension", path_safe(job.extension)},
            {"recipient_delimiter", job.delimiter},
            {"domain", path_safe(job.domain)},
            {"recipient", path_safe(job.rcpt->address)}};
  if (!user->has_value()) {
    if (s_.luser_relay.empty()) return unknown();
    // luser_relay: unknown local users go to another address.
    Expanded e = expand_vars(s_.luser_relay, vars);
    if (!e.ok) return Reply::defer("4.3.5", "bad luser_relay", "luser_relay: cannot expand " + s_.luser_relay);
    auto items = parse_targets(e.text);
    if (!items || items->empty()) return Reply::defer("4.3.5", "bad luser_relay", "luser_relay: no address");
    std::vector<std::string> to;
    for (const auto& i : *items) {
      std::string a = i.text;
      if (a.find('@') == std::string::npos) a += "@" + s_.myorigin;
      to.push_back(a);
    }
    return forward(job, to, job.env.sender);
  }
  const users::User& u = **user;
  // Mail for uid 0 would be written with root's rights: the one thing local
  // must never do. Postfix maps root through aliases; without one the mail
  // waits (deferred) instead of being written or lost.
  if (mode_ == Mode::ForkAndDrop && u.uid == 0)
    return Reply::defer("4.3.0", "refusing to deliver to a mailbox as root",
                        "mail for " + u.name + " (uid 0) needs an alias to an unprivileged user");
  Rights r{u.uid, u.gid, u.name, u.home, u.shell};
  if (use_forward && !u.home.empty()) {
    vars["home"] = u.home;
    vars["shell"] = u.shell;
    std::vector<std::string> paths;
    for (const std::string& element : s_.forward_path) {
      Expanded e = expand_vars(element, vars);
      if (!e.ok || e.used_undefined || e.text.empty() || e.text.front() != '/') continue;
      paths.push_back(e.text);
    }
    auto found = read_first_as(r, paths, kIncludeFileMax, true);
    if (!found) return Reply::defer("4.3.0", "cannot read forward file", found.error().message);
    if (*found) {
      auto items = parse_targets(list_from_file_text((*found)->second));
      if (!items) return Reply::defer("4.3.0", "bad forward file", (*found)->first + ": " + items.error().message);
      // An empty .forward leaves the mailbox, as in Postfix.
      if (!items->empty()) return expand(job, *items, Context{Origin::Forward, r, name, job.env.sender, 0});
    }
  }
  return deliver_mailbox(job, u);
}

Reply Deliverer::deliver_mailbox(Job& job, const users::User& u) {
  Rights r{u.uid, u.gid, u.name, u.home, u.shell};
  if (!s_.mailbox_command.empty()) return deliver_command(job, s_.mailbox_command, r, &u);
  auto target = target_for(u, s_.home_mailbox, s_.spool_dir);
  if (!target) return Reply::defer("4.3.0", "cannot determine mailbox", target.error().message);
  return acting_as(job, r, [&] { return write_mailbox(job, *target, r); });
}

Reply Deliverer::expand(Job& job, const std::vector<TargetItem>& items, const Context& ctx) {
  using K = TargetItem::Kind;
  const char* origin = ctx.origin == Origin::Alias ? "alias" : ctx.origin == Origin::Forward ? "forward" : "include";
  std::vector<std::string> to;
  std::optional<Reply> result;
  auto add = [&](Reply r) { result = result ? combine(*result, r) : std::move(r); };
  for (const TargetItem& item : items) {
    switch (item.kind) {
      case K::Address:
      case K::Mailbox: {
        std::string lp = local_part(item.text), dom = domain_part(item.text);
        bool self = str::iequals(lp, ctx.self) && (dom.empty() || str::iequals(dom, job.domain));
        if (self) {
          // "bob: bob, alice" and "\bob" in ~bob/.forward: bob's own
          // mailbox, without going round the alias or .forward again.
          add(deliver_user(job, ctx.origin == Origin::Alias && item.kind == K::Address));
        } else if (!item.text.empty()) {
          std::string a = dom.empty() ? lp + "@" + s_.myorigin : item.text;
          if (std::find_if(to.begin(), to.end(), [&](const std::string& x) { return str::iequals(x, a); }) == to.end())
            to.push_back(a);
        }
        break;
      }
      case K::Command:
        if (!allowed(s_.allow_commands, origin)) add(Reply::bounce("5.7.1", "mail to command is restricted"));
        else add(deliver_command(job, item.text, ctx.rights, nullptr));
        break;
      case K::File:
        if (!allowed(s_.allow_files, origin)) add(Reply::bounce("5.7.1", "mail to file is restricted"));
        else add(deliver_file(job, item.text, ctx.rights));
        break;
      case K::Include: {
        if (item.text.empty() || item.text.front() != '/') {
          add(Reply::bounce("5.3.5", ":include: file name must be absolute: " + str::sanitize(item.text)));
          break;
        }
        if (ctx.depth >= kIncludeDepthMax) {
          add(Reply::bounce("5.4.6", "too many nested :include: files"));
          break;
        }
        auto text = read_first_as(ctx.rights, {item.text}, kIncludeFileMax, false);
        if (!text) {
          add(Reply::defer("4.3.0", "cannot read include file", text.error().message));
          break;
        }
        if (!*text) {
          add(Reply::defer("4.3.0", "include file not found", item.text + ": no such file"));
          break;
        }
        auto sub = parse_targets(list_from_file_text((*text)->second));
        if (!sub) {
          add(Reply::defer("4.3.0", "bad include file", item.text + ": " + sub.error().message));
          break;
        }
        Context c = ctx;
        c.origin = Origin::Include;
        c.depth = ctx.depth + 1;
        if (!sub->empty()) add(expand(job, *sub, c));
        break;
      }
    }
  }
  if (!to.empty()) add(forward(job, to, ctx.sender));
  if (!result) return Reply::bounce("5.1.1", "no destinations for " + str::sanitize(job.rcpt->address));
  return *result;
}

Reply Deliverer::deliver_file(Job& job, const std::string& path, const Rights& rights) {
  Reply r = acting_as(job, rights, [&] {
    if (path.back() == '/') return deliver_maildir(path, maildir_options(job, rights), job.msg);
    return deliver_mbox(path, s_.mbox, job.msg, ::time(nullptr));
  });
  if (r.status == 0) r.reason = "delivered to file: " + str::sanitize(path);
  return r;
}

Reply Deliverer::deliver_command(Job& job, const std::string& command, const Rights& rights, const users::User* u) {
  CommandSpec spec;
  spec.command = command;
  spec.time_limit = s_.command_time_limit;
  // The recipient's home for its own commands; elsewhere the root directory
  // (Postfix uses the queue directory, which the command's user may not be
  // allowed to enter here).
  spec.cwd = u && !u->home.empty() ? u->home : "/";
  auto add = [&](const std::string& name, std::string_view value) { spec.env.push_back(name + "=" + std::string(value)); };
  add("PATH", "/usr/bin:/bin");
  add("HOME", u ? u->home : rights.home);
  add("SHELL", u ? u->shell : rights.shell);
  add("USER", env_safe(job.user));
  add("LOGNAME", env_safe(job.user));
  add("LOCAL", env_safe(job.local));
  add("DOMAIN", env_safe(job.domain));
  add("EXTENSION", env_safe(job.extension));
  add("RECIPIENT", env_safe(job.rcpt->address));
  add("ORIGINAL_RECIPIENT", env_safe(job.rcpt->original.empty() ? job.rcpt->address : job.rcpt->original));
  add("SENDER", env_safe(job.env.sender));
  static constexpr std::pair<const char*, const char*> kClientVars[] = {{"client_addr", "CLIENT_ADDRESS"},
                                                                        {"client_name", "CLIENT_HOSTNAME"},
                                                                        {"helo", "CLIENT_HELO"},
                                                                        {"protocol", "CLIENT_PROTOCOL"}};
  for (const auto& [attr, var] : kClientVars) {
    std::string v = job.env.attr(attr);
    if (!v.empty()) add(var, env_safe(v));
  }
  for (const std::string& name : s_.export_environment)
    if (const char* v = ::getenv(name.c_str())) add(name, v);
  return as(job, rights, [&] { return run_command(spec, job.msg, ::time(nullptr)); });
}

Reply Deliverer::forward(Job& job, const std::vector<std::string>& to, const std::string& sender) {
  auto owner = account_rights(s_.mail_owner);
  if (!owner) return Reply::defer("4.3.0", "cannot forward message", owner.error().message);
  return as(job, *owner, [&] { return forward_message(s_.queue_dir, job.env, *job.rcpt, job.msg, {sender, to}); });
}

Result<Rights> Deliverer::account_rights(const std::string& name) {
  if (mode_ == Mode::InProcess) return Rights{::getuid(), ::getgid(), name, "/", "/bin/sh"};
  struct passwd* pw = ::getpwnam(name.c_str());
  if (!pw) return Error{"unknown account: " + name};
  return Rights{pw->pw_uid, pw->pw_gid, name, pw->pw_dir, pw->pw_shell};
}

Result<Rights> Deliverer::alias_rights(const map::Table& t) {
  if (mode_ == Mode::InProcess) return account_rights("");
  // Postfix: the owner of the alias database, unless that is root, whose
  // place default_privs takes.
  if (t.owner_uid() == 0) return account_rights(s_.default_privs);
  struct passwd* pw = ::getpwuid(t.owner_uid());
  if (!pw) return Error{t.spec() + ": owner uid " + std::to_string(t.owner_uid()) + " has no account"};
  return Rights{pw->pw_uid, t.owner_gid(), pw->pw_name, pw->pw_dir, pw->pw_shell};
}

Reply Deliverer::write_mailbox(const Job& job, const Target& t, const Rights& r) {
  if (t.kind == Kind::Maildir) return deliver_maildir(t.path, maildir_options(job, r), job.msg);
  return deliver_mbox(t.path, s_.mbox, job.msg, ::time(nullptr));
}

MaildirOptions Deliverer::maildir_options(const Job& job, const Rights& r) {
  MaildirOptions o{s_.hostname, s_.mailbox_size_limit, counter_};
  o.unsynced = job.unsynced;
  o.owner_uid = r.uid;
  o.owner_gid = r.gid;
  return o;
}

Reply Deliverer::sync_failed(const UnsyncedFile& f, int err) {
  if (mode_ == Mode::InProcess) return maildir_sync_failed(f, err);
  privilege::EffectiveIds ids(f.uid, f.gid);
  // Without the rights the file stays: qmgr's retry finds it in new/ and
  // syncs it then.
  if (!ids.ok()) return Reply::defer("4.3.0", "cannot change to the delivery rights", ids.ok().error().message);
  return maildir_sync_failed(f, err);
}

Reply Deliverer::loop_checked(Job& job, const std::function<Reply()>& fn) {
  auto loop = has_delivered_to(job.msg, job.rcpt->address, s_.header_size_limit);
  if (!loop) return Reply::defer("4.3.0", "cannot read queue file", loop.error().message);
  if (*loop) return Reply::bounce("5.4.6", "mail forwarding loop for " + str::sanitize(job.rcpt->address));
  return fn();
}

Reply Deliverer::acting_as(Job& job, const Rights& r, const std::function<Reply()>& fn) {
  if (mode_ == Mode::InProcess) return loop_checked(job, fn);
  if (r.uid == 0)
    return Reply::defer("4.3.0", "refusing to deliver as root", "delivery for " + r.name + " would run as uid 0");
  privilege::EffectiveIds ids(r.uid, r.gid);
  if (!ids.ok()) return Reply::defer("4.3.0", "cannot change to the delivery rights", ids.ok().error().message);
  return loop_checked(job, fn);
}

Reply Deliverer::as(Job& job, const Rights& r, const std::function<Reply()>& fn) {
  auto checked = [&]() -> Reply { return loop_checked(job, fn); };
  if (mode_ == Mode::InProcess) return checked();
  if (r.uid == 0)
    return Reply::defer("4.3.0", "refusing to deliver as root", "delivery for " + r.name + " would run as uid 0");
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return Reply::defer("4.3.0", "cannot create delivery process", sys_error("socketpair").message);
  Fd ours(sv[0]), theirs(sv[1]);
  pid_t pid = ::fork();
  if (pid < 0) return Reply::defer("4.3.0", "cannot create delivery process", sys_error("fork").message);
  if (pid == 0) {
    // The child: signal dispositions of the event loop must not fire here
    // (they would wake the parent's loop through the shared socketpair).
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
    ours.reset();
    Reply rep;
    if (auto d = privilege::drop_to_ids(r.uid, r.gid, r.name); !d)
      rep = Reply::defer("4.3.0", "cannot change to the delivery rights", d.error().message);
    else
      rep = checked();
    (void)attr::write_message(theirs.get(), to_child_message(rep), s_.child_timeout);
    ::_exit(0);
  }
  theirs.reset();
  auto m = attr::read_message(ours.get(), s_.child_timeout);
  if (!m) ::kill(pid, SIGKILL);  // timed out or died: make sure it is gone
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (m) return from_child_message(*m);
  std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "exit status " + std::to_string(WEXITSTATUS(status));
  return Reply::defer("4.3.0", "delivery process failed",
                      "delivery process " + std::to_string(pid) + " for " + r.name + ": " + m.error().message +
                          " (" + how + ")");
}

Result<std::optional<std::pair<std::string, std::string>>> Deliverer::read_first_as(
    const Rights& r, const std::vector<std::string>& paths, size_t max, bool must_be_owned) {
  using Found = std::optional<std::pair<std::string, std::string>>;
  auto first = [&](uid_t owner) -> Result<Found> {
    for (const std::string& p : paths) {
      auto t = read_checked(p, owner, max, must_be_owned);
      if (!t) return t.error();
      if (*t) return Found(std::pair{p, std::move(**t)});
    }
    return Found();
  };
  if (paths.empty()) return Found();
  if (paths.size() > 255) return Error{"too many files to look for (forward_path)"};
  if (mode_ == Mode::InProcess) return first(::getuid());
  if (r.uid == 0) return Error{"refusing to read " + paths.front() + " as root"};
  privilege::EffectiveIds ids(r.uid, r.gid);
  if (!ids.ok()) return ids.ok().error();
  return first(r.uid);
}

}  // namespace buzon::local
