#include "server/common/names.h"

#include <fmt/format.h>

namespace ms {
namespace {

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Names are echoed in errors; keep control characters and huge inputs out of them.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 64) out += "...";
  return out;
}

}  // namespace

Result<void> ValidateAppName(std::string_view name) {
  bool ok = name.size() >= 2 && name.size() <= 30 && IsLower(name[0]) && name.back() != '-';
  for (char c : name) ok = ok && (IsLower(c) || IsDigit(c) || c == '-');
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not a valid app name: use 2 to 30 characters, lowercase letters, digits and "
        "hyphens, starting with a letter and not ending with a hyphen (for example: my-app)",
        Printable(name)));
  }
  return {};
}

Result<void> ValidateConfigKey(std::string_view key) {
  bool ok = !key.empty() && key.size() <= 256 && (IsLower(key[0]) || IsUpper(key[0]) || key[0] == '_');
  for (char c : key) ok = ok && (IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_');
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not a valid config key: use letters, digits and underscores, not starting with "
        "a digit (for example: DATABASE_URL)",
        Printable(key)));
  }
  return {};
}

Result<void> ValidateConfigValue(std::string_view key, std::string_view value) {
  if (value.size() > 64 * 1024) {
    return InvalidArgument(fmt::format("the value of {} is {} bytes; the limit is 65536", key,
                                       value.size()));
  }
  if (value.find('\0') != std::string_view::npos) {
    return InvalidArgument(fmt::format("the value of {} contains a NUL byte", key));
  }
  return {};
}

Result<void> ValidateKeyName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && (IsLower(name[0]) || IsUpper(name[0]) || IsDigit(name[0]));
  for (char c : name) {
    ok = ok && (IsLower(c) || IsUpper(c) || IsDigit(c) || c == '.' || c == '_' || c == '@' || c == '-');
  }
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not a valid key name: use up to 64 letters, digits, '.', '_', '@' or '-' "
        "(for example: alice@laptop)",
        Printable(name)));
  }
  return {};
}

Result<void> ValidateProcessType(std::string_view type) {
  bool ok = !type.empty() && type.size() <= 30 && IsLower(type[0]);
  for (char c : type) ok = ok && (IsLower(c) || IsDigit(c) || c == '_');
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not a process type name: use up to 30 lower-case letters, digits and '_', starting with a "
        "letter (for example: web, worker, queue_2)",
        Printable(type)));
  }
  return {};
}

Result<std::string> NormalizeDomain(std::string_view host) {
  std::string name(host);
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  auto bad = [&] {
    return InvalidArgument(fmt::format("'{}' is not a domain name; use names like www.example.com or *.example.com",
                                       std::string(host.substr(0, 64))));
  };
  std::string_view rest = name;
  if (rest.starts_with("*.")) rest.remove_prefix(2);
  if (rest.empty() || rest.size() > 253) return bad();
  int labels = 0;
  while (true) {
    auto dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return bad();
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return bad();
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (labels < 2) return bad();
  return name;
}

}  // namespace ms
