#pragma once
// An S3-compatible server on loopback for tests: s3rver from npm, through
// test/s3/s3rver.js, which adds the Signature Version 4 check s3rver leaves
// out and AbortMultipartUpload. Each one on a port the system picks, its data
// in the test's directory; killed (and waited for) with the object.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "server/backups/s3_client.h"
#include "test/support/running.h"

namespace ms::test {

inline constexpr char kBucket[] = "mothership-backups";
inline constexpr char kAccessKey[] = "MOTHERSHIPTEST";
inline constexpr char kSecretKey[] = "mothership-test-secret";

// The settings of the test's bucket and keys at endpoint.
ms::S3Settings SettingsAt(std::string endpoint);

// Ends the program (and waits for it) however the test ends.
struct KillThenWait {
  void operator()(Running* r) const;
};

class S3rver {
 public:
  // REQUIREs that it starts (test/s3's npm packages installed: scripts/test does).
  explicit S3rver(const std::filesystem::path& dir, const std::vector<std::string>& extra = {});

  ms::S3Settings Settings() const { return SettingsAt(endpoint_); }
  const std::string& endpoint() const { return endpoint_; }
  // For virtual-hosted-style requests: BUCKET.s3.localhost (curl takes *.localhost to be loopback).
  std::string HostedEndpoint() const { return "http://s3.localhost:" + port_; }
  // The largest file the server keeps on its disk.
  uintmax_t LargestFile() const;
  // The files it keeps, each a path under its data directory.
  std::vector<std::string> Files() const;

 private:
  std::filesystem::path data_;
  std::string port_;
  std::string endpoint_;
  std::unique_ptr<Running, KillThenWait> running_;
};

}  // namespace ms::test
