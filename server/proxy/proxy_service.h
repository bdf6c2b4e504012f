#pragma once
// ProxyService: runs mothership-proxy (proxy/) as the Swarm service
// `mothership-proxy` and keeps its routes current.
// - The image is the Mothership image (server/builder/mothership_image.h),
//   made from the installed files when missing.
// - Two global services, placed on the node that runs the daemon (the one
//   that has routes.json; point the apps' DNS names at it): the edge,
//   `mothership-proxy-edge`, on the host's network, holds http_port and
//   proxy_metrics_port (no ingress mesh here) and hands each connection to the
//   newest worker over a unix socket; the worker, `mothership-proxy`, joins
//   each deployed app's network, APP-net, to reach its web tasks (apps share
//   no network). Joining a network replaces the worker start-first, so no
//   connection is refused meanwhile.
// - Routes: DATA_DIR/proxy/routes.json, bind-mounted read-only into the
//   proxy (with the certificates, DATA_DIR/proxy/certs, and ACME's tokens), rewritten atomically after every change that moves a route
//   (deploy, scale, stop, start, destroy, domains). The proxy reloads it at
//   once through inotify, and keeps serving the last good routes when the
//   daemon is down.
// Thread-safe.

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "server/common/clock.h"
#include "server/common/http_client.h"
#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"
#include "server/store/store.h"

namespace ms {

class ProxyService {
 public:
  // prefix: the installation the image is made from (InstallPrefix()).
  // clock: what waiting for the proxy to serve uses.
  ProxyService(const Settings& settings, DockerClient& docker, Store& store, std::filesystem::path prefix,
               Clock& clock = SystemClock::Get())
      : settings_(settings), docker_(docker), store_(store), prefix_(std::move(prefix)), clock_(clock) {}

  // Writes the routes, then creates the service, or updates it when its image
  // or networks are not what they should be, and waits until it serves.
  Result<void> Ensure(Output& out);
  Result<void> Ensure() {
    NullOutput quiet;
    return Ensure(quiet);
  }
  // At daemon start: routes rewritten; the service brought up to date when it
  // exists or an app has web tasks (a new proxy binary, apps gone meanwhile).
  Result<void> Reconcile();
  // Rewrites routes.json from the store and what runs on Swarm.
  Result<void> WriteRoutes();
  // During a rollout, the app's new web tasks are healthy at these addresses
  // (on its network): the routes say so for 10 s (RouteEntry::tasks), and the
  // proxy sends to them at once instead of after Swarm's DNS.
  void AnnounceTasks(const std::string& app, const std::vector<std::string>& addresses);
  // Until the proxy's worker routes `app` as the routes last written say
  // (server/contracts/proxy_probe.h): to a task when its web tasks run, to a
  // 503 when it is stopped or scaled to 0. After this, the app's URL answers
  // as a deploy or ps:* said. 30 s at most, then an error.
  Result<void> WaitRouted(const std::string& app);
  // Before an app's network goes: the proxy leaves it.
  Result<void> Detach(const std::string& app);
  // Until the proxy has loaded the routes last written (a certificate given
  // or removed): 30 s at most, then an error. A proxy too old to say which
  // routes it has counts as loaded.
  Result<void> WaitLoaded();
  // Whether a proxy answers on http_port now (ACME's challenges need one).
  bool Answering();
  // ACME's http-01 challenges (server/acme/): once this returns, the proxy
  // answers GET /.well-known/acme-challenge/TOKEN on http_port with
  // key_authorization (10 s at most, then an error saying what it answered).
  // Gives up (an error) as soon as `cancelled` says so.
  Result<void> PublishChallenge(const std::string& token, const std::string& key_authorization,
                                const std::function<bool()>& cancelled = nullptr);
  void WithdrawChallenge(const std::string& token);

  // The Mothership image the services run, made when missing; kept for this
  // object's life (the installation does not change under it).
  Result<std::string> EnsureImage(Output& out);

  std::string AppUrl(const std::string& app) const { return settings_.AppUrl(app); }
  std::filesystem::path RoutesFile() const { return settings_.ProxyDir() / "routes.json"; }

 private:
  // The networks the proxy must be on: those of apps with a web service.
  Result<std::vector<std::string>> AppNetworks(const std::string& leaving);
  Result<void> Apply(const std::string& leaving, Output& out);
  // Creates the service, or updates it when its image, arguments or labels
  // differ; true when it did either. Never touches a service of another
  // installation (ownership.h): an error naming proxy_service instead.
  Result<bool> EnsureService(const ServiceSpec& spec, Output& out);
  // An error naming the setting when another installation's proxy on this
  // engine listens on http_port or proxy_metrics_port.
  Result<void> CheckPortsFree();
  // One request to the proxy's probe host (server/contracts/proxy_probe.h)
  // on the public port.
  Result<HttpResponse> Probe(const std::string& path, const std::string& host = "");
  // The routes written so far, and whether a version the proxy says it has
  // loaded came from a write at or after `generation` (it holds everything
  // written up to then: every write is the whole of the routes).
  uint64_t RoutesGeneration();
  bool LoadedSince(const std::string& loaded, uint64_t generation);
  // Until a task with this image and these networks runs and answers.
  Result<void> WaitServing(const std::string& image, const std::string& networks);

  const Settings& settings_;
  DockerClient& docker_;
  Store& store_;
  std::filesystem::path prefix_;
  Clock& clock_;
  std::mutex mu_;  // one change of the service at a time
  std::mutex routes_mu_;
  std::string image_;  // EnsureImage's answer
  std::map<std::string, bool> running_;  // per app, as WriteRoutes last wrote it (routes_mu_)
  std::map<std::string, std::string> challenges_;  // ACME token -> key authorization (routes_mu_)
  struct Announced {
    std::vector<std::string> addresses;
    int64_t until = 0;  // unix seconds
  };
  std::map<std::string, Announced> announced_;  // per app (routes_mu_)
  uint64_t routes_generation_ = 0;  // how many times routes were written (routes_mu_)
  // The version (routes.json's digest) of the routes of each of the last 256
  // writes, to the latest write of that content (routes_mu_).
  std::map<std::string, uint64_t> version_generation_;
};

}  // namespace ms
