#include "server/backups/s3_xml.h"

#include <charconv>

namespace ms {
namespace {

bool Blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && Blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && Blank(s.back())) s.remove_suffix(1);
  return s;
}

// One element found by name: where its start tag begins, its content
// (between the start tag's '>' and the end tag's '<'; empty for <Name/>) and
// where the scan goes on, just past it.
struct Element {
  size_t start = 0;
  std::string_view content;
  size_t after = 0;
};

// True when a tag's name ends at xml[at] ('>', '/' or a blank follows it).
bool NameEndsAt(std::string_view xml, size_t at) {
  return at < xml.size() && (xml[at] == '>' || xml[at] == '/' || Blank(xml[at]));
}

// The first element named `name` at or after `from`. Each call only moves
// forward through xml, so a scan by repeated calls stays linear.
std::optional<Element> FindElement(std::string_view xml, std::string_view name, size_t from) {
  while (from < xml.size()) {
    size_t open = xml.find('<', from);
    if (open == std::string_view::npos) return std::nullopt;
    from = open + 1;
    if (xml.compare(open + 1, name.size(), name) != 0 || !NameEndsAt(xml, open + 1 + name.size())) continue;
    size_t gt = xml.find('>', open + 1 + name.size());
    if (gt == std::string_view::npos) return std::nullopt;
    if (xml[gt - 1] == '/') return Element{open, xml.substr(gt + 1, 0), gt + 1};  // <Name/>
    // The matching end tag: "</Name" then blanks then '>'.
    for (size_t close = xml.find("</", gt + 1); close != std::string_view::npos;
         close = xml.find("</", close + 2)) {
      if (xml.compare(close + 2, name.size(), name) != 0) continue;
      size_t end = close + 2 + name.size();
      while (end < xml.size() && Blank(xml[end])) ++end;
      if (end < xml.size() && xml[end] == '>') return Element{open, xml.substr(gt + 1, close - gt - 1), end + 1};
    }
    return std::nullopt;
  }
  return std::nullopt;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// The entity or character reference at the start of s ("&amp;", "&#x41;"):
// what it stands for and its length; nullopt when s starts with none (the
// '&' is then kept as it is).
std::optional<std::pair<std::string, size_t>> Reference(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
  for (const auto& [entity, c] : kNamed) {
    if (s.starts_with(entity)) return std::pair{std::string(1, c), entity.size()};
  }
  if (!s.starts_with("&#")) return std::nullopt;
  const bool hex = s.size() > 2 && (s[2] == 'x' || s[2] == 'X');
  const size_t digits_at = hex ? 3 : 2;
  size_t semi = s.substr(0, digits_at + 9).find(';', digits_at);  // at most 8 digits
  if (semi == std::string_view::npos || semi == digits_at || semi - digits_at > 8) return std::nullopt;
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(s.data() + digits_at, s.data() + semi, cp, hex ? 16 : 10);
  if (ec != std::errc() || end != s.data() + semi) return std::nullopt;
  if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  std::string out;
  AppendUtf8(out, cp);
  return std::pair{out, semi + 1};
}

std::string Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (auto ref = Reference(text.substr(i))) {
        out += ref->first;
        i += ref->second;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

// The decoded text of the first element `name` inside xml; nullopt when there is none.
std::optional<std::string> Text(std::string_view xml, std::string_view name) {
  auto e = FindElement(xml, name, 0);
  if (!e) return std::nullopt;
  return Decode(e->content);
}

std::optional<uint64_t> Number(std::string_view text) {
  text = Trim(text);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

std::optional<S3XmlError> ParseS3Error(std::string_view xml) {
  if (xml.size() > kS3XmlMaxBytes) return std::nullopt;
  auto root = FindElement(xml, "Error", 0);
  if (!root) return std::nullopt;
  S3XmlError error;
  error.code = std::string(Trim(Text(root->content, "Code").value_or("")));
  if (error.code.empty()) return std::nullopt;
  error.message = Text(root->content, "Message").value_or("");
  error.region = Text(root->content, "Region").value_or("");
  error.endpoint = Text(root->content, "Endpoint").value_or("");
  return error;
}

std::optional<S3ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.size() > kS3XmlMaxBytes) return std::nullopt;
  auto root = FindElement(xml, "ListBucketResult", 0);
  if (!root) return std::nullopt;
  const std::string_view body = root->content;
  S3ListPage page;
  // IsTruncated and NextContinuationToken are the page's own: they are looked
  // for outside the Contents elements.
  std::string outside;
  size_t at = 0;
  for (auto contents = FindElement(body, "Contents", 0); contents; contents = FindElement(body, "Contents", at)) {
    outside.append(body.substr(at, contents->start - at));
    at = contents->after;
    if (page.objects.size() == kS3ListMaxObjectsPerPage) return std::nullopt;
    auto key = Text(contents->content, "Key");
    auto size_text = Text(contents->content, "Size");
    auto size = size_text ? Number(*size_text) : std::nullopt;
    if (!key || !size) return std::nullopt;
    page.objects.push_back({std::move(*key), *size, Text(contents->content, "LastModified").value_or("")});
  }
  outside.append(body.substr(at));
  page.truncated = Trim(Text(outside, "IsTruncated").value_or("")) == "true";
  page.next_continuation_token = Text(outside, "NextContinuationToken").value_or("");
  return page;
}

std::optional<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  if (xml.size() > kS3XmlMaxBytes) return std::nullopt;
  auto root = FindElement(xml, "InitiateMultipartUploadResult", 0);
  if (!root) return std::nullopt;
  auto id = Text(root->content, "UploadId");
  if (!id || Trim(*id).empty()) return std::nullopt;
  return std::string(Trim(*id));
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace ms
