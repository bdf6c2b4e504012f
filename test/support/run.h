#pragma once
// Running real programs (ssh, git, ssh-keygen) from end-to-end tests and
// capturing what they print. Any thread.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ms::test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string Both() const { return out + err; }
};

struct RunOptions {
  std::string stdin_data;
  std::map<std::string, std::string> env;  // added to the test's environment
  std::filesystem::path cwd;
};

// argv[0] is looked up on PATH unless it contains a '/'.
RunResult Run(const std::vector<std::string>& argv, const RunOptions& options = {});

// A fresh directory under /tmp, removed (recursively) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& data);
// The lines of the README between "<!-- NAME" and "<!-- end of NAME", without
// code fences and blank lines (the blocks tests run: walkthrough, api examples).
std::vector<std::string> ReadmeBlock(const std::string& name);

}  // namespace ms::test
