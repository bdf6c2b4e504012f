// The S3 client's messages for answers s3rver never gives (test/e2e/s3_test.cc
// has the ones it does), and settings that cannot work, refused before any
// request.

#include "server/backups/s3_client.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using ms::ErrorCode;
using ms_test::Contains;

namespace {

ms::S3Settings Settings() {
  ms::S3Settings s;
  s.endpoint = "https://s3.example.com";
  s.bucket = "mothership-backups";
  s.access_key = "AKIDEXAMPLE";
  s.secret_key = "secret";
  return s;
}

ms::Error Answer(long status, std::string_view body, std::string_view what = "upload app/a.pgdump") {
  return ms::S3AnswerError(Settings(), what, status, body);
}

std::string ErrorXml(std::string_view code, std::string_view message, std::string_view extra = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + std::string(code) + "</Code><Message>" +
         std::string(message) + "</Message>" + std::string(extra) + "<RequestId>4442587FB7D0A2F9</RequestId></Error>";
}

}  // namespace

TEST_CASE("s3 client: S3's error codes become messages that name the fix, with S3's Code and Message", "[s3]") {
  auto denied = Answer(403, ErrorXml("AccessDenied", "Access Denied"));
  CHECK(denied.code == ErrorCode::kPermissionDenied);
  CHECK(denied.message == "the keys of AKIDEXAMPLE may not upload app/a.pgdump in the bucket mothership-backups at "
                          "https://s3.example.com (AccessDenied: Access Denied): allow it in the bucket's policy, or "
                          "check backups_s3_access_key and backups_s3_secret_key");

  auto region = Answer(400, ErrorXml("AuthorizationHeaderMalformed",
                                     "The authorization header is malformed; the region 'us-east-1' is wrong; "
                                     "expecting 'eu-west-1'",
                                     "<Region>eu-west-1</Region>"));
  CHECK(region.code == ErrorCode::kInvalidArgument);
  CHECK(Contains(region.message, "the bucket mothership-backups is not served from region us-east-1 at "));
  CHECK(region.message.ends_with("expecting 'eu-west-1'): set backups_s3_region to eu-west-1"));

  auto moved = Answer(301, ErrorXml("PermanentRedirect", "The bucket you are attempting to access must be addressed "
                                    "using the specified endpoint.",
                                    "<Endpoint>mothership-backups.s3.eu-west-1.amazonaws.com</Endpoint>"));
  CHECK(moved.code == ErrorCode::kInvalidArgument);
  CHECK(moved.message.ends_with("check backups_s3_region, and backups_s3_endpoint to the endpoint it names"));

  auto skew = Answer(403, ErrorXml("RequestTimeTooSkewed", "The difference between the request time and the "
                                   "current time is too large."));
  CHECK(skew.code == ErrorCode::kFailed);
  CHECK(Contains(skew.message, "differ by more than 15 minutes (RequestTimeTooSkewed: "));
  CHECK(skew.message.ends_with("set this machine's clock (NTP)"));

  auto slow = Answer(503, ErrorXml("SlowDown", "Please reduce your request rate."));
  CHECK(slow.code == ErrorCode::kUnavailable);
  CHECK(slow.message == "the S3 endpoint https://s3.example.com failed to upload app/a.pgdump (SlowDown: Please "
                        "reduce your request rate.): try again later");

  auto mismatch = Answer(400, ErrorXml("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header "
                                       "does not match what was computed."));
  CHECK(mismatch.code == ErrorCode::kFailed);
  CHECK(Contains(mismatch.message, "received other bytes than were sent to upload app/a.pgdump"));

  auto name = Answer(400, ErrorXml("InvalidBucketName", "The specified bucket is not valid."));
  CHECK(name.code == ErrorCode::kInvalidArgument);
  CHECK(name.message.ends_with("check backups_s3_bucket"));

  auto other = Answer(400, ErrorXml("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"));
  CHECK(other.code == ErrorCode::kFailed);
  CHECK(other.message == "the S3 endpoint https://s3.example.com refused to upload app/a.pgdump (EntityTooLarge: "
                         "Your proposed upload exceeds the maximum allowed size)");
}

TEST_CASE("s3 client: an answer without S3's XML says its HTTP status and a clean excerpt of its body", "[s3]") {
  auto gateway = Answer(502, "<html>\r\n<body>\x1b[31mBad Gateway</body></html>");
  CHECK(gateway.code == ErrorCode::kUnavailable);
  CHECK(gateway.message == "the S3 endpoint https://s3.example.com failed to upload app/a.pgdump (HTTP 502: "
                           "<html> <body>[31mBad Gateway</body></html>): try again later");
  auto head = Answer(403, "");
  CHECK(head.code == ErrorCode::kPermissionDenied);
  CHECK(Contains(head.message, "(HTTP 403)"));
  auto listing = Answer(404, "", "list the bucket mothership-backups at https://s3.example.com");
  CHECK(listing.code == ErrorCode::kNotFound);
  CHECK(listing.message == "the bucket mothership-backups does not exist at https://s3.example.com (HTTP 404): "
                           "create it, or set backups_s3_bucket");
  auto huge = Answer(500, std::string(100000, 'x'));
  CHECK(huge.message.size() < 400);
}

TEST_CASE("s3 client: settings that cannot work are refused by every call, before any request", "[s3]") {
  auto check = [](ms::S3Settings s, std::string_view expected) {
    ms::S3Client client(std::move(s));
    auto r = client.Check();
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, expected));
    CHECK(client.List("").error().message == r.error().message);
    CHECK(client.Delete("k").error().message == r.error().message);
    CHECK(client.PutFile("k", "/nonexistent").error().message == r.error().message);
    CHECK(client.GetFile("k", "/nonexistent/k").error().message == r.error().message);
  };
  auto s = Settings();
  s.endpoint = "s3.example.com";
  check(s, "is not an http:// or https:// URL: set backups_s3_endpoint");
  s.endpoint = "https://";
  check(s, "is not a URL of a host: set backups_s3_endpoint");
  s.endpoint = "https://user@s3.example.com";
  check(s, "is not a URL of a host");
  s = Settings();
  s.bucket = "";
  check(s, "no S3 bucket is set: set backups_s3_bucket");
  s = Settings();
  s.secret_key = "";
  check(s, "set backups_s3_access_key and backups_s3_secret_key");
}

TEST_CASE("s3 client: keys of 1 to 1024 bytes - a local file that is missing or not a file is named", "[s3]") {
  ms::S3Client client(Settings());
  CHECK(client.Delete("").error().code == ErrorCode::kInvalidArgument);
  CHECK(client.Delete(std::string(1025, 'k')).error().code == ErrorCode::kInvalidArgument);
  auto missing = client.PutFile("k", "/nonexistent/dump");
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "cannot read /nonexistent/dump: No such file or directory");
  auto directory = client.PutFile("k", "/tmp");
  CHECK(directory.error().code == ErrorCode::kInvalidArgument);
  CHECK(directory.error().message == "/tmp is not a regular file: only files go to S3");
  auto nowhere = client.GetFile("k", "/nonexistent/dump");
  CHECK(nowhere.error().code == ErrorCode::kFailed);
  CHECK(Contains(nowhere.error().message, "cannot create a file next to /nonexistent/dump: "));
}
