#include "test/support/s3rver.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

namespace fs = std::filesystem;

namespace ms::test {

ms::S3Settings SettingsAt(std::string endpoint) {
  ms::S3Settings s;
  s.endpoint = std::move(endpoint);
  s.bucket = kBucket;
  s.access_key = kAccessKey;
  s.secret_key = kSecretKey;
  return s;
}

void KillThenWait::operator()(Running* r) const {
  r->Kill();
  delete r;
}

S3rver::S3rver(const fs::path& dir, const std::vector<std::string>& extra) : data_(dir / "s3rver") {
  const fs::path s3 = fs::path(MOTHERSHIP_SOURCE_DIR) / "test" / "s3";
  INFO("run `npm ci` in test/s3 first (scripts/test does)");
  REQUIRE(fs::exists(s3 / "node_modules" / "s3rver"));
  fs::create_directories(data_);
  // (The legacy provider has DES, which s3rver's continuation tokens use.)
  std::vector<std::string> argv{"node", "--openssl-legacy-provider", (s3 / "s3rver.js").string(),
                                "--directory", data_.string(), "--access-key", kAccessKey,
                                "--secret-key", kSecretKey, "--bucket", kBucket};
  argv.insert(argv.end(), extra.begin(), extra.end());
  running_.reset(new Running(argv, dir, {}));
  const bool ready = running_->WaitFor("s3rver listening on");  // polls, with a deadline
  const std::string output = running_->output();
  INFO(output);
  REQUIRE(ready);
  std::smatch port;
  REQUIRE(std::regex_search(output, port, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
  port_ = port[1].str();
  endpoint_ = "http://127.0.0.1:" + port_;
}

uintmax_t S3rver::LargestFile() const {
  uintmax_t largest = 0;
  for (const auto& e : fs::recursive_directory_iterator(data_)) {
    if (e.is_regular_file()) largest = std::max(largest, e.file_size());
  }
  return largest;
}

std::vector<std::string> S3rver::Files() const {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(data_)) {
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), data_).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ms::test
