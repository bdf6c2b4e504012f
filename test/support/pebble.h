#pragma once
// Pebble, Debian's ACME test server, and pebble-challtestsrv, its DNS (every
// name is 127.0.0.1), on free loopback ports for one test, stopped with it.
// Pebble validates http-01 on the port the test server's proxy serves http on.

#include <filesystem>
#include <memory>
#include <string>

#include "test/support/running.h"

namespace ms::test {

class Pebble {
 public:
  // validity_seconds: of the certificates it issues (0: Pebble's 5 years).
  Pebble(const std::filesystem::path& dir, int http_port, int validity_seconds = 0);
  ~Pebble();

  const std::string& directory() const { return directory_; }  // https://localhost:PORT/dir
  // Pebble's own TLS certificate: trust it to reach the directory.
  const std::filesystem::path& tls_ca() const { return tls_ca_; }
  // The root that issues the certificates, as PEM (for curl --cacert).
  std::string Root();
  // DNS answers SERVFAIL for host (lower case): its http-01 validation fails.
  void BreakDns(const std::string& host);

 private:
  std::filesystem::path dir_;
  std::filesystem::path tls_ca_;
  std::string directory_;
  int management_port_ = 0;
  int dns_management_port_ = 0;
  std::unique_ptr<Running> dns_;
  std::unique_ptr<Running> pebble_;
};

}  // namespace ms::test
