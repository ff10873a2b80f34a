#include "pop3d/line_input.h"

namespace buzon::pop3d {

LineInput::Line LineInput::next(evbuffer* in, size_t limit) {
  for (;;) {
    size_t eol_len = 0;
    evbuffer_ptr eol = evbuffer_search_eol(in, nullptr, &eol_len, EVBUFFER_EOL_LF);
    if (eol.pos < 0) {
      size_t have = evbuffer_get_length(in);
      // +1: the CR of a CRLF may still be missing its LF.
      if (have > limit + 1) {
        evbuffer_drain(in, have);
        if (!discarding_) {
          discarding_ = true;
          return {Kind::TooLong, {}};
        }
      }
      return {Kind::NeedMore, {}};
    }
    size_t len = static_cast<size_t>(eol.pos);
    if (discarding_) {
      discarding_ = false;
      evbuffer_drain(in, len + eol_len);
      continue;
    }
    std::string text(len, '\0');
    evbuffer_remove(in, text.data(), len);
    evbuffer_drain(in, eol_len);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.size() > limit) return {Kind::TooLong, {}};
    return {Kind::Ok, std::move(text)};
  }
}

}  // namespace buzon::pop3d
