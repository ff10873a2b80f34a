#include "qmgr/notice.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "lib/core/fd.h"
#include "lib/core/strings.h"
#include "lib/log/log.h"

namespace buzon::qmgr {
namespace {

// Reads up to max bytes of the message content from the open queue file.
Result<std::string> read_content(int fd, off_t offset, unsigned long long size, unsigned long long max) {
  std::string out;
  size_t want = static_cast<size_t>(std::min(size, max));
  out.resize(want);
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(fd, out.data() + got, want - got, offset + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read queue file");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

// A header cut by the read limit ends at its last complete line.
std::string whole_lines(std::string text) {
  if (text.find("\n\n") != std::string::npos) return text;
  auto nl = text.rfind('\n');
  text.resize(nl == std::string::npos ? 0 : nl + 1);
  return text;
}

}  // namespace

std::string double_bounce_address(const NoticeSettings& s) {
  if (s.double_bounce_sender.find('@') != std::string::npos) return s.double_bounce_sender;
  return s.double_bounce_sender + "@" + s.myorigin;
}

bool notify_wants(unsigned notify, NoticeKind kind) {
  if (notify & queue::kNotifyNever) return false;
  switch (kind) {
    case NoticeKind::Failure:
    case NoticeKind::PostmasterCopy: return notify == 0 || (notify & queue::kNotifyFailure);
    case NoticeKind::Delay: return notify == 0 || (notify & queue::kNotifyDelay);
    case NoticeKind::Success: return (notify & queue::kNotifySuccess) != 0;
  }
  return false;
}

Result<NoticeSent> send_notice(const std::string& queue_dir, const std::string& dir, const queue::Envelope& env,
                               NoticeKind kind, std::vector<ReportRecipient> recipients, const NoticeSettings& s,
                               std::time_t now) {
  NoticeSent sent{"", env.sender, kind};
  std::string notice_sender;  // "" = <>
  const std::string double_bounce = double_bounce_address(s);
  if (str::iequals(env.sender, double_bounce) || str::iequals(env.sender, s.double_bounce_sender))
    return sent;  // a postmaster notice that failed: never a third one
  if (env.sender.empty()) {
    if (kind != NoticeKind::Failure) return sent;
    sent.kind = NoticeKind::PostmasterCopy;
    sent.to = s.bounce_notice_recipient_2;
    notice_sender = double_bounce;
  }

  std::string path = queue::path(queue_dir, dir, env.id);
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error("open " + path);
  bool full = str::iequals(env.attr("dsn_ret"), "FULL") && env.content_size <= s.bounce_size_limit;
  auto original = read_content(fd.get(), env.content_offset, env.content_size,
                               full ? env.content_size : s.header_size_limit);
  if (!original) return original.error();
  if (!full) *original = whole_lines(std::move(*original));

  auto w = queue::Writer::create(queue_dir);
  if (!w) return w.error();
  ReportInput in;
  in.kind = sent.kind;
  in.myhostname = s.myhostname;
  in.mail_name = s.mail_name;
  in.notice_id = w->id();
  in.from = "MAILER-DAEMON@" + s.myhostname;
  in.to = sent.to;
  in.queue_id = env.id;
  in.sender = env.sender;
  in.arrival = static_cast<std::time_t>(env.arrival_sec);
  in.now = now;
  in.retry_until = static_cast<std::time_t>(env.arrival_sec + s.lifetime);
  in.envid = env.attr("dsn_envid");
  in.recipients = std::move(recipients);
  in.original = *original;
  in.full = full;
  std::string report = build_report(in);

  if (auto r = w->sender(notice_sender); !r) return r.error();
  if (auto r = w->recipient(sent.to); !r) return r.error();
  if (auto r = w->begin_content(); !r) return r.error();
  if (auto r = w->append(report); !r) return r.error();
  if (auto r = w->commit(); !r) return r.error();
  sent.id = w->id();
  log::info(sent.id + ": message-id=<" + sent.id + "@" + str::sanitize(s.myhostname) + ">");
  return sent;
}

}  // namespace buzon::qmgr
