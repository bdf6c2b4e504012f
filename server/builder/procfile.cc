#include "server/builder/procfile.h"

#include <fmt/format.h>

#include <sstream>

#include "server/common/names.h"
#include "server/common/utf8.h"

namespace ms {

Result<std::map<std::string, std::string>> ParseProcfile(const std::string& text) {
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!IsUtf8(line)) {
      return InvalidArgument(fmt::format(
          "Procfile line {} is not UTF-8 text (byte {} is not); save the Procfile as UTF-8", number,
          FirstInvalidUtf8(line) + 1));
    }
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    auto colon = line.find(':');
    std::string name = colon == std::string::npos ? "" : line.substr(first, colon - first);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    std::string command = colon == std::string::npos ? "" : line.substr(colon + 1);
    command.erase(0, command.find_first_not_of(" \t"));
    if (name.empty() || command.empty()) {
      return InvalidArgument(
          fmt::format("Procfile line {} is not 'type: command': {}", number, line.substr(0, 80)));
    }
    if (auto valid = ValidateProcessType(name); !valid) {
      return InvalidArgument(fmt::format("Procfile line {}: {}", number, valid.error().message));
    }
    types[name] = command;
  }
  return types;
}

}  // namespace ms
