// Signature Version 4 against the examples AWS publishes for S3 ("Signature
// Calculations for the Authorization Header: Transferring Payload in a Single
// Chunk"): bucket examplebucket, 2013-05-24 00:00:00 UTC, us-east-1, the
// documentation's example keys. Each example's canonical request, string to
// sign and signature are the documentation's: a wrong byte anywhere in the
// signing fails here.

#include "server/backups/sigv4.h"

#include <catch2/catch.hpp>

#include <chrono>

namespace sigv4 = ms::sigv4;

namespace {

const sigv4::Credentials kExampleKeys{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                      "us-east-1", "s3"};
constexpr std::string_view kDate = "20130524T000000Z";
constexpr std::string_view kHost = "examplebucket.s3.amazonaws.com";

// A request of the examples: host, x-amz-date and the payload's hash signed,
// plus `extra` headers.
sigv4::Request Example(std::string method, std::string path,
                       std::vector<std::pair<std::string, std::string>> query,
                       std::vector<std::pair<std::string, std::string>> extra,
                       std::string payload_hash = std::string(sigv4::kEmptyPayloadHash)) {
  sigv4::Request r{std::move(method), std::move(path), std::move(query), std::move(extra), payload_hash};
  r.headers.emplace_back("Host", std::string(kHost));
  r.headers.emplace_back("x-amz-date", std::string(kDate));
  r.headers.emplace_back("x-amz-content-sha256", payload_hash);
  return r;
}

std::string SignatureOf(const std::string& authorization) {
  auto at = authorization.find("Signature=");
  REQUIRE(at != std::string::npos);
  return authorization.substr(at + 10);
}

}  // namespace

TEST_CASE("sigv4: the GET Object example (a Range header) gives the documented canonical request, string "
          "to sign and signature", "[sigv4]") {
  auto request = Example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}});
  std::string signed_headers;
  const std::string canonical = sigv4::CanonicalRequest(request, &signed_headers);
  CHECK(canonical ==
        "GET\n"
        "/test.txt\n"
        "\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(signed_headers == "host;range;x-amz-content-sha256;x-amz-date");
  const std::string scope = sigv4::Scope(kDate, kExampleKeys);
  CHECK(scope == "20130524/us-east-1/s3/aws4_request");
  CHECK(sigv4::StringToSign(kDate, scope, canonical) ==
        "AWS4-HMAC-SHA256\n"
        "20130524T000000Z\n"
        "20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(sigv4::Authorization(request, kExampleKeys, kDate) ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("sigv4: the PUT Object example - a '$' in the key, a Date and a storage class header, a signed "
          "payload", "[sigv4]") {
  const std::string payload_hash = sigv4::HexSha256("Welcome to Amazon S3.");
  REQUIRE(payload_hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto request = Example("PUT", "/test$file.text", {},
                         {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                         payload_hash);
  std::string signed_headers;
  const std::string canonical = sigv4::CanonicalRequest(request, &signed_headers);
  CHECK(canonical.starts_with("PUT\n/test%24file.text\n\n"));
  CHECK(signed_headers == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  CHECK(sigv4::HexSha256(canonical) == "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  CHECK(SignatureOf(sigv4::Authorization(request, kExampleKeys, kDate)) ==
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("sigv4: the GET Bucket Lifecycle example - a query name without a value", "[sigv4]") {
  auto request = Example("GET", "/", {{"lifecycle", ""}}, {});
  const std::string canonical = sigv4::CanonicalRequest(request);
  CHECK(canonical.starts_with("GET\n/\nlifecycle=\n"));
  CHECK(sigv4::HexSha256(canonical) == "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  CHECK(SignatureOf(sigv4::Authorization(request, kExampleKeys, kDate)) ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST_CASE("sigv4: the GET Bucket (List Objects) example - query parameters given out of order are signed "
          "sorted", "[sigv4]") {
  auto request = Example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {});
  const std::string canonical = sigv4::CanonicalRequest(request);
  CHECK(canonical.starts_with("GET\n/\nmax-keys=2&prefix=J\n"));
  CHECK(sigv4::HexSha256(canonical) == "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  CHECK(SignatureOf(sigv4::Authorization(request, kExampleKeys, kDate)) ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("sigv4: the derived signing key of the documentation's example (20120215, us-east-1, iam) and "
          "HMAC-SHA256's RFC 4231 case 2", "[sigv4]") {
  CHECK(sigv4::Hex(sigv4::SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1",
                                     "iam")) ==
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
  CHECK(sigv4::Hex(sigv4::HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("sigv4: a change of key, secret, region, date, path, query, header or payload changes the "
          "signature", "[sigv4]") {
  const auto base = Example("GET", "/bucket/key", {{"list-type", "2"}}, {});
  const std::string signature = SignatureOf(sigv4::Authorization(base, kExampleKeys, kDate));
  auto differs = [&](const sigv4::Request& r, const sigv4::Credentials& keys, std::string_view date) {
    return SignatureOf(sigv4::Authorization(r, keys, date)) != signature;
  };
  auto keys = kExampleKeys;
  keys.secret_key += "x";
  CHECK(differs(base, keys, kDate));
  keys = kExampleKeys;
  keys.region = "eu-west-1";
  CHECK(differs(base, keys, kDate));
  CHECK(differs(base, kExampleKeys, "20130525T000000Z"));
  auto r = base;
  r.path = "/bucket/kez";
  CHECK(differs(r, kExampleKeys, kDate));
  r = base;
  r.query[0].second = "1";
  CHECK(differs(r, kExampleKeys, kDate));
  r = base;
  r.headers[0].second = "other.example.com";
  CHECK(differs(r, kExampleKeys, kDate));
  r = base;
  r.payload_hash = "UNSIGNED-PAYLOAD";
  CHECK(differs(r, kExampleKeys, kDate));
}

TEST_CASE("sigv4: S3's URI encoding - each path segment once, '/' kept, upper-case hex, query names and "
          "values encoded with '/' and '=' too", "[sigv4]") {
  CHECK(sigv4::UriEncode("AZaz09-._~", false) == "AZaz09-._~");
  CHECK(sigv4::UriEncode("a b+c/=&%", false) == "a%20b%2Bc%2F%3D%26%25");
  CHECK(sigv4::UriEncode("caf\xc3\xa9", false) == "caf%C3%A9");
  CHECK(sigv4::CanonicalUri("/bucket/app/2024-01-01T00:00:00Z.pgdump") ==
        "/bucket/app/2024-01-01T00%3A00%3A00Z.pgdump");
  CHECK(sigv4::CanonicalUri("/bucket/a%20b") == "/bucket/a%2520b");  // encoded once: '%' is data
  CHECK(sigv4::CanonicalUri("/bucket//x/") == "/bucket//x/");
  CHECK(sigv4::CanonicalUri("") == "/");
  CHECK(sigv4::CanonicalQuery({{"prefix", "app/x y"}, {"list-type", "2"}, {"continuation-token", "a+b="}}) ==
        "continuation-token=a%2Bb%3D&list-type=2&prefix=app%2Fx%20y");
  CHECK(sigv4::CanonicalQuery({{"uploads", ""}}) == "uploads=");
  CHECK(sigv4::CanonicalQuery({}).empty());
}

TEST_CASE("sigv4: header names are lower-cased and sorted, values trimmed with inner blanks as one space",
          "[sigv4]") {
  sigv4::Request r{"GET", "/", {}, {{"X-Amz-Meta-B", "  two   words "}, {"Host", "h"}, {"x-amz-meta-a", "1"}}, "x"};
  std::string signed_headers;
  CHECK(sigv4::CanonicalRequest(r, &signed_headers) ==
        "GET\n/\n\nhost:h\nx-amz-meta-a:1\nx-amz-meta-b:two words\n\nhost;x-amz-meta-a;x-amz-meta-b\nx");
}

TEST_CASE("sigv4: AmzDate is the UTC basic format", "[sigv4]") {
  using namespace std::chrono;
  CHECK(sigv4::AmzDate(system_clock::time_point(seconds(1369353600))) == "20130524T000000Z");
  CHECK(sigv4::AmzDate(system_clock::time_point(seconds(1369353600 + 86399))) == "20130524T235959Z");
}
