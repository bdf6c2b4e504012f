#include "server/builder/buildpack_fetcher.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

namespace ms {
namespace {

namespace bp = boost::process;

struct GitRun {
  bool timed_out = false;
  bool too_big = false;  // a file over the cap (SIGXFSZ)
  int code = 0;
  std::string err;
};

// git with the user's and the system's configuration left out, no prompts,
// only the protocol the source needs, no redirects, a transfer slower than
// 1 KB/s for 30 s given up, files capped at max_bytes, until deadline.
GitRun RunGit(const std::vector<std::string>& args, const std::string& protocol, int64_t max_bytes,
              std::chrono::steady_clock::time_point deadline, const std::filesystem::path& err_file) {
  GitRun run;
  auto git = bp::search_path("git");
  if (git.empty()) {
    run.code = 127;
    run.err = "git is not installed on the server";
    return run;
  }
  std::vector<std::string> all = {"-c", "protocol.allow=never", "-c", "protocol." + protocol + ".allow=always",
                                  "-c", "http.followRedirects=false", "-c", "http.lowSpeedLimit=1000",
                                  "-c", "http.lowSpeedTime=30", "-c", "advice.detachedHead=false"};
  all.insert(all.end(), args.begin(), args.end());
  bp::environment env = boost::this_process::environment();
  for (const char* name : {"GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_ASKPASS",
                           "SSH_ASKPASS"}) {
    env.erase(name);
  }
  env["GIT_TERMINAL_PROMPT"] = "0";
  env["GIT_CONFIG_NOSYSTEM"] = "1";
  env["GIT_CONFIG_GLOBAL"] = "/dev/null";
  std::error_code ec;
  bp::detail::limit_handles_ only_std;  // one per start: the shared bp::limit_handles is not thread-safe (child_process.cc)
  bp::child child(git, bp::args(all), env, bp::std_in < bp::null, bp::std_out > bp::null,
                  bp::std_err > err_file.string(), only_std,
                  bp::extend::on_exec_setup =
                      [max_bytes](auto&) {
                        rlimit cap{static_cast<rlim_t>(max_bytes), static_cast<rlim_t>(max_bytes)};
                        setrlimit(RLIMIT_FSIZE, &cap);
                        signal(SIGXFSZ, SIG_DFL);
                      },
                  ec);
  if (ec) {
    run.code = 127;
    run.err = ec.message();
    return run;
  }
  if (!child.wait_until(deadline, ec)) {
    child.terminate(ec);
    run.timed_out = true;
    return run;
  }
  int status = child.native_exit_code();
  run.too_big = WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ;
  run.code = child.exit_code();
  std::ifstream in(err_file);
  std::stringstream text;
  text << in.rdbuf();
  run.err = text.str();
  while (!run.err.empty() && (run.err.back() == '\n' || run.err.back() == ' ')) run.err.pop_back();
  if (auto nl = run.err.rfind('\n'); nl != std::string::npos) run.err = run.err.substr(nl + 1);  // git's last word
  return run;
}

int64_t TreeBytes(const std::filesystem::path& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != decltype(it)(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

}  // namespace

std::mutex& BuildpackFetcher::LockFor(const std::string& key) {
  std::lock_guard lock(locks_mu_);
  auto& m = locks_[key];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

Result<std::filesystem::path> BuildpackFetcher::Fetch(const BuildpackSource& source, bool* fresh) {
  if (fresh) *fresh = false;
  if (source.kind == BuildpackKind::kBundled) return InvalidArgument("a bundled buildpack is not fetched");
  const bool remote = source.kind == BuildpackKind::kRemote;
  const std::string location = remote ? source.url : source.path.string();
  const std::string key = location + "#" + source.ref;
  auto dir = cache_dir_ / fmt::format("{:016x}", std::hash<std::string>{}(key));

  std::lock_guard lock(LockFor(key));
  std::error_code ec;
  if (std::filesystem::exists(dir / ".mothership-fetched", ec)) return dir;

  std::filesystem::create_directories(cache_dir_, ec);
  auto tmp = cache_dir_ / fmt::format("tmp-{}-{:016x}", getpid(), std::hash<std::string>{}(key));
  std::filesystem::remove_all(tmp, ec);
  auto err_file = cache_dir_ / (tmp.filename().string() + ".err");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limits_.timeout_seconds);
  const std::string protocol = remote ? "https" : "file";
  auto failed = [&](const std::string& what, const GitRun& run) -> Result<std::filesystem::path> {
    std::filesystem::remove_all(tmp, ec);
    std::filesystem::remove(err_file, ec);
    if (run.timed_out) {
      return Failed(fmt::format("fetching buildpack {} took longer than {} s (buildpack_fetch_timeout_seconds)",
                                location, limits_.timeout_seconds));
    }
    if (run.too_big) {
      return Failed(fmt::format("buildpack {} is bigger than {} MB (buildpack_max_mb)", location,
                                limits_.max_bytes >> 20));
    }
    return Failed(fmt::format("{}: {}", what, run.err.empty() ? "git failed" : run.err));
  };

  GitRun clone = RunGit({"clone", "--quiet", "--no-checkout", "--", location, tmp.string()}, protocol,
                        limits_.max_bytes, deadline, err_file);
  if (clone.timed_out || clone.too_big || clone.code != 0) {
    return failed(fmt::format("cannot fetch buildpack {}", location), clone);
  }
  GitRun checkout;
  for (const std::string& rev : source.ref.empty() ? std::vector<std::string>{"HEAD"}
                                                   : std::vector<std::string>{"origin/" + source.ref, source.ref}) {
    checkout = RunGit({"-C", tmp.string(), "checkout", "--quiet", "--detach", rev, "--"}, protocol,
                      limits_.max_bytes, deadline, err_file);
    if (checkout.code == 0 || checkout.timed_out || checkout.too_big) break;
  }
  if (checkout.timed_out || checkout.too_big) return failed("", checkout);
  if (checkout.code != 0) {
    std::filesystem::remove_all(tmp, ec);
    std::filesystem::remove(err_file, ec);
    return NotFound(fmt::format("buildpack {} has no branch, tag or commit '{}'", location, source.ref));
  }
  std::filesystem::remove(err_file, ec);
  std::filesystem::remove_all(tmp / ".git", ec);
  if (TreeBytes(tmp) > limits_.max_bytes) {
    std::filesystem::remove_all(tmp, ec);
    return Failed(fmt::format("buildpack {} is bigger than {} MB (buildpack_max_mb)", location, limits_.max_bytes >> 20));
  }
  std::filesystem::remove_all(dir, ec);
  std::filesystem::rename(tmp, dir, ec);
  if (ec) return Failed(fmt::format("cannot store buildpack {}: {}", location, ec.message()));
  std::ofstream(dir / ".mothership-fetched").flush();
  if (fresh) *fresh = true;
  return dir;
}

}  // namespace ms
