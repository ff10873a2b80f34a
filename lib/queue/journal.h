// The queue journal (doc/queue-file.md, "The journal"): smtpd makes a
// message durable by appending a copy of its queue file to a journal
// segment and fdatasync'ing the segment once for every message appended
// since the last one (group commit), instead of fsync'ing each queue file.
// Most queue files are delivered and recycled before the kernel writes
// them back, so they never reach the disk at all; the segment holds the
// one durable copy until qmgr retires it (qmgr/journal_keeper.h).
//
// A segment, queue_directory/journal/ID (a queue ID: unique, sortable):
//   segment header (kSegmentHeaderSize bytes): "BZJS", version 1, the
//     segment's serial (random), the boot ID of the kernel it was written
//     under, a CRC-32 of these
//   records, back to back from kSegmentHeaderSize:
//     record header (kRecordHeaderSize bytes): "BZJR", the segment's
//       serial, content length, CRC-32 of the content, queue ID, CRC-32 of
//       the header
//     content: the queue file, byte for byte, as smtpd committed it
// The first record that does not check out ends the segment: records are
// appended in order and a record is acknowledged only after an fdatasync
// that began after it was written, which covers every record before it
// too. So a torn record is never one a client heard 250 for, and neither
// is anything after it. The serial keeps stale bytes from another segment
// (reused blocks) from passing as records.
//
// LIMITS  a record's content is at most kRecordContentMax bytes (bigger
// queue files are fsync'ed themselves); a reader stops at the end of the
// file and at kSegmentReadMax bytes.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"

namespace buzon::queue {

constexpr size_t kSegmentHeaderSize = 64;
constexpr size_t kRecordHeaderSize = 64;
constexpr size_t kRecordContentMax = 1 << 20;
constexpr size_t kSegmentReadMax = size_t{1} << 30;
constexpr const char* kJournalDir = "journal";

using BootId = std::array<char, 36>;  // /proc/sys/kernel/random/boot_id

// The running kernel's boot ID: it changes at every boot, so a segment
// written under another one has lived through a crash or a reboot. Read
// once and remembered: daemons ask before a chroot hides /proc.
Result<BootId> current_boot_id();

std::string encode_segment_header(uint64_t serial, const BootId& boot);
std::string encode_record_header(uint64_t serial, std::string_view id, uint64_t length, uint32_t content_crc);
uint32_t crc32_of(std::string_view bytes, uint32_t crc = 0);

struct JournalRecord {
  std::string id;
  uint64_t offset = 0;  // of the content in the segment file
  uint64_t length = 0;
  uint32_t crc = 0;     // of the content
};

struct JournalSegment {
  uint64_t serial = 0;
  BootId boot{};
  std::vector<JournalRecord> records;  // those whose header checks out, in order
};

// Reads a segment's header and its record headers (not the contents:
// check_content does that). An error when the segment header is missing
// or bad: a segment killed before its first record, or not ours.
Result<JournalSegment> read_segment(int fd);
// Reads a record's content and checks it against its CRC; an error for a
// torn record.
Result<std::string> read_content(int fd, const JournalRecord& r);

// For master once every daemon has exited: nothing in the queue changes any
// more, so one syncfs(2) makes each queue file durable on its own, and the
// segments are removed. A reboot after a clean stop then restores nothing
// (it would deliver again what was delivered since qmgr's last retirement).
// Reads no segment: master runs as root and smtpd writes them. journal/
// is opened without following a symlink, its entries removed by name.
Status drop_journal(const std::string& queue_dir);

}  // namespace buzon::queue
