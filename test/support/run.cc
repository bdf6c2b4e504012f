#include "test/support/run.h"

#include <stdlib.h>

#include <boost/process.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bp = boost::process;

namespace ms::test {

TempDir::TempDir() {
  std::string pattern = "/tmp/mothership-test-XXXXXX";
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> ReadmeBlock(const std::string& name) {
  std::ifstream in(std::string(MOTHERSHIP_SOURCE_DIR) + "/README.md");
  std::vector<std::string> lines;
  std::string line;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (line.starts_with("<!-- end of " + name)) break;
    if (line.starts_with("<!-- " + name)) {
      in_block = true;
    } else if (in_block && !line.starts_with("```") && !line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

void WriteFile(const std::filesystem::path& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

RunResult Run(const std::vector<std::string>& argv, const RunOptions& options) {
  TempDir io;
  auto in = io.path() / "in", out = io.path() / "out", err = io.path() / "err";
  WriteFile(in, options.stdin_data);
  bp::environment env = boost::this_process::environment();
  for (const auto& [k, v] : options.env) env[k] = v;
  std::string program = argv.at(0);
  if (program.find('/') == std::string::npos) program = bp::search_path(program).string();
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  std::filesystem::path cwd = options.cwd.empty() ? std::filesystem::current_path() : options.cwd;
  RunResult result;
  std::error_code ec;
  bp::child child(program, bp::args(args), env, bp::start_dir(cwd.string()),
                  bp::std_in < in.string(), bp::std_out > out.string(), bp::std_err > err.string(), ec);
  if (ec) {
    result.err = "cannot start " + argv[0] + ": " + ec.message();
    return result;
  }
  child.wait();
  result.exit_code = child.exit_code();
  result.out = ReadFile(out);
  result.err = ReadFile(err);
  return result;
}

}  // namespace ms::test
