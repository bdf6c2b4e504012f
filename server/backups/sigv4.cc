#include "server/backups/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "server/common/sha256.h"

namespace ms::sigv4 {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

bool Unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A header's value as it is signed: no leading or trailing blanks, runs of
// blanks inside as one space.
std::string TrimmedValue(std::string_view value) {
  std::string out;
  bool blank = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += static_cast<char>(std::toupper(kHexDigits[c >> 4]));
      out += static_cast<char>(std::toupper(kHexDigits[c & 0xf]));
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  return UriEncode(path, true);
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

std::string AmzDate(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalRequest(const Request& request, std::string* signed_headers) {
  // Names lower-cased and sorted; a name given twice is signed once, its
  // values joined by commas in the order given.
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    std::string lower = Lower(name);
    auto it = std::find_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == lower; });
    if (it == headers.end()) headers.emplace_back(lower, TrimmedValue(value));
    else it->second += "," + TrimmedValue(value);
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers, names;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ':' + value + '\n';
    if (!names.empty()) names += ';';
    names += name;
  }
  if (signed_headers) *signed_headers = names;
  return request.method + '\n' + CanonicalUri(request.path) + '\n' + CanonicalQuery(request.query) + '\n' +
         canonical_headers + '\n' + names + '\n' + request.payload_hash;
}

std::string Scope(std::string_view amz_date, const Credentials& credentials) {
  return std::string(amz_date.substr(0, 8)) + '/' + credentials.region + '/' + credentials.service +
         "/aws4_request";
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  return "AWS4-HMAC-SHA256\n" + std::string(amz_date) + '\n' + std::string(scope) + '\n' +
         HexSha256(canonical_request);
}

std::string SigningKey(std::string_view secret_key, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string key = HmacSha256("AWS4" + std::string(secret_key), date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  return HmacSha256(key, "aws4_request");
}

std::string Authorization(const Request& request, const Credentials& credentials,
                          std::string_view amz_date) {
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(request, &signed_headers);
  const std::string scope = Scope(amz_date, credentials);
  const std::string key =
      SigningKey(credentials.secret_key, amz_date.substr(0, 8), credentials.region, credentials.service);
  const std::string signature = Hex(HmacSha256(key, StringToSign(amz_date, scope, canonical)));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + '/' + scope +
         ",SignedHeaders=" + signed_headers + ",Signature=" + signature;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 0xf];
  }
  return out;
}

std::string HexSha256(std::string_view data) {
  Sha256 hash;
  hash.Update(data);
  return hash.HexDigest();
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

}  // namespace ms::sigv4
