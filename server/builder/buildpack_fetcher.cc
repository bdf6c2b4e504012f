#include "server/builder/buildpack_fetcher.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "server/process/child_process.h"

namespace ms {
namespace {

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
  auto git = FindProgram("git");
  if (!git) {
    run.code = 127;
    run.err = git.error().message;
    return run;
  }
  ChildSpec spec;
  spec.program = *git;
  spec.args = {"-c", "protocol.allow=never", "-c", "protocol." + protocol + ".allow=always",
               "-c", "http.followRedirects=false", "-c", "http.lowSpeedLimit=1000",
               "-c", "http.lowSpeedTime=30", "-c", "advice.detachedHead=false"};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  spec.env_unset = {"GIT_DIR", "GIT_WORK_TREE", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_ASKPASS",
                    "SSH_ASKPASS"};
  spec.env_set = {{"GIT_TERMINAL_PROMPT", "0"}, {"GIT_CONFIG_NOSYSTEM", "1"}, {"GIT_CONFIG_GLOBAL", "/dev/null"}};
  spec.max_file_bytes = max_bytes;
  auto status = RunQuietly(spec, err_file, deadline);
  if (!status) {
    run.code = 127;
    run.err = status.error().message;
    return run;
  }
  if (!*status) {
    run.timed_out = true;
    return run;
  }
  run.too_big = WIFSIGNALED(**status) && WTERMSIG(**status) == SIGXFSZ;
  run.code = ExitCode(**status);
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
