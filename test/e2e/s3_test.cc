// The S3 client (server/backups/s3_client.h) against a real S3-compatible
// server on loopback: s3rver from npm, through test/s3/s3rver.js, which adds
// the Signature Version 4 check s3rver itself leaves out (a wrong signature
// or payload hash is refused as S3 refuses it) and AbortMultipartUpload.
// Each test starts its own on a port the system picks, its data in the
// test's temporary directory.

#include "server/backups/s3_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>

#include "test/support/run.h"
#include "test/support/running.h"
#include "test/support/s3rver.h"
#include "test/support/test_server.h"

namespace fs = std::filesystem;
using ms::ErrorCode;
using ms::test::Running;
using ms::test::S3rver;
using ms::test::TempDir;
using ms::test::kAccessKey;
using ms::test::kBucket;
using ms::test::kSecretKey;
using ms::test::SettingsAt;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// size bytes that differ from offset to offset and from one seed to another.
void WriteData(const fs::path& path, uint64_t size, uint64_t seed) {
  std::ofstream out(path, std::ios::binary);
  std::string block(kMiB, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (uint64_t done = 0; done < size;) {
    for (size_t i = 0; i < block.size(); i += sizeof x) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::memcpy(&block[i], &x, sizeof x);
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), size - done));
    out.write(block.data(), static_cast<std::streamsize>(n));
    done += n;
  }
  REQUIRE(out.good());
}

bool SameBytes(const fs::path& a, const fs::path& b) {
  if (fs::file_size(a) != fs::file_size(b)) return false;
  std::ifstream x(a, std::ios::binary), y(b, std::ios::binary);
  std::string p(kMiB, '\0'), q(kMiB, '\0');
  while (x && y) {
    x.read(p.data(), static_cast<std::streamsize>(p.size()));
    y.read(q.data(), static_cast<std::streamsize>(q.size()));
    if (x.gcount() != y.gcount() || std::memcmp(p.data(), q.data(), static_cast<size_t>(x.gcount())) != 0) {
      return false;
    }
  }
  return true;
}

// Files a download could have left in dir.
std::vector<std::string> Leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(".download-") != std::string::npos) found.push_back(e.path().string());
  }
  return found;
}

std::string Message(const ms::Result<void>& r) { return r ? "ok" : r.error().message; }
template <class T>
std::string Message(const ms::Result<T>& r) {
  return r ? "ok" : r.error().message;
}

}  // namespace

TEST_CASE("s3: a 20 MB file and a 70 MB one (multipart, 5 parts) go up and come back byte for byte - List "
          "shows them with their sizes - Delete removes them") {
  TempDir dir;
  S3rver s3(dir.path());
  ms::S3Client client(s3.Settings());
  const fs::path small = dir.path() / "small.pgdump", large = dir.path() / "large.pgdump";
  WriteData(small, 20 * kMiB + 123, 1);
  WriteData(large, 70 * kMiB + 7, 2);
  static_assert(70 * kMiB > ms::S3Client::kMultipartThreshold);

  auto check = client.Check();
  INFO(Message(check));
  REQUIRE(check);
  CHECK(*check == "the S3 endpoint " + s3.endpoint() +
                      " answers, the bucket mothership-backups exists and the keys of MOTHERSHIPTEST may list it");

  const std::string small_key = "app/2024-05-01T03:00:00Z.pgdump", large_key = "app/2024-05-02T03:00:00Z.pgdump";
  auto put = client.PutFile(small_key, small);
  INFO(Message(put));
  REQUIRE(put);
  put = client.PutFile(large_key, large);
  INFO(Message(put));
  REQUIRE(put);
  CHECK(s3.LargestFile() == 70 * kMiB + 7);  // the parts (16 MiB) made one object

  auto got = client.GetFile(small_key, dir.path() / "small.back");
  INFO(Message(got));
  REQUIRE(got);
  CHECK(SameBytes(small, dir.path() / "small.back"));
  got = client.GetFile(large_key, dir.path() / "large.back");
  INFO(Message(got));
  REQUIRE(got);
  CHECK(SameBytes(large, dir.path() / "large.back"));
  // Onto an existing file: replaced whole.
  REQUIRE(client.GetFile(large_key, dir.path() / "small.back"));
  CHECK(SameBytes(large, dir.path() / "small.back"));
  CHECK(Leftovers(dir.path()).empty());

  auto listed = client.List("app/");
  INFO(Message(listed));
  REQUIRE(listed);
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].key == small_key);
  CHECK((*listed)[0].size == 20 * kMiB + 123);
  CHECK((*listed)[1].key == large_key);
  CHECK((*listed)[1].size == 70 * kMiB + 7);
  CHECK_FALSE((*listed)[0].last_modified.empty());
  CHECK(client.List("other/")->empty());

  REQUIRE(client.Delete(small_key));
  REQUIRE(client.Delete(large_key));
  CHECK(client.Delete(large_key));  // gone already: not an error, as on S3
  CHECK(client.List("app/")->empty());
  auto gone = client.GetFile(small_key, dir.path() / "gone");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::kNotFound);
  CHECK(gone.error().message == "cannot download " + small_key + ": there is no such object in the bucket "
                                    "mothership-backups at " + s3.endpoint() +
                                    " (NoSuchKey: The specified key does not exist.)");
  CHECK_FALSE(fs::exists(dir.path() / "gone"));
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("s3: virtual-hosted-style requests (the bucket in the host name) put, list, get and delete") {
  TempDir dir;
  S3rver s3(dir.path());
  auto settings = SettingsAt(s3.HostedEndpoint());
  settings.path_style = false;
  ms::S3Client client(settings);
  WriteData(dir.path() / "dump", 3 * kMiB, 4);
  REQUIRE(client.Check());
  const std::string key = "app/a dump & more.pgdump";  // encoded in the path as signed
  auto put = client.PutFile(key, dir.path() / "dump");
  INFO(Message(put));
  REQUIRE(put);
  auto listed = client.List("app/");
  REQUIRE(listed);
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].key == key);
  REQUIRE(client.GetFile(key, dir.path() / "back"));
  CHECK(SameBytes(dir.path() / "dump", dir.path() / "back"));
  REQUIRE(client.Delete(key));
  CHECK(ms::S3Client(s3.Settings()).List("")->empty());  // the same bucket, path-style
}

TEST_CASE("s3: List follows continuation tokens past S3's 1,000 keys a page, and keeps to its prefix") {
  TempDir dir;
  S3rver s3(dir.path());
  ms::S3Client client(s3.Settings());
  ms::test::WriteFile(dir.path() / "one", "1");
  for (int i = 0; i < 1003; ++i) REQUIRE(client.PutFile(fmt::format("many/{:04}", i), dir.path() / "one"));
  REQUIRE(client.PutFile("other/x", dir.path() / "one"));
  auto many = client.List("many/");
  INFO(Message(many));
  REQUIRE(many);
  REQUIRE(many->size() == 1003);
  for (int i = 0; i < 1003; ++i) {
    CHECK((*many)[i].key == fmt::format("many/{:04}", i));
    CHECK((*many)[i].size == 1);
  }
  CHECK(client.List("")->size() == 1004);
}

TEST_CASE("s3: a wrong secret key is refused as SignatureDoesNotMatch - an unknown access key, an unknown bucket "
          "and a missing object are named - a failed download leaves nothing") {
  TempDir dir;
  S3rver s3(dir.path());
  ms::test::WriteFile(dir.path() / "dump", "rows");

  auto wrong = s3.Settings();
  wrong.secret_key = "not-the-secret";
  ms::S3Client wrong_secret(wrong);
  const std::string refused = "the S3 endpoint " + s3.endpoint() +
                              " refused the keys (SignatureDoesNotMatch: The request signature we calculated does "
                              "not match the signature you provided. Check your key and signing method.): check "
                              "backups_s3_secret_key";
  auto check = wrong_secret.Check();
  REQUIRE_FALSE(check);
  CHECK(check.error().code == ErrorCode::kPermissionDenied);
  CHECK(check.error().message == refused);
  auto put = wrong_secret.PutFile("app/x.pgdump", dir.path() / "dump");
  REQUIRE_FALSE(put);
  CHECK(put.error().message == refused);
  ms::S3Client client(s3.Settings());
  CHECK(client.List("")->empty());  // nothing went in

  auto other = s3.Settings();
  other.access_key = "NOBODY";
  auto unknown_key = ms::S3Client(other).Check();
  REQUIRE_FALSE(unknown_key);
  CHECK(unknown_key.error().code == ErrorCode::kPermissionDenied);
  CHECK(unknown_key.error().message.find("does not know the access key NOBODY (InvalidAccessKeyId: ") !=
        std::string::npos);
  CHECK(unknown_key.error().message.ends_with("check backups_s3_access_key"));

  auto nowhere = s3.Settings();
  nowhere.bucket = "no-such-bucket";
  ms::S3Client no_bucket(nowhere);
  const std::string missing = "the bucket no-such-bucket does not exist at " + s3.endpoint() +
                              " (NoSuchBucket: The specified bucket does not exist): create it, or set "
                              "backups_s3_bucket";
  auto missing_check = no_bucket.Check();
  REQUIRE_FALSE(missing_check);
  CHECK(missing_check.error().code == ErrorCode::kNotFound);
  CHECK(missing_check.error().message == missing);
  CHECK(Message(no_bucket.PutFile("app/x.pgdump", dir.path() / "dump")) == missing);
  CHECK(Message(no_bucket.List("app/")) == missing);

  // A download that fails leaves the file it was to replace as it was, and nothing beside it.
  ms::test::WriteFile(dir.path() / "kept", "before");
  auto got = client.GetFile("app/none.pgdump", dir.path() / "kept");
  REQUIRE_FALSE(got);
  CHECK(got.error().code == ErrorCode::kNotFound);
  CHECK(ms::test::ReadFile(dir.path() / "kept") == "before");
  got = no_bucket.GetFile("app/none.pgdump", dir.path() / "absent");
  CHECK(Message(got) == missing);
  CHECK_FALSE(fs::exists(dir.path() / "absent"));
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("s3: a multipart upload whose part fails (after its retries) is aborted - no part stays on the "
          "server - the error names the part") {
  TempDir dir;
  const std::string key = "app/broken.pgdump";
  S3rver s3(dir.path(), {"--fail-part", key});
  ms::S3Client client(s3.Settings());
  const fs::path large = dir.path() / "large.pgdump";
  WriteData(large, 70 * kMiB, 3);
  auto put = client.PutFile(key, large);
  REQUIRE_FALSE(put);
  CHECK(put.error().code == ErrorCode::kUnavailable);
  CHECK(put.error().message == "the S3 endpoint " + s3.endpoint() + " failed to upload part 2 of 5 of " + key +
                                   " (InternalError: We encountered an internal error. Please try again.): try "
                                   "again later");
  CHECK(s3.LargestFile() < kMiB);  // part 1 (16 MiB) went up, and was removed by the abort
  CHECK(client.List("app/")->empty());
}

TEST_CASE("s3: an endpoint that refuses connections, or never accepts them, is Unavailable within its connect "
          "timeout, saying to check backups_s3_endpoint") {
  TempDir dir;
  ms::test::WriteFile(dir.path() / "dump", "rows");
  using Clock = std::chrono::steady_clock;

  const ms::S3Settings closed = SettingsAt(fmt::format("http://127.0.0.1:{}", ms::test::FreePort()));
  ms::S3Client refused(closed);
  auto start = Clock::now();
  auto check = refused.Check();
  REQUIRE_FALSE(check);
  CHECK(check.error().code == ErrorCode::kUnavailable);
  CHECK(check.error().message.starts_with("the S3 endpoint " + closed.endpoint + " does not answer ("));
  CHECK(check.error().message.ends_with("): check backups_s3_endpoint, and that the server is up and reachable "
                                        "from this machine"));
  CHECK(refused.PutFile("app/x.pgdump", dir.path() / "dump").error().code == ErrorCode::kUnavailable);
  CHECK(refused.GetFile("app/x.pgdump", dir.path() / "x").error().code == ErrorCode::kUnavailable);
  CHECK(refused.List("").error().code == ErrorCode::kUnavailable);
  CHECK(Clock::now() - start < std::chrono::seconds(5));  // no retries of a refused connection
  CHECK(Leftovers(dir.path()).empty());

  // A listener whose queue is full: the connection is never accepted.
  int listener = socket(AF_INET, SOCK_STREAM, 0), filler = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener, 0) == 0);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  REQUIRE(connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto silent = closed;
  silent.endpoint = fmt::format("http://127.0.0.1:{}", ntohs(addr.sin_port));
  silent.connect_timeout_seconds = 1;
  start = Clock::now();
  check = ms::S3Client(silent).Check();
  const auto took = Clock::now() - start;
  close(filler);
  close(listener);
  REQUIRE_FALSE(check);
  CHECK(check.error().code == ErrorCode::kUnavailable);
  CHECK(check.error().message.starts_with("the S3 endpoint " + silent.endpoint + " does not answer ("));
  CHECK(took >= std::chrono::milliseconds(900));
  CHECK(took < std::chrono::seconds(5));
}
