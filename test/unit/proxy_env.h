#pragma once
// A ProxyService on the fake engine, for unit tests (proxy_service_test.cc,
// cert_manager_test.cc): ProbeAnswerer stands in for the proxy on a free port
// of loopback; ProxyEnv holds the settings, a store and the service.

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/common/clock.h"
#include "server/proxy/proxy_service.h"
#include "server/runtime/service_spec.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/test_helpers.h"

namespace ms_test {

// Answers every connection as the proxy answers an unknown host: 404 with a
// request id; a readiness probe (GET /routable/APP) with routable(n), n
// counting probes from 0. Listens on a free port of 127.0.0.1 until destroyed.
class ProbeAnswerer {
 public:
  explicit ProbeAnswerer(std::function<int(int)> routable = [](int) { return 200; })
      : routable_(std::move(routable)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    REQUIRE(listen(fd_, 16) == 0);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) close(c);
          return;
        }
        char buf[4096];
        ssize_t n = read(c, buf, sizeof buf);
        std::string request(buf, n > 0 ? static_cast<size_t>(n) : 0);
        int status = 404;
        if (request.starts_with("GET /routable/")) {
          std::lock_guard lock(mu_);
          probes_.push_back(request);
          status = routable_(static_cast<int>(probes_.size()) - 1);
        }
        std::string answer = fmt::format(
            "HTTP/1.1 {} X\r\nx-request-id: probe\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
        (void)!write(c, answer.data(), answer.size());
        close(c);
      }
    });
  }
  ~ProbeAnswerer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  // The readiness probes received, whole.
  std::vector<std::string> probes() {
    std::lock_guard lock(mu_);
    return probes_;
  }

 private:
  std::function<int(int)> routable_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> probes_;
};

struct ProxyEnv {
  TempDir dir;
  ms::Settings settings;
  std::unique_ptr<ms::Store> store;
  ms::test::FakeDockerClient docker;
  ms::FakeClock clock;
  std::unique_ptr<ms::ProxyService> proxy;

  explicit ProxyEnv(int http_port) {
    settings.data_dir = dir.path() / "data";
    settings.http_port = http_port;
    auto opened = ms::Store::Open(dir.path() / "mothership.db");
    REQUIRE(opened);
    store = std::move(*opened);
    // An installation to make the image from.
    auto prefix = dir.path() / "prefix";
    std::filesystem::create_directories(prefix / "bin");
    std::filesystem::create_directories(prefix / "share" / "mothership");
    std::ofstream(prefix / "share" / "mothership" / "Dockerfile") << "FROM scratch\n";
    for (const char* bin : {"mothershipd", "mothership", "mothership-proxy"}) std::ofstream(prefix / "bin" / bin) << bin;
    proxy = std::make_unique<ms::ProxyService>(settings, docker, *store, prefix, clock);
  }

  // An app with a web service (as a deploy leaves it).
  void WebApp(const std::string& app) {
    REQUIRE(store->CreateApp(app, "root"));
    ms::ServiceSpec web;
    web.name = ms::ServiceName(app, "web");
    web.labels = {{"mothership.app", app},
                  {"mothership.install", settings.InstallId()},
                  {"mothership.process", "web"}};
    docker.AddRunningService(web);
  }

  std::vector<std::string> WorkerNetworks() {
    auto spec = docker.LastSpec(settings.proxy_service);
    std::vector<std::string> out;
    if (spec) {
      for (const auto& n : spec->networks) out.push_back(n.target);
    }
    return out;
  }
};

}  // namespace ms_test
