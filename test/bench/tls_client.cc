// bench_tls_client: one thread of TLS clients against 127.0.0.1:PORT, for
// scripts/bench-tls. The certificate is not checked (a benchmark, not a test).
//   bench_tls_client full HOST PORT SECONDS       new connections, each a full handshake and one GET
//   bench_tls_client resume HOST PORT SECONDS     the same, each resuming the session of the one before
//                                                 (its newest ticket, as browsers do: TLS 1.3 tickets are
//                                                 meant for one use)
//   bench_tls_client keepalive HOST PORT SECONDS  GETs one after another on one connection
//   bench_tls_client idle HOST PORT N             N connections, one GET each, then idle until stdin closes
// Prints "MODE COUNT SECONDS PER_SECOND resumed=R" (idle: "ready N").

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test/support/loopback.h"

namespace {

int Connect(int port) {
  int fd = ms::test::ConnectLoopback(static_cast<uint16_t>(port));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// One GET and its whole answer (a Content-Length body); false on any failure.
bool Get(SSL* ssl, const std::string& request) {
  if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) return false;
  std::string in;
  char buf[4096];
  while (true) {
    auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      auto at = in.find("ontent-Length: ");
      if (at == std::string::npos) at = in.find("ontent-length: ");
      size_t length = at == std::string::npos ? 0 : std::strtoul(in.c_str() + at + 15, nullptr, 10);
      if (in.size() >= end + 4 + length) return in.compare(0, 12, "HTTP/1.1 200") == 0;
    }
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
  }
}

struct Connection {
  int fd = -1;
  SSL* ssl = nullptr;
  bool resumed = false;
  ~Connection() {
    if (ssl) {
      SSL_shutdown(ssl);  // (a session freed without one is not resumable)
      SSL_free(ssl);
    }
    if (fd >= 0) ::close(fd);
  }
};

// Connects and shakes hands (resuming `session` when given); nullptr on failure.
bool Open(Connection& c, SSL_CTX* ctx, const char* host, int port, SSL_SESSION* session) {
  c.fd = Connect(port);
  c.ssl = SSL_new(ctx);
  SSL_set_fd(c.ssl, c.fd);
  SSL_set_tlsext_host_name(c.ssl, host);
  if (session) SSL_set_session(c.ssl, session);
  if (SSL_connect(c.ssl) != 1) {
    ERR_print_errors_fp(stderr);
    return false;
  }
  c.resumed = SSL_session_reused(c.ssl) == 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: bench_tls_client full|resume|keepalive|idle HOST PORT SECONDS|N\n");
    return 2;
  }
  const std::string mode = argv[1];
  const char* host = argv[2];
  const int port = std::atoi(argv[3]);
  const int amount = std::atoi(argv[4]);
  const std::string request = std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n";
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);

  if (mode == "idle") {
    std::vector<Connection> open(static_cast<size_t>(amount));
    for (auto& c : open) {
      if (!Open(c, ctx, host, port, nullptr) || !Get(c.ssl, request)) return 1;
    }
    std::printf("ready %d\n", amount);
    std::fflush(stdout);
    char byte;
    while (::read(0, &byte, 1) > 0) {
    }
    return 0;
  }

  using Clock = std::chrono::steady_clock;
  SSL_SESSION* session = nullptr;
  if (mode == "resume") {
    // A session to resume: TLS 1.3 sends its ticket after the handshake,
    // so after an answer has been read.
    Connection first;
    if (!Open(first, ctx, host, port, nullptr) || !Get(first.ssl, request)) return 1;
    session = SSL_get1_session(first.ssl);
  }
  long count = 0, resumed = 0, failed = 0;
  const auto start = Clock::now(), end = start + std::chrono::seconds(amount);
  if (mode == "keepalive") {
    Connection c;
    if (!Open(c, ctx, host, port, nullptr)) return 1;
    while (Clock::now() < end) {
      if (!Get(c.ssl, request)) return 1;
      ++count;
    }
  } else if (mode == "full" || mode == "resume") {
    while (Clock::now() < end) {
      Connection c;
      if (!Open(c, ctx, host, port, session) || !Get(c.ssl, request)) {
        ++failed;
        continue;
      }
      ++count;
      resumed += c.resumed;
      if (session) {
        SSL_SESSION_free(session);
        session = SSL_get1_session(c.ssl);
      }
    }
  } else {
    std::fprintf(stderr, "bench_tls_client: unknown mode %s\n", mode.c_str());
    return 2;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s %ld %.2f %.0f resumed=%ld failed=%ld\n", mode.c_str(), count, seconds, count / seconds, resumed,
              failed);
  if (session) SSL_SESSION_free(session);
  SSL_CTX_free(ctx);
  return 0;
}
