#pragma once
// S3Client: the objects of one bucket of an S3-compatible store (AWS S3,
// MinIO, Ceph, Garage, ...) over HTTP(S) with libcurl, each request signed
// with AWS Signature Version 4 (server/backups/sigv4.h). Files go to and
// come from disk as streams, never whole in memory; a large file goes up in
// parts (multipart upload). Each call uses its own curl handle and the
// settings never change: any thread may call any method, several at once.
//
// Every failure is a Result error whose message names what failed and the
// setting to change (backups_s3_endpoint, backups_s3_bucket,
// backups_s3_access_key, backups_s3_secret_key, backups_s3_region,
// backups_s3_ca_file), with S3's own error Code and Message when it sent one:
// kUnavailable when the endpoint does not answer or fails (5xx), kNotFound
// for a missing bucket or object, kPermissionDenied for refused keys,
// kInvalidArgument for settings that cannot work, kFailed otherwise.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/backups/s3_xml.h"
#include "server/common/result.h"

namespace ms {

struct S3Settings {
  std::string endpoint;  // "https://s3.example.com" or "http://127.0.0.1:4568"
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  // true: https://endpoint/bucket/key; false: https://bucket.endpoint/key.
  bool path_style = true;
  std::string ca_file;  // https: trust this PEM bundle instead of the system's
  // An endpoint that has not accepted the connection by then does not answer.
  long connect_timeout_seconds = 10;
};

class S3Client {
 public:
  // Files above this go up in parts of kPartSize (more when a file needs
  // more than S3's 10,000 parts).
  static constexpr uint64_t kMultipartThreshold = uint64_t{64} << 20;
  static constexpr uint64_t kPartSize = uint64_t{16} << 20;

  explicit S3Client(S3Settings settings);

  const S3Settings& settings() const { return settings_; }

  // Uploads the file at local_path as key. A multipart upload that fails is
  // aborted (its parts removed); the message says so when even that fails.
  Result<void> PutFile(const std::string& key, const std::filesystem::path& local_path);
  // Downloads key to local_path through a temporary file next to it (mode
  // 0600), renamed over local_path once complete: a failure leaves nothing.
  Result<void> GetFile(const std::string& key, const std::filesystem::path& local_path);
  // The objects whose keys start with prefix, in S3's order (by key), all
  // pages of ListObjectsV2 followed.
  Result<std::vector<S3ObjectInfo>> List(const std::string& prefix);
  // Removes key; a key that does not exist is not an error (S3's rule).
  Result<void> Delete(const std::string& key);
  // Whether the endpoint answers, the bucket exists and the keys are accepted
  // (a listing of one key): on success, a sentence saying so.
  Result<std::string> Check();

 private:
  S3Settings settings_;
  std::optional<Error> invalid_;  // settings that cannot work, said at every call
};

// The error of an S3 answer with HTTP status `status` and body `body` to the
// request that was to `what` ("upload app/a.pgdump"): S3's Code and Message
// from the XML when there is one, turned into the advice above. Pure.
Error S3AnswerError(const S3Settings& settings, std::string_view what, long status, std::string_view body);

}  // namespace ms
