#include "server/common/public_suffix.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace ms {

PublicSuffixList PublicSuffixList::Parse(std::string_view text) {
  PublicSuffixList list;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // A rule is the line's first word.
    size_t stop = line.find_first_of(" \t\r");
    std::string_view rule = line.substr(0, stop);
    if (rule.empty() || rule.starts_with("//")) continue;
    std::string lower(rule);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (lower.starts_with("!")) {
      list.exceptions_.insert(lower.substr(1));
    } else if (lower.starts_with("*.")) {
      list.wildcards_.insert(lower.substr(2));
    } else {
      list.rules_.insert(lower);
    }
  }
  return list;
}

Result<PublicSuffixList> PublicSuffixList::Load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return Failed(fmt::format("cannot read the public suffix list {}; install Debian's publicsuffix package",
                              path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

bool PublicSuffixList::IsPublicSuffix(std::string_view host) const {
  if (host.empty()) return true;
  std::string name(host);
  if (rules_.contains(name)) return true;
  size_t dot = name.find('.');
  if (dot == std::string::npos) return !exceptions_.contains(name);  // the implicit "*"
  if (exceptions_.contains(name)) return false;
  return wildcards_.contains(name.substr(dot + 1));
}

Result<const PublicSuffixList*> SystemPublicSuffixList() {
  static const Result<PublicSuffixList> list = PublicSuffixList::Load(kPublicSuffixListPath);
  if (!list) return std::unexpected(list.error());
  return &*list;
}

}  // namespace ms
