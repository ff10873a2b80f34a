// A delivery request from qmgr (doc/internals.md, "qmgr <-> local"). Every
// field is checked before it touches the file system: the queue file name
// becomes a path, so only "active/ID" and "deferred/ID" with a well-formed
// ID are accepted (no "../", no absolute paths, no other queue directory).
#pragma once
#include <sys/types.h>

#include <string>
#include <string_view>

#include "lib/attr/attr.h"
#include "lib/core/result.h"

namespace buzon::local {

struct Request {
  std::string queue_id;
  std::string queue_file;  // "active/ID" or "deferred/ID", relative to queue_directory
  off_t offset = 0;        // of the recipient's R record
  std::string recipient;
  std::string original_recipient;
  std::string sender;      // empty for the null sender
};

// Errors name the offending attribute ("bad queue_file"), for local's log.
Result<Request> parse_request(const attr::Message& m);

// The mailbox owner's name for a recipient address: the local part,
// lower-cased, with an address extension removed (user+ext with
// recipient_delimiter "+"). "Bob+Lists@Example.Test" -> "bob". An extension
// delimiter as the first character is kept (the name must not be empty).
std::string user_of(std::string_view recipient, std::string_view delimiters);

}  // namespace buzon::local
