// The proxy's https port with a real Server on loopback and an OpenSSL
// client: the certificate the client's name picks, X-Forwarded-Proto and
// -Port for the task, refusals (no name, an unknown one, TLS 1.1), session
// tickets that resume on another worker with the same secret (and not with
// another), a certificate replaced while a connection stays open, garbage and
// stalled handshakes cut, a WebSocket tunnel over TLS, and the platform's host
// served by the daemon's unix socket.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "proxy/server.h"
#include "test/support/loopback.h"
#include "test/support/test_certs.h"

namespace {

namespace fs = std::filesystem;
using ms::test::MakeSelfSigned;
using ms::test::TestCert;

// A task that answers every request with its head as the body (the client
// sees what the proxy sent), keeping the connection. listening: a listening
// socket to serve (the daemon's unix one, say); none: one on loopback (port).
struct EchoTask {
  explicit EchoTask(int listening = -1) : fd(listening >= 0 ? listening : ms::test::ListenLoopback(port)) {
    thread = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        std::thread([c] {
          std::string in;
          char buf[4096];
          for (ssize_t n; (n = ::read(c, buf, sizeof buf)) > 0;) {
            in.append(buf, static_cast<size_t>(n));
            for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
              std::string head = in.substr(0, end + 4);
              in.erase(0, end + 4);
              std::string out = fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{}", head.size(), head);
              if (::write(c, out.data(), out.size()) < 0) break;
            }
          }
          ::close(c);
        }).detach();
      }
    });
  }
  ~EchoTask() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
  }
  uint16_t port = 0;
  int fd;
  std::thread thread;
};

// A task that takes a WebSocket upgrade (101) and then echoes every byte
// until the client closes.
struct UpgradeEchoTask {
  UpgradeEchoTask() : fd(ms::test::ListenLoopback(port)) {
    thread = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        std::thread([c] {
          std::string in;
          char buf[16384];
          ssize_t n;
          while (in.find("\r\n\r\n") == std::string::npos && (n = ::read(c, buf, sizeof buf)) > 0) {
            in.append(buf, static_cast<size_t>(n));
          }
          std::string rest = in.substr(std::min(in.size(), in.find("\r\n\r\n") + 4));
          const std::string head =
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" + rest;
          bool ok = ::write(c, head.data(), head.size()) == static_cast<ssize_t>(head.size());
          while (ok && (n = ::read(c, buf, sizeof buf)) > 0) {
            for (ssize_t at = 0; ok && at < n;) {
              ssize_t w = ::write(c, buf + at, static_cast<size_t>(n - at));
              ok = w > 0;
              at += ok ? w : 0;
            }
          }
          ::close(c);
        }).detach();
      }
    });
  }
  ~UpgradeEchoTask() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    thread.join();
  }
  uint16_t port = 0;
  int fd;
  std::thread thread;
};

// One TLS client connection (blocking OpenSSL).
struct TlsClient {
  // sni "": none sent. trust: the PEM of the certificate to trust.
  TlsClient(uint16_t port, const std::string& sni, const std::string& trust, int max_version = 0,
            SSL_SESSION* resume = nullptr, bool verify = true) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (max_version) {
      SSL_CTX_set_max_proto_version(ctx, max_version);
      SSL_CTX_set_min_proto_version(ctx, max_version);
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT@SECLEVEL=0");
    }
    BIO* bio = BIO_new_mem_buf(trust.data(), static_cast<int>(trust.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (ca) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
      X509_free(ca);
    }
    SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    ssl = SSL_new(ctx);
    fd = ms::test::ConnectLoopback(port);
    SSL_set_fd(ssl, fd);
    if (!sni.empty()) {
      SSL_set_tlsext_host_name(ssl, sni.c_str());
      if (verify) SSL_set1_host(ssl, sni.c_str());
    }
    if (resume) SSL_set_session(ssl, resume);
    connected = SSL_connect(ssl) == 1;
    if (!connected) reason = ERR_GET_REASON(ERR_peek_error());
    ERR_clear_error();
  }
  ~TlsClient() {
    // (A session freed without a shutdown is not resumable.)
    if (connected) SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    ::close(fd);
  }
  // One GET; the whole response (its Content-Length body read).
  std::string Get(const std::string& host) {
    std::string request = fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", host);
    if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) return "";
    std::string in;
    char buf[4096];
    while (true) {
      auto end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto at = in.find("Content-Length: ");
        size_t length = at == std::string::npos ? 0 : std::stoul(in.substr(at + 16));
        if (in.size() >= end + 4 + length) return in;
      }
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
    }
  }
  std::string PeerSubject() {
    X509* peer = SSL_get1_peer_certificate(ssl);
    if (!peer) return "";
    char text[256];
    X509_NAME_oneline(X509_get_subject_name(peer), text, sizeof text);
    X509_free(peer);
    return text;
  }
  SSL_CTX* ctx;
  SSL* ssl;
  int fd;
  bool connected = false;
  int reason = 0;  // why the handshake failed: OpenSSL's reason code (SSL_R_...)
};

// The reason a handshake that does not check the server's certificate
// failed: what the server itself refused.
int RefusedFor(uint16_t port, const std::string& sni, int version = 0) {
  TlsClient client(port, sni, "", version, nullptr, /*verify=*/false);
  return client.connected ? 0 : client.reason;
}

struct Proxy {
  // (OpenSSL writes to its sockets with write(): a client gone would end the
  // test program with SIGPIPE, as it would the proxy, which ignores it.)
  explicit Proxy(const std::string& secret, std::chrono::seconds header_timeout = std::chrono::seconds(10)) {
    ::signal(SIGPIPE, SIG_IGN);
    ms::proxy::ProxyConfig config;
    config.header_timeout = header_timeout;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.https_host = "127.0.0.1";
    config.https_port = 0;
    config.admin = false;
    config.access_log = false;
    config.tls_secret = secret;
    server = std::make_unique<ms::proxy::Server>(io, config);
    server->Start();
  }
  // platform_socket: where the platform's host, mothership.test, goes ("": nowhere).
  void Routes(uint16_t task_port, const std::vector<std::pair<std::string, fs::path>>& certs,
              bool redirect_https = false, const std::string& platform_socket = "") {
    std::string list;
    for (const auto& [host, file] : certs) {
      list += fmt::format(R"({}{{"hosts": ["{}"], "file": "{}"}})", list.empty() ? "" : ",", host, file.string());
    }
    std::string platform;
    if (!platform_socket.empty()) {
      platform = fmt::format(R"(, "platform": {{"host": "mothership.test", "socket": "{}"}})", platform_socket);
    }
    std::string error;
    auto routes = ms::proxy::RouteTable::Parse(
        fmt::format(R"({{"domain": "test", "apps": [{{"name": "shop", "upstream": "127.0.0.1:{}", "redirect_https": {}}}],
                        "certs": [{}]{}}})",
                    task_port, redirect_https, list, platform),
        error);
    REQUIRE(routes);
    boost::asio::post(io, [this, r = std::move(*routes)]() mutable { server->SetRoutes(std::move(r)); });
  }
  // (OPENSSL_thread_stop: the thread's random generator, which OpenSSL
  // otherwise frees at the thread's end only if the library's thread-exit
  // hook is set, which LeakSanitizer found not always so in this program.)
  void Run() {
    thread = std::thread([this] {
      io.run();
      OPENSSL_thread_stop();
    });
  }
  ~Proxy() {
    io.stop();
    if (thread.joinable()) thread.join();
  }
  boost::asio::io_context io;
  std::unique_ptr<ms::proxy::Server> server;
  std::thread thread;
};

fs::path WriteBundle(const fs::path& dir, const std::string& name, const TestCert& cert) {
  fs::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << cert.Bundle();
  return path;
}

}  // namespace

TEST_CASE("proxy https: the name picks the certificate - X-Forwarded-Proto https - no name, an unknown name or TLS 1.1 "
          "is refused - tickets resume on a worker with the same secret only",
          "[proxy]") {
  EchoTask task;
  auto dir = fs::temp_directory_path() / fmt::format("ms-tls-test-{}", ::getpid());
  TestCert shop = MakeSelfSigned({"shop.test"});
  TestCert www = MakeSelfSigned({"www.shop.example", "*.shop.example"}, /*rsa=*/true);
  const std::string secret(32, 's');
  Proxy proxy(secret);
  proxy.Routes(task.port, {{"shop.test", WriteBundle(dir, "shop.pem", shop)},
                           {"*.shop.example", WriteBundle(dir, "www.pem", www)}});
  proxy.Run();
  const uint16_t port = proxy.server->https_port();

  SSL_SESSION* session = nullptr;
  {
    TlsClient client(port, "shop.test", shop.cert_pem);
    REQUIRE(client.connected);
    CHECK(client.PeerSubject() == "/CN=shop.test");
    std::string answer = client.Get("shop.test");
    INFO(answer);
    CHECK(answer.starts_with("HTTP/1.1 200 "));
    CHECK(answer.find("X-Forwarded-Proto: https\r\n") != std::string::npos);
    CHECK(answer.find(fmt::format("X-Forwarded-Port: {}\r\n", port)) != std::string::npos);
    // A second request on the same connection.
    CHECK(client.Get("shop.test").starts_with("HTTP/1.1 200 "));
    session = SSL_get1_session(client.ssl);  // (TLS 1.3: the ticket came after the handshake)
    CHECK(SSL_version(client.ssl) == TLS1_3_VERSION);
  }
  {
    TlsClient client(port, "a.shop.example", www.cert_pem);
    REQUIRE(client.connected);
    CHECK(client.PeerSubject() == "/CN=www.shop.example");
    CHECK(client.Get("a.shop.example").find("404") != std::string::npos);  // no app has that host
  }
  // Refused by the server (the client checks nothing): the alert says why.
  CHECK(RefusedFor(port, "") == SSL_R_TLSV1_UNRECOGNIZED_NAME);
  CHECK(RefusedFor(port, "other.test") == SSL_R_TLSV1_UNRECOGNIZED_NAME);
  CHECK(RefusedFor(port, "b.a.shop.example") == SSL_R_TLSV1_UNRECOGNIZED_NAME);  // a wildcard is one label
  CHECK(RefusedFor(port, "shop.test", TLS1_1_VERSION) == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION);
  CHECK(RefusedFor(port, "shop.test") == 0);  // (the same client, a name the server has)
  {
    TlsClient client(port, "shop.test", shop.cert_pem, TLS1_2_VERSION);
    CHECK(client.connected);
  }

  REQUIRE(session);
  {
    TlsClient client(port, "shop.test", shop.cert_pem, 0, session);
    REQUIRE(client.connected);
    CHECK(SSL_session_reused(client.ssl) == 1);
    // A resumed connection gets a new ticket (a TLS 1.3 ticket is for one
    // use: clients such as browsers drop one once used), and the client's
    // next connection resumes with it.
    auto ticket_of = [](SSL_SESSION* session) {
      const unsigned char* bytes = nullptr;
      size_t size = 0;
      SSL_SESSION_get0_ticket(session, &bytes, &size);
      return std::string(reinterpret_cast<const char*>(bytes), size);
    };
    CHECK(client.Get("shop.test").find("HTTP/1.1 200") == 0);
    SSL_SESSION* next = SSL_get1_session(client.ssl);
    for (int i = 0; i < 3; ++i) {
      CHECK(!ticket_of(next).empty());
      CHECK(ticket_of(next) != ticket_of(session));
      TlsClient again(port, "shop.test", shop.cert_pem, 0, next);
      REQUIRE(again.connected);
      CHECK(SSL_session_reused(again.ssl) == 1);
      CHECK(again.Get("shop.test").find("HTTP/1.1 200") == 0);
      SSL_SESSION* newer = SSL_get1_session(again.ssl);
      CHECK(ticket_of(newer) != ticket_of(next));
      SSL_SESSION_free(next);
      next = newer;
    }
    SSL_SESSION_free(next);
  }
  {
    Proxy next(secret);  // the next worker after a hand-over
    next.Routes(task.port, {{"shop.test", dir / "shop.pem"}});
    next.Run();
    TlsClient client(next.server->https_port(), "shop.test", shop.cert_pem, 0, session);
    REQUIRE(client.connected);
    CHECK(SSL_session_reused(client.ssl) == 1);
  }
  {
    Proxy stranger(std::string(32, 'x'));
    stranger.Routes(task.port, {{"shop.test", dir / "shop.pem"}});
    stranger.Run();
    TlsClient client(stranger.server->https_port(), "shop.test", shop.cert_pem, 0, session);
    REQUIRE(client.connected);
    CHECK(SSL_session_reused(client.ssl) == 0);
  }
  SSL_SESSION_free(session);
  fs::remove_all(dir);
}

TEST_CASE("proxy https: a certificate replaced - new connections get the new one, an open one goes on", "[proxy]") {
  EchoTask task;
  auto dir = fs::temp_directory_path() / fmt::format("ms-tls-change-{}", ::getpid());
  TestCert first = MakeSelfSigned({"shop.test"});
  TestCert second = MakeSelfSigned({"shop.test"}, /*rsa=*/true);
  Proxy proxy(std::string(32, 's'));
  proxy.Routes(task.port, {{"shop.test", WriteBundle(dir, "shop.pem", first)}});
  proxy.Run();
  const uint16_t port = proxy.server->https_port();
  TlsClient open(port, "shop.test", first.cert_pem);
  REQUIRE(open.connected);
  CHECK(open.Get("shop.test").starts_with("HTTP/1.1 200 "));

  WriteBundle(dir, "shop.pem.new", second);
  fs::rename(dir / "shop.pem.new", dir / "shop.pem");
  proxy.Routes(task.port, {{"shop.test", dir / "shop.pem"}});
  // The routes are set on the proxy's thread: the new certificate is served
  // once it has run (a few milliseconds; up to 5 s here).
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    TlsClient fresh(port, "shop.test", second.cert_pem);
    served = fresh.connected && fresh.Get("shop.test").starts_with("HTTP/1.1 200 ");
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(served);
  CHECK_FALSE(TlsClient(port, "shop.test", first.cert_pem).connected);  // the old one is not served
  CHECK(open.Get("shop.test").starts_with("HTTP/1.1 200 "));              // the open connection goes on
  fs::remove_all(dir);
}

TEST_CASE("proxy https: garbage and a client that stalls in the handshake are cut - others are served meanwhile",
          "[proxy]") {
  EchoTask task;
  auto dir = fs::temp_directory_path() / fmt::format("ms-tls-garbage-{}", ::getpid());
  TestCert shop = MakeSelfSigned({"shop.test"});
  Proxy proxy(std::string(32, 's'), std::chrono::seconds(1));
  proxy.Routes(task.port, {{"shop.test", WriteBundle(dir, "shop.pem", shop)}});
  proxy.Run();
  const uint16_t port = proxy.server->https_port();

  // Plain HTTP to the https port: no handshake, the connection ends.
  int garbage = ms::test::ConnectLoopback(port);
  const std::string plain = "GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n";
  REQUIRE(::write(garbage, plain.data(), plain.size()) == static_cast<ssize_t>(plain.size()));
  // A client that connects and says nothing.
  int stalled = ms::test::ConnectLoopback(port);

  // Meanwhile others are served.
  TlsClient client(port, "shop.test", shop.cert_pem);
  REQUIRE(client.connected);
  CHECK(client.Get("shop.test").starts_with("HTTP/1.1 200 "));

  // Both are closed by the proxy: a read ends (0 or an error) within the
  // header timeout and the sweep's quarter second (5 s allowed).
  auto ends = [](int fd) {
    timeval five{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    }
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  };
  CHECK(ends(garbage));
  CHECK(ends(stalled));
  ::close(garbage);
  ::close(stalled);
  CHECK(client.Get("shop.test").starts_with("HTTP/1.1 200 "));  // a kept connection goes on
  fs::remove_all(dir);
}

TEST_CASE("proxy https: a WebSocket upgrade over TLS - 4 MB echoed through the tunnel both ways", "[proxy]") {
  UpgradeEchoTask task;
  auto dir = fs::temp_directory_path() / fmt::format("ms-tls-ws-{}", ::getpid());
  TestCert shop = MakeSelfSigned({"shop.test"});
  Proxy proxy(std::string(32, 's'));
  proxy.Routes(task.port, {{"shop.test", WriteBundle(dir, "shop.pem", shop)}});
  proxy.Run();
  TlsClient client(proxy.server->https_port(), "shop.test", shop.cert_pem);
  REQUIRE(client.connected);
  const std::string upgrade =
      "GET /chat HTTP/1.1\r\nHost: shop.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  REQUIRE(SSL_write(client.ssl, upgrade.data(), static_cast<int>(upgrade.size())) > 0);
  std::string in;
  char buf[16384];
  while (in.find("\r\n\r\n") == std::string::npos) {
    int n = SSL_read(client.ssl, buf, sizeof buf);
    REQUIRE(n > 0);
    in.append(buf, static_cast<size_t>(n));
  }
  INFO(in);
  REQUIRE(in.starts_with("HTTP/1.1 101 "));
  std::string echoed = in.substr(in.find("\r\n\r\n") + 4);

  // 4 MB in 16 KB writes, the echo read back whenever it is 64 KB behind,
  // so that no buffer on the way fills up.
  std::string sent;
  for (int i = 0; i < 4 * 1024 * 1024; ++i) sent += static_cast<char>('a' + i % 26);
  // (One SSL object: writes and reads take turns, never both at once.)
  size_t written = 0;
  while (echoed.size() < sent.size()) {
    if (written < sent.size()) {
      int chunk = static_cast<int>(std::min<size_t>(16384, sent.size() - written));
      int w = SSL_write(client.ssl, sent.data() + written, chunk);
      REQUIRE(w > 0);
      written += static_cast<size_t>(w);
    }
    while (echoed.size() + 64 * 1024 < written || (written == sent.size() && echoed.size() < sent.size())) {
      int n = SSL_read(client.ssl, buf, sizeof buf);
      REQUIRE(n > 0);
      echoed.append(buf, static_cast<size_t>(n));
    }
  }
  CHECK(echoed.size() == sent.size());
  CHECK(echoed == sent);
  fs::remove_all(dir);
}

TEST_CASE("proxy https: http:redirect - 301 for GET and HEAD, 308 for others, to the path and query over https - an "
          "absolute-form target keeps only its path", "[proxy]") {
  EchoTask task;
  auto dir = fs::temp_directory_path() / fmt::format("ms-tls-redirect-{}", ::getpid());
  TestCert shop = MakeSelfSigned({"shop.test"});
  Proxy proxy(std::string(32, 's'));
  proxy.Routes(task.port, {{"shop.test", WriteBundle(dir, "shop.pem", shop)}}, /*redirect_https=*/true);
  proxy.Run();
  const std::string https = fmt::format("https://shop.test:{}", proxy.server->https_port());
  // One request over plain http; the answer's head.
  auto ask = [&](const std::string& request_line) {
    int fd = ms::test::ConnectLoopback(proxy.server->port());
    std::string request = request_line + "\r\nHost: shop.test\r\nConnection: close\r\n\r\n";
    REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    std::string in;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) in.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return in;
  };
  // The routes are set on the proxy's thread: wait until they are (5 s at most).
  std::string first;
  for (int i = 0; i < 100 && !first.starts_with("HTTP/1.1 301"); ++i) {
    first = ask("GET /a/b?q=1 HTTP/1.1");
    if (!first.starts_with("HTTP/1.1 301")) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(first);
  CHECK(first.starts_with("HTTP/1.1 301 "));
  CHECK(first.find("\r\nLocation: " + https + "/a/b?q=1\r\n") != std::string::npos);
  auto head = ask("HEAD / HTTP/1.1");
  CHECK(head.starts_with("HTTP/1.1 301 "));
  CHECK(head.ends_with("\r\n\r\n"));  // no body
  auto post = ask("POST /form HTTP/1.1");
  CHECK(post.starts_with("HTTP/1.1 308 "));
  CHECK(post.find("\r\nLocation: " + https + "/form\r\n") != std::string::npos);
  auto absolute = ask("GET http://shop.test/p?x=y HTTP/1.1");
  INFO(absolute);
  CHECK(absolute.find("\r\nLocation: " + https + "/p?x=y\r\n") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("proxy https: the platform's host goes to the daemon's unix socket - X-Forwarded-Proto https - the "
          "connection is kept",
          "[proxy]") {
  auto dir = fs::temp_directory_path() / fmt::format("ms-tls-platform-{}", ::getpid());
  fs::create_directories(dir);
  const std::string socket = (dir / "api.sock").string();
  EchoTask api(ms::test::ListenUnix(socket));
  EchoTask task;
  TestCert platform = MakeSelfSigned({"mothership.test"});
  Proxy proxy(std::string(32, 's'));
  proxy.Routes(task.port, {{"mothership.test", WriteBundle(dir, "platform.pem", platform)}}, false, socket);
  proxy.Run();
  const uint16_t port = proxy.server->https_port();
  TlsClient client(port, "mothership.test", platform.cert_pem);
  REQUIRE(client.connected);
  for (int i = 0; i < 2; ++i) {
    std::string answer = client.Get("mothership.test");
    INFO(answer);
    CHECK(answer.starts_with("HTTP/1.1 200 "));
    CHECK(answer.find("\r\n\r\nGET / HTTP/1.1\r\nHost: mothership.test\r\n") != std::string::npos);
    CHECK(answer.find("X-Forwarded-For: 127.0.0.1\r\n") != std::string::npos);
    CHECK(answer.find("X-Forwarded-Proto: https\r\n") != std::string::npos);
    CHECK(answer.find(fmt::format("X-Forwarded-Port: {}\r\n", port)) != std::string::npos);
  }
  fs::remove_all(dir);
}
