#include "lib/file/lines.h"

#include "lib/core/strings.h"

namespace buzon::file {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

LogicalLines logical_lines(std::string_view text, const LineRules& rules) {
  LogicalLines out;
  auto fail = [&](LogicalLines::Failure f, int line) {
    out.failure = f;
    out.failure_line = line;
    return std::move(out);
  };
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view phys = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (rules.nul_is_failure && phys.find('\0') != std::string_view::npos) return fail(LogicalLines::Failure::Nul, line_no);
    std::string_view body = str::trim(phys);
    if (body.empty() || body.front() == '#') continue;
    if (is_space(phys.front())) {
      if (out.lines.empty()) {
        if (rules.orphan_is_failure) {
          out.failure_text = std::string(body);
          return fail(LogicalLines::Failure::Orphan, line_no);
        }
        out.orphans.push_back(line_no);
        continue;
      }
      LogicalLine& last = out.lines.back();
      if (last.text.size() + 1 + body.size() > rules.logical_max) return fail(LogicalLines::Failure::TooLong, last.line);
      last.text += ' ';
      last.text += body;
      continue;
    }
    if (body.size() > rules.logical_max) return fail(LogicalLines::Failure::TooLong, line_no);
    out.lines.push_back({std::string(body), line_no});
  }
  return out;
}

}  // namespace buzon::file
