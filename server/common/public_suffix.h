#pragma once
// PublicSuffixList: the rules of publicsuffix.org's list (Debian's
// `publicsuffix` package: /usr/share/publicsuffix/public_suffix_list.dat) that
// say under which names anyone may register a domain: "com", "co.uk", "*.ck"
// (every name under ck) and exceptions "!www.ck". A host is a public suffix
// when a rule names it (a single label always is, the list's implicit "*").
// Rules in UTF-8 (IDN) are kept as written, so a punycode host ("xn--...")
// does not match them. Immutable after Parse; any thread.

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>

#include "server/common/result.h"

namespace ms {

inline constexpr char kPublicSuffixListPath[] = "/usr/share/publicsuffix/public_suffix_list.dat";

class PublicSuffixList {
 public:
  // Reads the list's text; comments ("//") and blank lines are skipped.
  static PublicSuffixList Parse(std::string_view text);
  // kFailed naming the file and the package to install when it cannot be read.
  static Result<PublicSuffixList> Load(const std::filesystem::path& path);

  // `host` in lower case, without a trailing dot.
  bool IsPublicSuffix(std::string_view host) const;
  size_t size() const { return rules_.size() + wildcards_.size() + exceptions_.size(); }

 private:
  std::unordered_set<std::string> rules_;       // "co.uk"
  std::unordered_set<std::string> wildcards_;   // "ck" for "*.ck"
  std::unordered_set<std::string> exceptions_;  // "www.ck" for "!www.ck"
};

// The list at kPublicSuffixListPath, read on first use and kept; the error
// (Load's) is kept too, until the daemon restarts.
Result<const PublicSuffixList*> SystemPublicSuffixList();

}  // namespace ms
