#include "test/support/running.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>

#include <boost/process/extend.hpp>

namespace bp = boost::process;

namespace ms::test {

using Clock = std::chrono::steady_clock;

Running::Running(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                 const std::map<std::string, std::string>& env) {
  bp::environment e = boost::this_process::environment();
  for (const auto& [k, v] : env) e[k] = v;
  child_ = bp::child(bp::search_path(argv[0]), bp::args(std::vector<std::string>(argv.begin() + 1, argv.end())),
                     bp::start_dir = cwd.string(), e, (bp::std_out & bp::std_err) > pipe_, bp::std_in < bp::null,
                     bp::extend::on_exec_setup = [](auto&) { ::setpgid(0, 0); });
  reader_ = std::thread([this] {
    std::string line;
    while (std::getline(pipe_, line)) {
      std::lock_guard lock(mu_);
      output_ += line + "\n";
    }
    std::lock_guard lock(mu_);
    ended_ = true;
  });
}

Running::~Running() { Finish(); }

bool Running::Saw(const std::string& text) {
  std::lock_guard lock(mu_);
  return output_.find(text) != std::string::npos;
}

bool Running::WaitFor(const std::string& text) {
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    if (Saw(text)) return true;
    if (!child_.running() && reader_done()) return Saw(text);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

int Running::Finish() {
  if (reader_.joinable()) {
    child_.wait();
    reader_.join();
  }
  return child_.exit_code();
}

void Running::Kill() { ::kill(-child_.id(), SIGKILL); }

std::string Running::output() {
  std::lock_guard lock(mu_);
  return output_;
}

bool Running::reader_done() {
  std::lock_guard lock(mu_);
  return ended_;
}

}  // namespace ms::test
