// maildir_fill - fills the POP3 benchmark's mailboxes (bench/run pop3)
// SYNOPSIS  maildir_fill --messages M --size S --run-id ID [--domain D]
//                        [--owner UID:GID] MAILDIR...
// SECURITY  Run by bench/run (root) on folders it created under its own
//           temporary directory; creates each MAILDIR, refuses one that
//           exists (it never deletes anything), writes only inside them.
// LIMITS    10,000 messages per Maildir, 64 MiB a message, 100,000 Maildirs.
// SEE ALSO  pop3_load, bench/README.md
//
// MAILDIR number i (1-based) is user i's: it gets cur/ new/ tmp/ and M
// messages in new/, each bench::mailbox_message(ID, seq, "user<i>@D", S)
// with LF line ends (as an MDA writes them), seq = (i - 1) * M + k. The
// name is Buzón local(8)'s shape, TIME.M<usec>Q<seq>.bench,S=<file size>:
// the bytes and the names are the same for every server measured, so the
// run measures the POP3 side only. The files are not fsync'ed one by one,
// but the file system is synced once at the end (syncfs), so no writeback
// of the fill competes with the measurement that follows.
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/message.h"

namespace {

constexpr unsigned long kMaxMessages = 10000;
constexpr unsigned long kMaxSize = 64ul << 20;
constexpr size_t kMaxMaildirs = 100000;

struct Options {
  unsigned long messages = 0;
  unsigned long size = 0;
  std::string run_id;
  std::string domain = "bench.test";
  bool chown = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::string> maildirs;
};

[[noreturn]] void usage() {
  std::fputs("usage: maildir_fill --messages M --size S --run-id ID [--domain bench.test]\n"
             "                    [--owner UID:GID] MAILDIR...\n",
             stderr);
  std::exit(2);
}

unsigned long number(const char* name, const char* v, unsigned long lo, unsigned long hi) {
  char* end = nullptr;
  errno = 0;
  unsigned long n = std::strtoul(v, &end, 10);
  if (errno || !*v || *end || n < lo || n > hi) {
    std::fprintf(stderr, "maildir_fill: --%s: need a number in %lu..%lu\n", name, lo, hi);
    std::exit(2);
  }
  return n;
}

Options parse(int argc, char** argv) {
  Options o;
  static const option longopts[] = {
      {"messages", required_argument, nullptr, 'm'}, {"size", required_argument, nullptr, 's'},
      {"run-id", required_argument, nullptr, 'i'},   {"domain", required_argument, nullptr, 'd'},
      {"owner", required_argument, nullptr, 'o'},    {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    switch (c) {
      case 'm': o.messages = number("messages", optarg, 1, kMaxMessages); break;
      case 's': o.size = number("size", optarg, 1, kMaxSize); break;
      case 'i': o.run_id = optarg; break;
      case 'd': o.domain = optarg; break;
      case 'o': {
        std::string v = optarg;
        size_t colon = v.find(':');
        if (colon == std::string::npos) usage();
        o.uid = uid_t(number("owner", v.substr(0, colon).c_str(), 0, 0x7fffffff));
        o.gid = gid_t(number("owner", v.substr(colon + 1).c_str(), 0, 0x7fffffff));
        o.chown = true;
        break;
      }
      default: usage();
    }
  }
  for (int i = optind; i < argc; ++i) o.maildirs.emplace_back(argv[i]);
  if (o.messages == 0 || o.size == 0 || o.run_id.empty() || o.maildirs.empty() ||
      o.maildirs.size() > kMaxMaildirs)
    usage();
  for (char ch : o.run_id)
    if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_') {
      std::fprintf(stderr, "maildir_fill: --run-id: letters, digits, '-' and '_' only\n");
      std::exit(2);
    }
  return o;
}

bool make_dir(const Options& o, const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0) {
    std::fprintf(stderr, "maildir_fill: mkdir %s: %s\n", path.c_str(), strerror(errno));
    return false;
  }
  if (o.chown && chown(path.c_str(), o.uid, o.gid) != 0) {
    std::fprintf(stderr, "maildir_fill: chown %s: %s\n", path.c_str(), strerror(errno));
    return false;
  }
  return true;
}

bool write_file(const Options& o, const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "maildir_fill: %s: %s\n", path.c_str(), strerror(errno));
    return false;
  }
  size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else done += size_t(n);
  }
  if (ok && o.chown && fchown(fd, o.uid, o.gid) != 0) ok = false;
  if (!ok) std::fprintf(stderr, "maildir_fill: %s: %s\n", path.c_str(), strerror(errno));
  return close(fd) == 0 && ok;
}

bool fill(const Options& o, size_t index, const std::string& root, time_t now) {
  if (!make_dir(o, root) || !make_dir(o, root + "/cur") || !make_dir(o, root + "/new") ||
      !make_dir(o, root + "/tmp"))
    return false;
  std::string to = "user" + std::to_string(index + 1) + "@" + o.domain;
  for (unsigned long k = 0; k < o.messages; ++k) {
    uint64_t seq = uint64_t(index) * o.messages + k;
    std::string text = bench::to_lf(bench::mailbox_message(o.run_id, seq, to, o.size));
    std::string name = std::to_string(now) + ".M" + std::to_string(k) + "Q" + std::to_string(seq) +
                       ".bench,S=" + std::to_string(text.size());
    if (!write_file(o, root + "/new/" + name, text)) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  time_t now = time(nullptr);
  for (size_t i = 0; i < o.maildirs.size(); ++i)
    if (!fill(o, i, o.maildirs[i], now)) return 1;
  int fd = open(o.maildirs[0].c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || syncfs(fd) != 0) {
    std::fprintf(stderr, "maildir_fill: syncfs: %s\n", strerror(errno));
    return 1;
  }
  close(fd);
  std::printf("maildirs=%zu messages_per_maildir=%lu size=%lu\n", o.maildirs.size(), o.messages,
              o.size);
  return 0;
}
