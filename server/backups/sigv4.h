#pragma once
// AWS Signature Version 4 for S3 requests sent with an Authorization header:
// the canonical request, the string to sign, the signing key and the header
// itself, with S3's URI-encoding rules (each path segment encoded once, '/'
// kept; query names and values encoded and sorted). Pure functions of their
// arguments (no clock, no I/O): any thread.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ms::sigv4 {

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region;  // "us-east-1"
  std::string service = "s3";
};

struct Request {
  std::string method;  // "GET"
  std::string path;    // not encoded: "/bucket/backups/a b.pgdump"
  // Not encoded, in any order; a name without a value ("?uploads") has "".
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, names in any case (at least host, x-amz-date and
  // x-amz-content-sha256, whose value is payload_hash).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

// The hex SHA-256 of an empty body.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 percent-encoding as S3 wants it: A-Z a-z 0-9 - . _ ~ stay, every
// other byte is %XX (upper-case hex); '/' stays when keep_slash.
std::string UriEncode(std::string_view text, bool keep_slash);
// The path as it is signed and sent: "/bucket/a b" -> "/bucket/a%20b".
std::string CanonicalUri(std::string_view path);
// "name=value&..." with names and values encoded, sorted by name then value.
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// "20130524T000000Z" (UTC).
std::string AmzDate(std::chrono::system_clock::time_point when);

// The canonical request; signed_headers gets "host;range;x-amz-date..." when given.
std::string CanonicalRequest(const Request& request, std::string* signed_headers = nullptr);
// "20130524/us-east-1/s3/aws4_request" for amz_date "20130524T000000Z".
std::string Scope(std::string_view amz_date, const Credentials& credentials);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// The derived key (32 raw bytes) of one day, region and service.
std::string SigningKey(std::string_view secret_key, std::string_view date, std::string_view region,
                       std::string_view service);
// The value of the Authorization header for request at amz_date (which must be
// the request's x-amz-date header).
std::string Authorization(const Request& request, const Credentials& credentials,
                          std::string_view amz_date);

// Helpers the signing is made of, for the tests and the S3 client.
std::string Hex(std::string_view bytes);
std::string HexSha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);

}  // namespace ms::sigv4
