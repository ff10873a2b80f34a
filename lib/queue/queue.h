// The queue file (doc/queue-file.md). Envelope records first, then the
// message content, then a fixed-size end record that proves the file is
// complete:
//   record  = type length ':' data '\n'      (type one ASCII letter,
//                                             length decimal byte count of data)
//   V1:1  I17:6B0D2B323D78E4AAA  T17:1732843269.123456  S17:alice@example.org
//   (I, the file's own queue ID, is absent in files of before 2026-11-30)
//   A<n>:name=value  (client_name, client_addr, helo, protocol, ...)
//   O<n>:original recipient (applies to the next R)
//   N<n>:DSN NOTIFY of the next R: "NEVER" or a comma list of SUCCESS,
//        FAILURE, DELAY (RFC 3461 section 4.1); absent when not given
//   P<n>:DSN ORCPT of the next R, "addr-type;xtext-decoded address"
//   R<n>:recipient   (pending; the type byte becomes 'X' when delivered)
//   M0:              (content follows, raw bytes, CRLF-free: lines end in LF)
//   E20:00000000000000002048\n   (content size; always kEndRecordSize bytes)
// A queue file is created in tmp/, renamed into incoming/ (or hold/) and
// fsync'ed before smtpd may answer 250.
//
// LIMITS  kRecordMax bytes per envelope record, kRecipientsMax recipients.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/core/fd.h"
#include "lib/core/result.h"

namespace buzon::queue {

constexpr size_t kRecordMax = 4096;
constexpr size_t kRecipientsMax = 100000;
constexpr size_t kEndRecordSize = 25;  // "E20:" + 20 digits + '\n'

// Subdirectories of queue_directory that `buzon init`/`buzon start` create.
// tmp: files being written; incoming: complete, not yet seen by qmgr;
// active: owned by qmgr; deferred: waiting for retry; hold: held by admin;
// corrupt: unreadable files; journal: smtpd's commits (lib/queue/journal.h);
// private/public: service sockets; pid: master lock.
inline constexpr const char* kDirs[] = {"tmp",    "incoming", "active",  "deferred", "hold",   "corrupt",
                                        "defer",  "journal",  "private", "public",   "pid"};

// Queue IDs: 17 upper-case hex digits: 8 of seconds, 5 of microseconds, 4 of
// a per-process uniquifier. String order is arrival order.
constexpr size_t kIdSize = 17;
std::string new_id();
bool id_ok(std::string_view id);

// DSN NOTIFY flags (RFC 3461 section 4.1). 0 means the client gave no
// NOTIFY, which RFC 3461 says to treat as FAILURE,DELAY.
enum Notify : unsigned {
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};
// "NEVER" or a comma list of SUCCESS, FAILURE, DELAY, case-insensitive;
// nullopt when malformed (NEVER combined with others, unknown or repeated).
std::optional<unsigned> parse_notify(std::string_view text);
std::string format_notify(unsigned notify);

// Per-recipient DSN request stored with the recipient (RFC 3461).
struct RecipientDsn {
  unsigned notify = 0;  // Notify flags; 0 = not given
  std::string orcpt;    // "rfc822;user@example.org" (decoded); empty when not given
};

// Message-wide DSN parameters travel as A records: dsn_envid (decoded
// ENVID) and dsn_ret (FULL or HDRS).

struct Recipient {
  std::string address;
  std::string original;  // from the O record; empty when none
  RecipientDsn dsn;      // from the N and P records
  off_t offset = 0;      // file offset of the R/X type byte
  bool done = false;
};

struct Envelope {
  std::string id;
  long long arrival_sec = 0;
  long arrival_usec = 0;
  std::string sender;  // empty for the null sender <>
  std::vector<std::pair<std::string, std::string>> attrs;
  std::vector<Recipient> recipients;
  off_t content_offset = 0;
  unsigned long long content_size = 0;

  // Value of an A record, or "" when absent.
  std::string attr(std::string_view name) const;
};

// Writes one new queue file. Use: create, then envelope records, then
// begin_content, append content (LF line endings), then commit. The file
// is written as tmp/ID, or in a spare where it lies (spare.h). A Writer
// destroyed without commit removes tmp/ID, or empties the spare. The file
// is flock'ed (LOCK_EX) by its Writer for the Writer's lifetime, so a file
// left in tmp/ by a killed writer can be told from one being written.
class Writer {
 public:
  static Result<Writer> create(const std::string& queue_dir);
  // A rewritten copy of the existing queue file id (qmgr's virtual alias
  // expansion): same ID and arrival time, written to tmp/ID (a stale
  // tmp/ID of an earlier, interrupted rewrite is removed first); finish it
  // with commit_replacing(), never commit()/seal(). Only the owner of the
  // file (qmgr, for active/) may rewrite it.
  static Result<Writer> create_replacement(const std::string& queue_dir, std::string_view id, long long arrival_sec,
                                           long arrival_usec);
  Writer(Writer&&) noexcept;
  // Assigning over an uncommitted Writer removes its temporary file.
  Writer& operator=(Writer&&) noexcept;
  ~Writer();

  const std::string& id() const { return id_; }
  Status sender(std::string_view address);
  Status attr(std::string_view name, std::string_view value);
  // Errors: the kRecipientsMax+1st recipient, besides write errors.
  Status recipient(std::string_view address, std::string_view original = {}, const RecipientDsn& dsn = {});
  Status begin_content();
  Status append(std::string_view bytes);
  unsigned long long content_size() const { return content_size_; }
  // Writes the end record, renames the file to incoming/ID and fsyncs the
  // file. After success the message is durable, its name included: the
  // rename changed the file's inode in the journal transaction that the
  // fsync commits (ext4, XFS and btrfs; local's Maildir delivery relies on
  // the same), so incoming/ needs no fsync of its own. Between the rename
  // and the fsync qmgr may already see the complete file and deliver it;
  // when the fsync then fails the client hears 4xx and may send it again:
  // a duplicate at worst, never a loss.
  Status commit();
  // commit() in its two steps: publish() writes the end record and renames
  // the file into place, where qmgr may take it at once; sync() makes it
  // durable. The message is accepted only when both succeeded.
  Status publish();
  Status sync();
  // publish()'s first half: the end record, written out (once). The file
  // is then complete, still in tmp/.
  Status finish();
  // The file's descriptor, for reading the complete file back.
  int fd() const { return fd_.get(); }
  // After publish(): the file's descriptor, for a caller that makes it
  // durable itself (Committer); the Writer has nothing left to do.
  Fd release_fd() { return std::move(fd_); }
  // commit() puts the file into hold/ instead (access(5) HOLD): qmgr leaves
  // it alone until "buzon queue release".
  void hold_on_commit() { into_ = "hold"; }
  // For create_replacement(): writes the end record, fsyncs, renames tmp/ID
  // over dir/ID and fsyncs dir/. A crash leaves either the old file or the
  // new one in dir/, never neither; the new one only complete.
  Status commit_replacing(std::string_view dir);

 private:
  Writer(std::string queue_dir, std::string id, Fd fd, std::string file, bool spare);
  void abandon();  // uncommitted: remove the file, or empty the spare
  Status begin_envelope(std::string_view arrival);  // V, I and T records
  Status record(char type, std::string_view data);
  Status flush();
  std::string queue_dir_;
  const char* into_ = "incoming";
  std::string id_;
  Fd fd_;
  std::string file_;    // where it is written: tmp/ID or a spare
  bool spare_ = false;  // file_ is a spare: kept, not removed, if abandoned
  std::string buf_;
  unsigned long long content_size_ = 0;
  size_t recipients_ = 0;
  bool in_content_ = false;
  bool finished_ = false;  // the end record is written
  bool committed_ = false;
};

// Reads and validates the envelope of an open queue file. A file without a
// valid end record, with a record over kRecordMax, an unknown record type or
// inconsistent sizes is an error whose message starts with "corrupt".
Result<Envelope> read_envelope(int fd, std::string_view id);

// Marks the recipient whose R record starts at offset as delivered, durably
// (one-byte pwrite + fdatasync).
Status mark_done(int fd, off_t offset);

// Wakes qmgr: connects to queue_dir/public/qmgr without blocking and writes
// one byte ('W': new mail in incoming/, 'F': flush the deferred queue).
// Failure only delays delivery until qmgr's next scan; callers log it.
Status trigger_qmgr(const std::string& queue_dir, char what = 'W');

// Path of a queue file: queue_dir + "/" + dir + "/" + id.
std::string path(const std::string& queue_dir, std::string_view dir, std::string_view id);

}  // namespace buzon::queue
