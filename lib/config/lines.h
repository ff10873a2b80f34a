// Private to lib/config: the file reading and line joining that main.cf and
// master.cf share (defined in config.cpp).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "lib/core/result.h"
#include "lib/file/lines.h"

namespace buzon::config::detail {

using LogicalLine = file::LogicalLine;
// Reads a configuration file, refusing more than kConfigFileMax bytes.
Result<std::string> read_config_file(const std::string& path);
// Joins continuation lines, drops comments and blank lines; a logical line
// over kLogicalLineMax is an error with file:line.
Result<std::vector<LogicalLine>> logical_lines(std::string_view text, const std::string& filename);
bool is_name_char(char c);
// "file:line" for error messages.
std::string where(const std::string& filename, int line);

}  // namespace buzon::config::detail
