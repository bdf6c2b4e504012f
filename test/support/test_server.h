#pragma once
// TestServer: a real mothershipd for end-to-end tests, set up by the real
// `mothershipd setup` in a temporary directory, listening on a free port, with an
// admin key made by ssh-keygen. Ssh() and Git() drive it with the real OpenSSH
// and git clients. The daemon is the mothershipd binary, or the same Daemon in
// this process when the test scripts its deploy step. The destructor stops it.

#include <boost/process.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/config/settings.h"
#include "server/daemon.h"
#include "test/support/run.h"
#include "test/support/scripted_deploy_step.h"

namespace ms {
class DockerClient;
}

namespace ms::test {

struct TestServerOptions {
  // Runs the daemon in this process with a scripted deploy step (scripted_deploy_step.h) the test drives
  // (it must outlive the server) instead of the mothershipd binary.
  DeployScript* deploy_script = nullptr;
  std::function<void(Settings&)> configure = nullptr;  // edits config.yaml after setup
  // Run the real build pipeline (Docker) instead of only recording deploys.
  bool build = false;
  // Puts the data directory on a tmpfs of this many MB (a full-disk test).
  int data_dir_mb = 0;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  // Starts the daemon (on the previous port after a Stop) and waits until it listens.
  void Start();
  // SIGTERM, then waits; returns the daemon's exit status.
  int Stop();
  // SIGKILL, as a crash or a power cut would end it; waits for it to go.
  void Kill();
  // False once the daemon has ended without Stop or Kill; then its exit status
  // and the end of its log go to stderr (as they do from the destructor).
  bool running();

  // Makes an ed25519 key pair; returns the private key path.
  std::filesystem::path NewKey(const std::string& name);
  // Registers a key through keys:add with the admin key.
  void AddKey(const std::string& name, const std::filesystem::path& key, const std::string& role);

  // The proxy's published ports (build servers).
  int http_port() const { return http_port_; }
  int https_port() const { return https_port_; }
  int metrics_port() const { return metrics_port_; }
  // The HTTP API's loopback port.
  int api_port() const { return api_port_; }

  RunResult Ssh(const std::string& command_line, const std::string& stdin_data = "") {
    return SshAs(admin_key_, command_line, stdin_data);
  }
  RunResult SshAs(const std::filesystem::path& key, const std::string& command_line,
                  const std::string& stdin_data = "");
  // Runs git with GIT_SSH_COMMAND set for `key` (the admin key by default).
  RunResult Git(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                const std::filesystem::path& key = {});

  std::string Url(const std::string& path) const;
  std::string SshCommand(const std::filesystem::path& key) const;
  // Makes a repository with `commits` commits on main; returns its path.
  std::filesystem::path MakeRepo(const std::string& name, int commits);
  std::string Head(const std::filesystem::path& repo, const std::string& rev = "HEAD");

  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  // The name of this server's proxy worker service (its edge: NAME-edge).
  std::string proxy_service() const;
  std::filesystem::path admin_key() const { return admin_key_; }
  int port() const { return port_; }
  std::string Log() const { return ReadFile(dir_.path() / "daemon.err"); }

 private:
  void KeepSanitizerReports(ms::DockerClient& docker, const std::string& install_id);
  void ReportUnexpectedExit();

  TestServerOptions options_;
  TempDir dir_;
  std::shared_ptr<void> data_mount_;  // unmounts the data_dir_mb tmpfs (before dir_ goes)
  std::filesystem::path admin_key_;
  int port_ = 0;
  std::unique_ptr<boost::process::child> daemon_;
  bool exit_reported_ = false;
  std::unique_ptr<Daemon> in_process_;  // with deploy_script
  std::thread serving_;
  int http_port_ = 0;
  int https_port_ = 0;
  int metrics_port_ = 0;
  int api_port_ = 0;
};

std::string BinDir();
// A TCP port on loopback nothing listens on now, and no other test process is handed
// while this one runs (outside the kernel's ephemeral range).
int FreePort();

}  // namespace ms::test
