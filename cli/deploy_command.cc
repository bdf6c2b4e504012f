// mothership deploy [DIR]: deploys a directory that need not be a git
// repository. Its files (minus what its .gitignore names) are committed to a
// scratch repository outside DIR and force-pushed to the app's deploy branch,
// so the push runs the same pipeline as `git push mothership main`. With
// MOTHERSHIP_TOKEN set, the commit's files go to the HTTP API as a .tar.gz
// instead (cli/api_client.h).

#include <fmt/format.h>
#include <stdlib.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "cli/api_client.h"
#include "cli/cli_commands.h"
#include "cli/target.h"

namespace ms::cli {
namespace {

const char kUsage[] = "usage: mothership deploy [DIR] [-a APP] [-s HOST[:PORT]]   (DIR: . by default)\n";

// The app's deploy branch, or main for an app the push will create.
std::string DeployBranch(const Target& target) {
  auto info = GetAppInfo(target, true);
  return info && !info->deploy_branch.empty() ? info->deploy_branch : "main";
}

}  // namespace

int DeployCommand(const CommandLine& line) {
  if (line.words.size() > 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::filesystem::path dir = line.words.size() == 2 ? line.words[1] : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "mothership deploy: %s is not a directory\n%s", dir.c_str(), kUsage);
    return 2;
  }
  dir = std::filesystem::canonical(dir, ec);
  auto target = FindTarget(line, true);
  if (!target) {
    std::fprintf(stderr, "mothership deploy: %s\n", target.error().message.c_str());
    return 2;
  }
  std::string scratch_template = (std::filesystem::temp_directory_path() / "mothership-deploy-XXXXXX").string();
  if (!mkdtemp(scratch_template.data())) {
    std::perror("mothership deploy: mkdtemp");
    return 1;
  }
  std::filesystem::path scratch = scratch_template;
  std::string git_dir = (scratch / "repo.git").string();
  std::vector<std::string> git = {"git", "-C", dir.string(), "--git-dir=" + git_dir, "--work-tree=" + dir.string()};
  auto with = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = git;
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const bool via_api = ApiFromEnv(target->server).has_value();
  std::string branch = via_api ? "main" : DeployBranch(*target);
  std::string url = RemoteUrl(target->server, target->app);
  if (!via_api) {
    std::printf("Deploying %s to %s (branch %s)\n", dir.c_str(), url.c_str(), branch.c_str());
    std::fflush(stdout);
  }
  int status = RunProgram({"git", "init", "-q", "--bare", git_dir});
  if (status == 0) status = RunProgram(with({"add", "-A"}));
  if (status == 0) {
    status = RunProgram(with({"-c", "user.name=mothership deploy", "-c", "user.email=deploy@mothership.invalid",
                              "commit", "-q", "--allow-empty", "-m",
                              fmt::format("mothership deploy of {} at {}", dir.filename().string(), stamp)}));
  }
  if (auto api = ApiFromEnv(target->server); api && status == 0) {
    // With a token: the same files as a .tar.gz through the HTTP API.
    std::string archive = (scratch / "source.tar.gz").string();
    status = RunProgram(with({"archive", "--format=tar.gz", "-o", archive, "HEAD"}));
    if (status == 0) status = ApiDeploy(*api, target->app, archive);
    std::filesystem::remove_all(scratch, ec);
    return status == 0 ? 0 : 1;
  }
  if (status == 0) status = RunProgram(with({"push", "--force", url, "HEAD:refs/heads/" + branch}));
  std::filesystem::remove_all(scratch, ec);
  return status == 0 ? 0 : 1;
}

}  // namespace ms::cli
