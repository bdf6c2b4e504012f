#pragma once
// A program (git push, ssh) running in the background of an end-to-end test,
// its output collected as it comes, so the test can act at a step of it: kill
// the daemon, start another push, or kill the program itself. Any thread.

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>

namespace ms::test {

class Running {
 public:
  // argv[0] is looked up on PATH; env is added to the test's environment. The
  // program gets a process group of its own (git and the ssh it starts).
  Running(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
          const std::map<std::string, std::string>& env);
  ~Running();
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  bool Saw(const std::string& text);
  // Waits up to 120 s for the program to print text; false when it ended first.
  bool WaitFor(const std::string& text);
  // Waits for the program to end; its exit code.
  int Finish();
  // SIGKILL to its whole process group, as a client that loses its power or
  // its network goes away.
  void Kill();
  std::string output();

 private:
  bool reader_done();

  boost::process::ipstream pipe_;
  boost::process::child child_;
  std::thread reader_;
  std::mutex mu_;
  std::string output_;
  bool ended_ = false;  // the program's output ended
};

}  // namespace ms::test
