#include "qmgr/virtual_rewrite.h"

#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/strings.h"

namespace buzon::qmgr {
namespace {

constexpr size_t kCopyChunk = 64 * 1024;

Status copy_content(int from, const queue::Envelope& env, queue::Writer& w) {
  std::string buf(kCopyChunk, '\0');
  off_t at = env.content_offset;
  unsigned long long left = env.content_size;
  while (left > 0) {
    size_t want = left < kCopyChunk ? static_cast<size_t>(left) : kCopyChunk;
    ssize_t n = ::pread(from, buf.data(), want, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error("read queue file " + env.id);
    if (n == 0) return Error{"read queue file " + env.id + ": unexpected end of file"};
    if (auto s = w.append(std::string_view(buf.data(), static_cast<size_t>(n))); !s) return s;
    at += n;
    left -= static_cast<unsigned long long>(n);
  }
  return {};
}

}  // namespace

Result<bool> rewrite_virtual_aliases(const std::string& queue_dir, std::string_view dir, const queue::Envelope& env,
                                     virt::Aliases& aliases) {
  if (!aliases.enabled() || env.attr(kExpandedAttr) == "yes") return false;
  std::vector<std::vector<std::string>> expanded(env.recipients.size());
  bool changed = false;
  size_t total = 0;
  for (size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& r = env.recipients[i];
    if (r.done) continue;
    auto e = aliases.expand(r.address);
    if (!e) return e.error();
    changed = changed || e->size() != 1 || (*e)[0] != r.address;
    total += e->size();
    expanded[i] = std::move(*e);
  }
  if (!changed) return false;
  if (total > queue::kRecipientsMax) return Error{"virtual alias expansion: more than " + std::to_string(queue::kRecipientsMax) + " recipients"};

  std::string path = queue::path(queue_dir, dir, env.id);
  Fd old(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!old) return sys_error("open " + path);
  auto w = queue::Writer::create_replacement(queue_dir, env.id, env.arrival_sec, env.arrival_usec);
  if (!w) return w.error();
  if (auto s = w->sender(env.sender); !s) return s.error();
  for (const auto& [name, value] : env.attrs)
    if (auto s = w->attr(name, value); !s) return s.error();
  if (auto s = w->attr(kExpandedAttr, "yes"); !s) return s.error();
  std::set<std::string> written;
  for (size_t i = 0; i < env.recipients.size(); ++i) {
    const auto& r = env.recipients[i];
    if (r.done) continue;
    const std::string& original = r.original.empty() ? r.address : r.original;
    for (const auto& a : expanded[i]) {
      if (!written.insert(str::lower(a)).second) continue;  // one copy per address, as cleanup does
      // An unchanged recipient keeps its record as it was.
      bool same = expanded[i].size() == 1 && a == r.address;
      if (auto s = w->recipient(a, same ? r.original : original, r.dsn); !s) return s.error();
    }
  }
  if (auto s = w->begin_content(); !s) return s.error();
  if (auto s = copy_content(old.get(), env, *w); !s) return s.error();
  if (auto s = w->commit_replacing(dir); !s) return s.error();
  return true;
}

}  // namespace buzon::qmgr
