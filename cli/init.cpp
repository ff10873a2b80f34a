#include "cli/init.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <memory>

#include "cli/password.h"
#include "cli/tls_cmd.h"
#include "lib/queue/dirs.h"
#include "lib/queue/queue.h"
#include "lib/core/strings.h"
#include "lib/file/file.h"
#include "lib/map/map.h"

namespace buzon::cli {
namespace {

// s padded with spaces to width, then one space: master.cf columns.
std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s + " ";
}

// Is the directory empty (or absent)? Error when it is something else.
Result<bool> dir_is_empty(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) < 0) {
    if (errno == ENOENT) return true;
    return sys_error("stat " + dir);
  }
  if (!S_ISDIR(st.st_mode)) return Error{dir + ": exists and is not a directory"};
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return sys_error("opendir " + dir);
  while (dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") return false;
  }
  return true;
}

// Undoes a partial init: the paths are ours (DIR was empty), newest first.
void remove_created(const std::vector<std::string>& created) {
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    if (::rmdir(it->c_str()) < 0 && errno == ENOTDIR) ::unlink(it->c_str());
}

std::string absolute(const std::string& dir) {
  std::string out = dir;
  if (out[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd)) out = std::string(cwd) + "/" + out;
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::string instance_main_cf(const InstancePlan& p) {
  const std::string& d = p.dir;
  std::string s;
  s += "# main.cf of a Buzon instance, made by \"buzon init\". Not a system\n";
  s += "# installation: configuration, queue, mail and log all live in this\n";
  s += "# folder, the services listen on 127.0.0.1 from port " + std::to_string(p.port_base) + " up, and the\n";
  s += "# daemons run as " + p.owner + ". See main.cf(5); \"buzon -c DIR conf -d\" shows\n";
  s += "# every parameter with its default.\n";
  s += "\n";
  s += "queue_directory = " + d + "/queue\n";
  s += "daemon_directory = " + p.daemon_dir + "\n";
  s += "mail_owner = " + p.owner + "\n";
  s += "# authd runs as the instance owner too: it reads local_passwd_file.\n";
  s += "auth_owner = $mail_owner\n";
  s += "\n";
  s += "myhostname = mail." + p.domain + "\n";
  s += "mydomain = " + p.domain + "\n";
  s += "myorigin = $mydomain\n";
  s += "mydestination = $myhostname, localhost.$mydomain, localhost, $mydomain\n";
  s += "\n";
  s += "# The instance users are the lines of local_passwd_file, not system accounts.\n";
  s += "mail_spool_directory = " + d + "/mail\n";
  s += "local_passwd_file = " + d + "/passwd\n";
  s += "maillog_file = " + d + "/log/maillog\n";
  s += "\n";
  s += "# TLS with the self-signed certificate \"buzon init\" made (buzon tls\n";
  s += "# new-cert makes another): STARTTLS offered on port " + std::to_string(p.port_base + 25) + ", required on\n";
  s += "# submission; SMTP AUTH (authd, users of local_passwd_file) in master.cf.\n";
  s += "smtpd_tls_cert_file = " + d + "/tls/cert.pem\n";
  s += "smtpd_tls_key_file = " + d + "/tls/key.pem\n";
  s += "smtpd_tls_security_level = may\n";
  s += "\n";
  s += "# POP3 (pop3d) reads the mail local delivers, with Dovecot's TLS settings:\n";
  s += "# STLS on port " + std::to_string(p.port_base + 110) + ", TLS from the first byte on " + std::to_string(p.port_base + 995) + ".\n";
  s += "ssl_cert = <" + d + "/tls/cert.pem\n";
  s += "ssl_key = <" + d + "/tls/key.pem\n";
  s += "\n";
  s += "inet_interfaces = 127.0.0.1\n";
  s += "# Restart a crashed service after 5 seconds rather than a minute: an\n";
  s += "# instance is for testing, where waiting helps nobody.\n";
  s += "service_throttle_time = 5s\n";
  return s;
}

std::string instance_master_cf(const InstancePlan& p) {
  auto port = [&](unsigned n) { return std::to_string(p.port_base + n); };
  auto row = [](const std::string& service, const char* type, const char* priv, const char* unpriv,
                const char* wakeup, const char* maxproc, const char* command) {
    return pad(service, 18) + pad(type, 5) + pad(priv, 7) + pad(unpriv, 7) + pad("n", 7) + pad(wakeup, 7) +
           pad(maxproc, 7) + command + "\n";
  };
  std::string s;
  s += "# master.cf of a Buzon instance, made by \"buzon init\"; see master.cf(5).\n";
  s += "# Services that Buzon does not have yet are absent. They will listen on\n";
  s += "# 127.0.0.1 ports " + port(143) + " (imap) and " + port(993) + " (imaps).\n";
  s += "#\n";
  s += "# " + pad("service", 16) + pad("type", 5) + pad("private", 7) + pad("unpriv", 7) + pad("chroot", 7) +
       pad("wakeup", 7) + pad("maxproc", 7) + "command + args\n";
  s += "# " + std::string(76, '=') + "\n";
  s += row("127.0.0.1:" + port(25), "inet", "n", "-", "-", "-", "smtpd");
  // Postfix's submission and smtps services, on this instance's ports:
  // TLS (STARTTLS required on 587, implicit on 465) and AUTH, relaying
  // for authenticated clients only.
  const std::string mua_overrides =
      "  -o smtpd_sasl_auth_enable=yes\n"
      "  -o smtpd_reject_unlisted_recipient=no\n"
      "  -o smtpd_client_restrictions=$mua_client_restrictions\n"
      "  -o smtpd_helo_restrictions=$mua_helo_restrictions\n"
      "  -o smtpd_sender_restrictions=$mua_sender_restrictions\n"
      "  -o smtpd_recipient_restrictions=\n"
      "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n";
  s += "# Message submission (RFC 6409), STARTTLS required.\n";
  s += row("127.0.0.1:" + port(587), "inet", "n", "-", "-", "-", "smtpd");
  s += "  -o syslog_name=buzon/submission\n  -o smtpd_tls_security_level=encrypt\n  -o smtpd_tls_auth_only=yes\n" +
       mua_overrides;
  s += "# Submission over TLS from the first byte (RFC 8314).\n";
  s += row("127.0.0.1:" + port(465), "inet", "n", "-", "-", "-", "smtpd");
  s += "  -o syslog_name=buzon/smtps\n  -o smtpd_tls_wrappermode=yes\n" + mua_overrides;
  s += "# Local submission: sendmail(1) speaks SMTP to public/submit.\n";
  s += row("submit", "unix", "n", "-", "-", "-", "smtpd");
  s += row("qmgr", "unix", "n", "-", "300", "1", "qmgr");
  s += row("local", "unix", "-", "n", "-", "-", "local");
  s += "# Mailboxes of virtual_mailbox_domains (virtual(8)).\n";
  s += row("virtual", "unix", "-", "n", "-", "-", "virtual");
  s += "# The authentication service: the only process reading passwords.\n";
  s += row("auth", "unix", "-", "-", "-", "1", "authd");
  s += "# Connection and rate counters of the SMTP clients (anvil(8)).\n";
  s += row("anvil", "unix", "-", "-", "-", "1", "anvil");
  s += "# POP3 with STLS, and POP3 over TLS from the first byte (RFC 8314).\n";
  s += row("127.0.0.1:" + port(110), "inet", "n", "-", "-", "-", "pop3d");
  s += row("127.0.0.1:" + port(995), "inet", "n", "-", "-", "-", "pop3d");
  s += "  -o syslog_name=buzon/pop3s\n  -o pop3d_tls_wrappermode=yes\n";
  return s;
}

std::string instance_aliases(const InstancePlan& p) {
  std::string s;
  s += "# Aliases of this instance; see aliases(5). RFC 5321 4.5.1 requires a\n";
  s += "# postmaster for every domain.\n";
  s += "postmaster: " + p.users.front().name + "\n";
  s += "MAILER-DAEMON: postmaster\n";
  s += "root: postmaster\n";
  s += "# Run \"buzon -c DIR map -a DIR/aliases\" or \"newaliases\" after a change.\n";
  return s;
}

std::string instance_passwd(const InstancePlan& p) {
  // Dovecot passwd-file: name:{SCHEME}hash:uid:gid:gecos:home:shell:extra
  std::string s;
  for (const auto& u : p.users)
    s += u.name + ":{SHA512-CRYPT}" + u.hash + ":" + std::to_string(p.uid) + ":" + std::to_string(p.gid) + "::" +
         p.dir + "/home/" + u.name + "::\n";
  return s;
}

std::string exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return file::dirname(std::string(buf, static_cast<size_t>(n)));
}

std::string daemon_dir_for(const std::string& exe_dir) {
  if (!exe_dir.empty() && ::access((exe_dir + "/libexec/master").c_str(), X_OK) == 0) return exe_dir + "/libexec";
  return BUZON_DAEMON_DIR;
}

Result<InstancePlan> plan_instance(const InitArgs& args, const std::string& daemon_dir) {
  InstancePlan p;
  p.dir = absolute(args.dir);
  p.domain = args.domain;
  p.port_base = args.port_base;
  p.daemon_dir = daemon_dir;
  uid_t me = ::getuid();
  const passwd* pw = nullptr;
  if (args.owner) {
    pw = ::getpwnam(args.owner->c_str());
    if (!pw) return Error{"--owner: no such account: " + *args.owner};
  } else if (me == 0) {
    pw = ::getpwnam("nobody");
    if (!pw) return Error{"running as root and there is no account \"nobody\": name one with --owner"};
  } else {
    pw = ::getpwuid(me);
    if (!pw) return Error{"no password entry for user ID " + std::to_string(me) + ": cannot set mail_owner"};
  }
  p.owner = pw->pw_name;
  p.uid = pw->pw_uid;
  p.gid = pw->pw_gid;
  if (p.uid == 0)
    return Error{"the instance cannot run as root (master refuses a privileged mail_owner): name an account with --owner"};
  if (p.uid != me && me != 0) return Error{"--owner: only root can make an instance for another account"};
  p.chown_to_owner = p.uid != me;
  for (const auto& a : args.users) {
    InstanceUser u;
    u.name = a.name;
    if (a.password) {
      u.password = *a.password;
    } else {
      auto pwd = random_password(12);
      if (!pwd) return pwd.error();
      u.password = *pwd;
      u.generated = true;
    }
    auto h = sha512_crypt(u.password);
    if (!h) return h.error();
    u.hash = *h;
    p.users.push_back(std::move(u));
  }
  return p;
}

// When root makes an instance for another account, that account must be
// able to walk down to DIR: a home like /root (0700) would leave every
// daemon with "Permission denied" at the first message. Checks the
// ancestors that exist (owner, group and other search bits; supplementary
// groups are not considered).
Status reachable_by(const InstancePlan& p) {
  std::string path;
  for (const auto& part : str::split(file::dirname(p.dir), "/")) {
    path += "/" + part;
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) break;  // created by us, 0755
    mode_t bit = st.st_uid == p.uid ? S_IXUSR : st.st_gid == p.gid ? S_IXGRP : S_IXOTH;
    if (!(st.st_mode & bit)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return Error{"the instance runs as " + p.owner + ", which cannot enter " + path + " (mode " + mode +
                   "): choose a folder it can reach (under /srv or /var/tmp, say) or another account with --owner"};
    }
  }
  return {};
}

Status create_instance(const InstancePlan& p) {
  if (p.chown_to_owner)
    if (auto s = reachable_by(p); !s) return s;
  auto empty = dir_is_empty(p.dir);
  if (!empty) return empty.error();
  if (!*empty) return Error{p.dir + " exists and is not empty; refusing to overwrite it"};

  std::vector<std::string> created;
  auto run = [&]() -> Status {
    struct stat st;
    if (::stat(p.dir.c_str(), &st) < 0) {
      if (auto s = file::make_dirs(file::dirname(p.dir)); !s) return s;
      if (::mkdir(p.dir.c_str(), 0755) < 0) return sys_error("mkdir " + p.dir);
      created.push_back(p.dir);
    }
    if (auto s = queue::make_dirs(p.dir + "/queue", std::nullopt); !s) return s;
    created.push_back(p.dir + "/queue");
    for (const char* sub : queue::kDirs) created.push_back(p.dir + "/queue/" + sub);
    auto mkdir = [&](const std::string& path, mode_t mode) -> Status {
      if (::mkdir(path.c_str(), mode) < 0) return sys_error("mkdir " + path);
      created.push_back(path);
      if (::chmod(path.c_str(), mode) < 0) return sys_error("chmod " + path);
      return {};
    };
    if (auto s = mkdir(p.dir + "/mail", 0700); !s) return s;
    if (auto s = mkdir(p.dir + "/log", 0755); !s) return s;
    if (auto s = mkdir(p.dir + "/home", 0755); !s) return s;
    if (auto s = mkdir(p.dir + "/tls", 0755); !s) return s;
    created.push_back(p.dir + "/tls/cert.pem");
    created.push_back(p.dir + "/tls/key.pem");
    std::optional<std::pair<uid_t, gid_t>> key_owner;
    if (p.chown_to_owner) key_owner = std::make_pair(p.uid, p.gid);
    if (auto s = write_self_signed("mail." + p.domain, p.dir + "/tls/cert.pem", p.dir + "/tls/key.pem", false, key_owner); !s)
      return s;
    for (const auto& u : p.users)
      if (auto s = mkdir(p.dir + "/home/" + u.name, 0700); !s) return s;
    auto write = [&](const std::string& name, const std::string& text, mode_t mode) -> Status {
      std::string path = p.dir + "/" + name;
      created.push_back(path);
      return file::write_atomic(path, text, mode);
    };
    if (auto s = write("main.cf", instance_main_cf(p), 0644); !s) return s;
    if (auto s = write("master.cf", instance_master_cf(p), 0644); !s) return s;
    if (auto s = write("aliases", instance_aliases(p), 0644); !s) return s;
    // alias_maps = hash:DIR/aliases: local(8) defers mail while DIR/aliases.db
    // is missing, so the instance starts with it built.
    created.push_back(p.dir + "/aliases.db");
    if (auto s = map::find_type("hash")->build(p.dir + "/aliases", map::Syntax::Alias, true, nullptr); !s)
      return s;
    // Password hashes: readable by the instance owner only.
    if (auto s = write("passwd", instance_passwd(p), 0600); !s) return s;
    // Created now so that whichever process logs first, the file belongs
    // to the owner and every daemon can append to it.
    if (auto s = write("log/maillog", "", 0644); !s) return s;
    if (p.chown_to_owner) {
      // What the daemons write or read after dropping to the owner. The
      // paths were just created by us in an empty directory: no symlinks.
      // The aliases belong to the owner too: local(8) runs alias commands
      // as the owner of the alias database.
      std::vector<std::string> owned = {"mail", "log", "log/maillog", "passwd", "aliases", "aliases.db"};
      for (const auto& u : p.users) owned.push_back("home/" + u.name);
      for (const auto& rel : owned) {
        std::string path = p.dir + "/" + rel;
        if (::lchown(path.c_str(), p.uid, p.gid) < 0) return sys_error("chown " + path);
      }
    }
    return {};
  };
  auto s = run();
  if (!s) remove_created(created);
  return s;
}

std::string instance_summary(const InstancePlan& p, const std::string& buzon, const std::string& sendmail) {
  const std::string smtp = "127.0.0.1:" + std::to_string(p.port_base + 25);
  std::string s;
  s += "buzon: created an instance in " + p.dir + "\n\n";
  s += "  SMTP        " + smtp + " (STARTTLS)\n";
  s += "  submission  127.0.0.1:" + std::to_string(p.port_base + 587) + " (STARTTLS + AUTH), smtps 127.0.0.1:" +
       std::to_string(p.port_base + 465) + " (TLS + AUTH)\n";
  s += "  TLS         self-signed certificate " + p.dir + "/tls/cert.pem\n";
  s += "  domain      " + p.domain + " (host mail." + p.domain + ")\n";
  size_t width = 0;
  for (const auto& u : p.users) width = std::max(width, u.name.size() + 1 + p.domain.size());
  bool first = true;
  for (const auto& u : p.users) {
    s += first ? "  users       " : "              ";
    first = false;
    s += pad(u.name + "@" + p.domain, width) + " password: " + (u.generated ? u.password : "(as given)") + "\n";
  }
  s += "  runs as     " + p.owner + "\n";
  s += "  log         " + p.dir + "/log/maillog\n";
  s += "  submission  127.0.0.1:" + std::to_string(p.port_base + 587) + " (STARTTLS, authenticated clients only)\n";
  s += "  smtps       127.0.0.1:" + std::to_string(p.port_base + 465) + " (TLS, authenticated clients only)\n";
  s += "  pop3        127.0.0.1:" + std::to_string(p.port_base + 110) + " (STLS), pop3s 127.0.0.1:" +
       std::to_string(p.port_base + 995) + " (TLS)\n";
  s += "  not yet     imap, imaps\n\n";
  const std::string& to = p.users.front().name;
  const std::string& from = p.users.size() > 1 ? p.users[1].name : to;
  s += "Next:\n";
  s += "  " + buzon + " -c " + p.dir + " start\n";
  s += "  swaks --server " + smtp + " --from " + from + "@" + p.domain + " --to " + to + "@" + p.domain + "\n";
  s += "  swaks --server 127.0.0.1:" + std::to_string(p.port_base + 587) + " --tls --auth-user " + from +
       " --auth-password PASSWORD --from " + from + "@" + p.domain + " --to someone@example.org\n";
  s += "  printf 'Subject: hello\\n\\nhi\\n' | " + sendmail + " -C " + p.dir + " " + to + "\n";
  s += "  curl -k pop3s://" + to + ":PASSWORD@127.0.0.1:" + std::to_string(p.port_base + 995) + "/\n";
  s += "  " + buzon + " -c " + p.dir + " queue\n";
  s += "  " + buzon + " -c " + p.dir + " stop\n";
  return s;
}

int cmd_init(std::span<const std::string> args) {
  auto a = parse_init_args(args);
  if (!a) {
    std::fprintf(stderr, "buzon: fatal: init: %s\n", a.error().message.c_str());
    std::fprintf(stderr, "usage: buzon init DIR [--domain DOMAIN] [--port-base N] [--user NAME[:PASSWORD]]... [--owner ACCOUNT]\n");
    return 1;
  }
  std::string here = exe_dir();
  auto plan = plan_instance(*a, daemon_dir_for(here));
  if (!plan) {
    std::fprintf(stderr, "buzon: fatal: init: %s\n", plan.error().message.c_str());
    return 1;
  }
  if (auto s = create_instance(*plan); !s) {
    std::fprintf(stderr, "buzon: fatal: init: %s\n", s.error().message.c_str());
    return 1;
  }
  // Installed commands are on the administrator's PATH; from a build tree
  // the full path is what works.
  bool installed = here.empty() || here == BUZON_SBIN_DIR;
  std::string buzon = installed ? "buzon" : here + "/buzon";
  std::string sendmail = installed ? "sendmail" : here + "/sendmail";
  std::fputs(instance_summary(*plan, buzon, sendmail).c_str(), stdout);
  return 0;
}

}  // namespace buzon::cli
