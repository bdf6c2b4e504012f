#include "test/support/pebble.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "test/support/run.h"
#include "test/support/test_certs.h"
#include "test/support/test_server.h"

namespace ms::test {

Pebble::Pebble(const std::filesystem::path& dir, int http_port, int validity_seconds) : dir_(dir / "pebble") {
  std::filesystem::create_directories(dir_);
  auto tls = MakeSelfSigned({"localhost"});
  tls_ca_ = dir_ / "tls-cert.pem";
  std::ofstream(tls_ca_) << tls.cert_pem;
  std::ofstream(dir_ / "tls-key.pem") << tls.key_pem;
  const int port = FreePort();
  management_port_ = FreePort();
  const int dns_port = FreePort();
  dns_management_port_ = FreePort();
  std::ofstream(dir_ / "pebble.json") << fmt::format(
      R"({{"pebble": {{"listenAddress": "127.0.0.1:{}", "managementListenAddress": "127.0.0.1:{}",
  "certificate": "{}", "privateKey": "{}", "httpPort": {}, "tlsPort": {}, "ocspResponderURL": "",
  "externalAccountBindingRequired": false, "certificateValidityPeriod": {}}}}})",
      port, management_port_, tls_ca_.string(), (dir_ / "tls-key.pem").string(), http_port, FreePort(),
      validity_seconds);
  dns_ = std::make_unique<Running>(
      std::vector<std::string>{"pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01",
                               fmt::format("127.0.0.1:{}", dns_port), "-http01", "", "-https01", "", "-tlsalpn01", "",
                               "-management", fmt::format("127.0.0.1:{}", dns_management_port_)},
      dir_, std::map<std::string, std::string>{});
  // Validation without Pebble's random sleep, and a fresh challenge every time.
  pebble_ = std::make_unique<Running>(
      std::vector<std::string>{"pebble", "-config", (dir_ / "pebble.json").string(), "-dnsserver",
                               fmt::format("127.0.0.1:{}", dns_port)},
      dir_, std::map<std::string, std::string>{{"PEBBLE_VA_NOSLEEP", "1"}, {"PEBBLE_AUTHZREUSE", "0"}});
  directory_ = fmt::format("https://localhost:{}/dir", port);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (Run({"curl", "-fsS", "--max-time", "2", "--cacert", tls_ca_.string(), directory_}).exit_code != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("pebble did not answer within 30 s: " + pebble_->output() + dns_->output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Pebble::~Pebble() {
  pebble_->Kill();
  dns_->Kill();
}

std::string Pebble::Root() {
  return Run({"curl", "-fsS", "--max-time", "5", "--cacert", tls_ca_.string(),
              fmt::format("https://localhost:{}/roots/0", management_port_)})
      .out;
}

void Pebble::BreakDns(const std::string& host) {
  auto r = Run({"curl", "-fsS", "--max-time", "5", "-d", fmt::format(R"({{"host": "{}"}})", host),
                fmt::format("http://127.0.0.1:{}/set-servfail", dns_management_port_)});
  if (r.exit_code != 0) throw std::runtime_error("pebble-challtestsrv refused set-servfail: " + r.Both());
}

}  // namespace ms::test
