#include "smtpd/data.h"

#include <algorithm>
#include <cstring>

#include "lib/core/strings.h"

namespace buzon::smtpd {
namespace {

// RFC 5322 ftext: printable US-ASCII except ':'.
bool is_ftext(char c) { return c >= 33 && c <= 126 && c != ':'; }

// The end of the run of bytes from i that holds no CR and no LF: two
// memchr scans, not a state machine step per byte.
size_t plain_run_end(std::string_view in, size_t i) {
  const char* begin = in.data() + i;
  size_t len = in.size() - i;
  const void* lf = std::memchr(begin, '\n', len);
  size_t upto = lf ? static_cast<size_t>(static_cast<const char*>(lf) - begin) : len;
  const void* cr = std::memchr(begin, '\r', upto);
  return i + (cr ? static_cast<size_t>(static_cast<const char*>(cr) - begin) : upto);
}

}  // namespace

std::optional<std::string_view> header_field_name(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && is_ftext(line[i])) ++i;
  if (i == 0) return std::nullopt;
  size_t name_end = i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i == line.size() || line[i] != ':') return std::nullopt;
  return line.substr(0, name_end);
}

DataReader::DataReader(const Limits& limits, Sink sink, HeaderEnd header_end)
    : limits_(limits), sink_(std::move(sink)), header_end_(std::move(header_end)) {}

size_t DataReader::feed(std::string_view in) {
  size_t i = 0;
  while (i < in.size() && !done_) {
    if (state_ == State::Mid && !in_headers_) {
      // The rest of a body line up to its CR or LF is content as it is.
      size_t end = plain_run_end(in, i);
      if (end > i) {
        content_run(in.substr(i, end - i));
        i = end;
        continue;
      }
    }
    step(in[i++]);
  }
  flush();
  return i;
}

void DataReader::feed_chunk(std::string_view in) {
  // LineStart and Mid behave alike here: a leading dot is content.
  size_t i = 0;
  while (i < in.size()) {
    if (state_ == State::MidCr) {
      mid_cr(in[i++]);
      continue;
    }
    state_ = State::Mid;
    size_t end = in_headers_ ? i : plain_run_end(in, i);
    if (end > i) {
      content_run(in.substr(i, end - i));
      i = end;
      continue;
    }
    mid(in[i++]);
  }
  flush();
}

void DataReader::finish_chunks() {
  if (state_ == State::MidCr) {
    // A CR at the very end is content.
    sum_.bare_cr = true;
    content('\r');
  }
  if (in_headers_) {
    if (!pending_.empty()) header_line_end();
    if (in_headers_) end_of_headers();
  } else if (state_ != State::LineStart) {
    emit("\n");  // queue file lines end in LF, the last one too
  }
  state_ = State::LineStart;
  done_ = true;
  flush();
}

void DataReader::step(char c) {
  switch (state_) {
    case State::LineStart:
      if (c == '.') {
        state_ = State::Dot;
        return;
      }
      state_ = State::Mid;
      return mid(c);
    case State::Dot:
      if (c == '\r') {
        state_ = State::DotCr;
        return;
      }
      if (c == '\n') {
        // ".<LF>" never ends the data; a lone dot has no other characters,
        // so there is nothing to unstuff.
        content('.');
        return line_end(false);
      }
      state_ = State::Mid;  // the leading dot was transparency: dropped
      return mid(c);
    case State::DotCr:
      if (c == '\n') {
        if (prev_crlf_) {
          // <CR><LF>.<CR><LF>: the one and only end of the data.
          if (in_headers_) end_of_headers();
          done_ = true;
          return;
        }
        content('.');  // <LF>.<CR><LF>: content, never the end
        return line_end(true);
      }
      // ".<CR>x": the dot was transparency; the CR is content or the start
      // of a CRLF, decided by what follows.
      state_ = State::MidCr;
      return mid_cr(c);
    case State::Mid:
      return mid(c);
    case State::MidCr:
      return mid_cr(c);
  }
}

void DataReader::mid(char c) {
  if (c == '\r') {
    state_ = State::MidCr;
  } else if (c == '\n') {
    line_end(false);
  } else {
    content(c);
  }
}

void DataReader::mid_cr(char c) {
  if (c == '\n') return line_end(true);
  sum_.bare_cr = true;
  content('\r');
  if (c == '\r') return;  // this CR may still start a CRLF
  state_ = State::Mid;
  content(c);
}

void DataReader::content(char c) {
  ++sum_.size;
  if (limits_.message_size_limit && sum_.size > limits_.message_size_limit) sum_.too_big = true;
  if (!in_headers_) {
    if (!discarding()) out_ += c;
    if (out_.size() >= kSinkChunk) flush();
    return;
  }
  pending_ += c;
  // One header field (with its continuation lines) may not exceed
  // header_size_limit; the +1 is the LF that will end this line.
  bool continuation = have_header_ && (pending_[0] == ' ' || pending_[0] == '\t');
  size_t field = pending_.size() + 1 + (continuation ? header_len_ : 0);
  if (field > limits_.header_size_limit) {
    in_headers_ = false;  // the rest is body; the bytes are kept
    if (!(continuation && dropping_)) emit(pending_);
    pending_.clear();
  }
}

void DataReader::content_run(std::string_view bytes) {
  sum_.size += bytes.size();
  if (limits_.message_size_limit && sum_.size > limits_.message_size_limit) sum_.too_big = true;
  while (!bytes.empty() && !discarding()) {
    size_t take = std::min(bytes.size(), kSinkChunk - std::min(kSinkChunk, out_.size()));
    out_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (out_.size() >= kSinkChunk) flush();
  }
}

void DataReader::line_end(bool crlf) {
  if (!crlf) sum_.bare_lf = true;
  sum_.size += 2;  // RFC 1870 counts CRLF
  if (limits_.message_size_limit && sum_.size > limits_.message_size_limit) sum_.too_big = true;
  prev_crlf_ = crlf;
  state_ = State::LineStart;
  if (in_headers_) return header_line_end();
  emit("\n");
}

void DataReader::header_line_end() {
  std::string_view line = pending_;
  if (line.empty()) {
    end_of_headers();
    emit("\n");
  } else if (line[0] == ' ' || line[0] == '\t') {
    if (have_header_) {
      header_len_ += line.size() + 1;
    } else {
      end_of_headers();  // a message cannot start with a continuation
    }
    if (!(have_header_ && dropping_)) {
      emit(line);
      emit("\n");
    }
  } else if (auto name = header_field_name(line)) {
    have_header_ = true;
    header_len_ = line.size() + 1;
    dropping_ = false;
    for (const auto& drop : limits_.drop_headers)
      if (str::iequals(*name, drop)) dropping_ = true;
    if (str::iequals(*name, "Received")) ++sum_.received_headers;
    if (str::iequals(*name, "Date")) sum_.has_date = true;
    if (str::iequals(*name, "Message-ID") && !sum_.has_message_id) {
      sum_.has_message_id = true;
      sum_.message_id = std::string(str::trim(line.substr(line.find(':') + 1)));
    }
    if (str::iequals(*name, "From")) sum_.has_from = true;
    if (!dropping_) {
      emit(line);
      emit("\n");
    }
  } else {
    end_of_headers();  // the body starts without an empty line
    emit(line);
    emit("\n");
  }
  pending_.clear();
}

void DataReader::end_of_headers() {
  in_headers_ = false;
  if (header_end_) emit(header_end_(sum_));
}

void DataReader::emit(std::string_view s) {
  if (discarding()) return;
  out_ += s;
  if (out_.size() >= kSinkChunk) flush();
}

void DataReader::flush() {
  if (out_.empty()) return;
  if (!discarding()) {
    if (auto st = sink_(out_); !st) sink_error_ = st.error();
  }
  out_.clear();
}

}  // namespace buzon::smtpd
