#pragma once
// Helpers of the tests that build and run apps: a daemon that builds (registry
// localhost:5000), app names unique to a run, sample repositories from
// test/apps, pushes that must succeed, and HTTP from inside a Docker network.

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/process/child.hpp>

#include "server/store/store.h"
#include "test/support/test_server.h"

namespace ms::test {

// configure: more settings (after the registry); data_dir_mb: see TestServerOptions.
TestServer BuildServer(const std::function<void(Settings&)>& configure = nullptr, int data_dir_mb = 0);
// Cache volumes, registry tags and services outlive a test: names are unique per run.
std::string Unique(const std::string& base);
// Copies test/apps/NAME into a new repository with one commit (each call a new one).
std::filesystem::path SampleRepo(TestServer& s, const std::string& name);
// git add -A and git commit -m message in repo; REQUIREs both.
void CommitAll(TestServer& s, const std::filesystem::path& repo, const std::string& message);
// Commits test/apps/hello-node (in repo) answering "GREETING!" by default.
void SetDefaultGreeting(TestServer& s, const std::filesystem::path& repo, const std::string& greeting);
// git push REPO main to APP; REQUIREs success and returns the push's stderr.
// The environment s.Git runs git in (the admin key), for git run otherwise (Running).
std::map<std::string, std::string> GitEnv(TestServer& s);
std::string Push(TestServer& s, const std::filesystem::path& repo, const std::string& app, RunResult* out = nullptr);
// The test server's store, opened beside its daemon (REQUIREs it opens).
std::unique_ptr<Store> OpenStore(TestServer& s);
// text without the newlines and spaces at its end (a command's output).
std::string Trim(std::string text);
// An API token named `name` made over ssh with `key` (tokens:create; REQUIREs it).
std::string MakeToken(TestServer& s, const std::filesystem::path& key, const std::string& name);
// The app answers a body containing text through the proxy within 60 s (CHECKed).
void AnswersWith(TestServer& s, const std::string& app, const std::string& text);
// Runs bash -c script in a throwaway container of the run image on network;
// returns what it printed (stdout and stderr).
std::string RunOnNetwork(const std::string& network, const std::string& script);
// GET path of APP.localhost through the test server's proxy until the answer
// (trimmed) starts with `want` (the app may be restarting), within 90 s; the
// last answer.
std::string ProxyGetUntil(TestServer& s, const std::string& app, const std::string& path, const std::string& want);
// GET / of host:5000 from a container on network ("" when it does not answer).
std::string HttpGet(const std::string& network, const std::string& host);
// Whether HttpGet's answer has text within 15 s (Swarm's DNS names a task
// that a rollout just replaced for a moment after the update completes;
// the proxy does not wait for it: the daemon names the new tasks to it).
bool HttpGetFinds(const std::string& network, const std::string& host, const std::string& text);
// The HTTP status of the registry (localhost:5000) for the manifest of
// image:tag, asked as `docker pull` asks: "200" when it is there, "404" not.
std::string ManifestStatus(const std::string& image, const std::string& tag);

// wrk through the proxy to APP.localhost on keep-alive connections, until
// Finish(), which CHECKs that every request was answered with a 2xx and
// returns wrk's report.
class Load {
 public:
  // timeout_seconds: a request answered later than that counts as failed
  // (wrk's --timeout).
  Load(TestServer& s, const std::string& app, int connections, int timeout_seconds = 2);
  ~Load();
  std::string Finish();

 private:
  std::filesystem::path report_;
  std::unique_ptr<boost::process::child> wrk_;
};

// GETs APP.localhost through the proxy with curl, one request after the
// other (5 s each at most), on a thread of its own until Stop(); counts the
// requests and keeps what did not answer 200 ("no answer" or the status).
class CurlLoad {
 public:
  CurlLoad(const std::string& app, int port);
  ~CurlLoad() { Stop(); }
  void Stop();
  int requests();
  std::vector<std::string> failures();

 private:
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int requests_ = 0;
  std::vector<std::string> failures_;
  std::thread thread_;
};

}  // namespace ms::test
