// mothership-proxy: the HTTP proxy in front of every app. It reads its routes
// from a JSON file (routes.h), which the daemon rewrites on every deploy or
// domain change; a change is picked up at once through inotify, and the last
// good routes keep serving when the file is missing or broken.
//
//   mothership-proxy --routes FILE [--listen HOST:PORT] [--https HOST:PORT] [--admin HOST:PORT|off]
//                    [--tls-secret FILE] [--max-body-mb N] [--max-connections N] [--no-access-log]
//                    [--drain-seconds N] [--threads N]
//                    [--edge-socket PATH --public-port N [--public-https-port N] [--ready-file PATH]]
//   mothership-proxy edge --listen HOST:PORT [--https HOST:PORT] [--metrics HOST:PORT] --socket PATH
// Prints "mothership-proxy listening on HOST:PORT (admin HOST:PORT)" once it
// serves. --threads: how many loops serve (loop_group.h; default: one per CPU
// it may run on). With --edge-socket it listens on nothing and takes its connections
// from an edge (edge.h), which holds the public ports.

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include <boost/asio.hpp>

#include "proxy/edge.h"
#include "proxy/loop_group.h"
#include "proxy/server.h"

namespace {

namespace asio = boost::asio;
using ms::proxy::LoopGroup;
using ms::proxy::ProxyConfig;
using ms::proxy::RouteTable;
using ms::proxy::Server;

const char kUsage[] =
    "usage: mothership-proxy --routes FILE [--listen HOST:PORT] [--https HOST:PORT] [--admin HOST:PORT|off]\n"
    "                        [--tls-secret FILE] [--max-body-mb N] [--max-connections N]\n"
    "                        [--max-connections-per-address N] [--header-timeout SECONDS] [--no-access-log]\n"
    "                        [--drain-seconds N] [--threads N]\n"
    "                        [--edge-socket PATH --public-port N [--public-https-port N] [--ready-file PATH]]\n"
    "       mothership-proxy edge --listen HOST:PORT [--https HOST:PORT] [--metrics HOST:PORT] --socket PATH\n";

bool SplitHostPort(const std::string& s, std::string& host, uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = colon == 0 ? "0.0.0.0" : s.substr(0, colon);
  char* end = nullptr;
  long p = std::strtol(s.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 0 || p > 65535) return false;
  port = static_cast<uint16_t>(p);
  return true;
}

// Loads the routes file into the server; false (and the old routes stay) when
// it cannot be read or parsed.
bool LoadRoutes(LoopGroup& loops, const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "mothership-proxy: cannot read %s; keeping the routes it has\n", file.c_str());
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto table = RouteTable::Parse(text.str(), error);
  if (!table) {
    std::fprintf(stderr, "mothership-proxy: %s: %s; keeping the routes it has\n", file.c_str(), error.c_str());
    return false;
  }
  std::fprintf(stderr, "mothership-proxy: %zu routes from %s\n", table->routes().size(), file.c_str());
  loops.SetRoutes(*table);
  return true;
}

// Reloads the routes whenever the file is written or replaced (the daemon
// renames a new file over it).
asio::awaitable<void> WatchRoutes(LoopGroup& loops, std::filesystem::path file) {
  auto executor = co_await asio::this_coro::executor;
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) co_return;
  auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  if (inotify_add_watch(fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0) {
    std::fprintf(stderr, "mothership-proxy: cannot watch %s; routes load only at start\n", dir.c_str());
    ::close(fd);
    co_return;
  }
  asio::posix::stream_descriptor events(executor, fd);
  alignas(inotify_event) char buf[4096];
  std::string name = file.filename().string();
  while (true) {
    auto [ec, n] = co_await events.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    bool ours = false;
    for (size_t at = 0; at < n;) {
      auto* e = reinterpret_cast<inotify_event*>(buf + at);
      if (e->len > 0 && name == e->name) ours = true;
      at += sizeof(inotify_event) + e->len;
    }
    if (ours) LoadRoutes(loops, file);
  }
}

int EdgeMain(int argc, char** argv) {
  std::string listen, https, metrics, socket_path;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mothership-proxy edge: %s needs a value\n%s", arg.c_str(), kUsage);
      return 2;
    }
    std::string value = argv[++i];
    if (arg == "--listen") {
      listen = value;
    } else if (arg == "--https") {
      https = value;
    } else if (arg == "--metrics") {
      metrics = value;
    } else if (arg == "--socket") {
      socket_path = value;
    } else {
      std::fprintf(stderr, "mothership-proxy edge: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  std::string host;
  uint16_t port = 0;
  if (socket_path.empty() || !SplitHostPort(listen, host, port)) {
    std::fprintf(stderr, "mothership-proxy edge: --listen HOST:PORT and --socket PATH are required\n%s", kUsage);
    return 2;
  }
  asio::io_context io(1);
  ms::proxy::Edge edge(io, socket_path);
  try {
    edge.Listen(host, port, 'h');
    // The optional ports: false when one is not HOST:PORT.
    auto also = [&](const std::string& value, char tag, const char* flag) {
      std::string h;
      uint16_t p = 0;
      if (value.empty()) return true;
      if (!SplitHostPort(value, h, p)) {
        std::fprintf(stderr, "mothership-proxy edge: %s takes HOST:PORT\n", flag);
        return false;
      }
      edge.Listen(h, p, tag);
      return true;
    };
    if (!also(metrics, 'm', "--metrics")) return 2;
    // https that cannot listen (its port taken) leaves http serving.
    try {
      if (!also(https, 's', "--https")) return 2;
    } catch (const boost::system::system_error& e) {
      std::fprintf(stderr, "mothership-proxy edge: cannot listen on %s for https: %s; serving http only\n",
                   https.c_str(), e.what());
    }
    edge.Start();
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "mothership-proxy edge: %s\n", e.what());
    return 1;
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  signal(SIGPIPE, SIG_IGN);
  std::printf("mothership-proxy edge listening on %s:%u, workers at %s\n", host.c_str(), edge.port(0),
              socket_path.c_str());
  std::fflush(stdout);
  io.run();
  return 0;
}

// The worker's flags.
struct Options {
  ProxyConfig config;
  std::string edge_socket;
  int public_port = 0;
  int public_https_port = 443;
  std::filesystem::path routes;
  int drain_seconds = 30;
  size_t threads = 0;  // 0: DefaultLoops()
};

// Reads the flags into options; an exit status when the program must stop
// here (--help, a bad flag).
std::optional<int> ParseOptions(int argc, char** argv, Options& options) {
  ProxyConfig& config = options.config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mothership-proxy: %s needs a value\n%s", arg.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--routes") {
      options.routes = value();
    } else if (arg == "--listen") {
      if (!SplitHostPort(value(), config.listen_host, config.listen_port)) {
        std::fprintf(stderr, "mothership-proxy: --listen takes HOST:PORT\n");
        return 2;
      }
    } else if (arg == "--https") {
      uint16_t port = 0;
      if (!SplitHostPort(value(), config.https_host, port)) {
        std::fprintf(stderr, "mothership-proxy: --https takes HOST:PORT\n");
        return 2;
      }
      config.https_port = port;
    } else if (arg == "--tls-secret") {
      std::string file = value();
      std::ifstream in(file, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      if (!in || text.str().size() < 32) {
        std::fprintf(stderr, "mothership-proxy: --tls-secret: %s cannot be read or holds under 32 bytes\n",
                     file.c_str());
        return 2;
      }
      config.tls_secret = text.str();
    } else if (arg == "--admin") {
      std::string v = value();
      if (v == "off") {
        config.admin = false;
      } else if (!SplitHostPort(v, config.admin_host, config.admin_port)) {
        std::fprintf(stderr, "mothership-proxy: --admin takes HOST:PORT or off\n");
        return 2;
      }
    } else if (arg == "--max-body-mb") {
      config.max_body_bytes = std::strtoull(value().c_str(), nullptr, 10) * 1024 * 1024;
    } else if (arg == "--max-connections") {
      config.max_connections = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--max-connections-per-address") {
      config.max_connections_per_address = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--header-timeout") {
      config.header_timeout = std::chrono::seconds(std::max(1, std::atoi(value().c_str())));
    } else if (arg == "--threads") {
      options.threads = static_cast<size_t>(std::max(1, std::atoi(value().c_str())));
    } else if (arg == "--drain-seconds") {
      options.drain_seconds = std::atoi(value().c_str());
    } else if (arg == "--edge-socket") {
      options.edge_socket = value();
    } else if (arg == "--public-port") {
      options.public_port = std::atoi(value().c_str());
    } else if (arg == "--public-https-port") {
      options.public_https_port = std::atoi(value().c_str());
    } else if (arg == "--ready-file") {
      config.ready_file = value();
    } else if (arg == "--no-access-log") {
      config.access_log = false;
    } else {
      std::fprintf(stderr, "mothership-proxy: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (options.routes.empty()) {
    std::fprintf(stderr, "mothership-proxy: --routes FILE is required\n%s", kUsage);
    return 2;
  }
  return std::nullopt;
}

// SIGTERM: stop accepting, let requests in flight finish, stop io when none
// is left or after drain_seconds.
void DrainOnSignal(asio::io_context& io, asio::signal_set& signals, asio::steady_timer& drain_deadline,
                   LoopGroup& server, int drain_seconds) {
  signals.async_wait([&io, &drain_deadline, &server, drain_seconds](boost::system::error_code ec, int) {
    if (ec) return;
    std::fprintf(stderr, "mothership-proxy: draining\n");
    server.Drain();
    drain_deadline.expires_after(std::chrono::seconds(drain_seconds));
    drain_deadline.async_wait([&io](boost::system::error_code) { io.stop(); });
    asio::co_spawn(io, [&io, &server]() -> asio::awaitable<void> {
      asio::steady_timer poll(io);
      while (!server.Drained()) {
        poll.expires_after(std::chrono::milliseconds(50));
        co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      io.stop();
    }, asio::detached);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "edge") return EdgeMain(argc, argv);
  Options options;
  if (auto status = ParseOptions(argc, argv, options)) return *status;
  const ProxyConfig& config = options.config;

  LoopGroup loops(options.threads ? options.threads : ms::proxy::DefaultLoops(), config);
  asio::io_context& io = loops.primary_io();
  Server& server = loops.primary();
  try {
    if (options.edge_socket.empty()) {
      server.Start();
      loops.StartOthers(0);
    } else {
      server.StartFromEdge(options.edge_socket, static_cast<uint16_t>(options.public_port),
                           static_cast<uint16_t>(options.public_https_port));
      loops.StartOthers(static_cast<uint16_t>(options.public_port));
    }
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "mothership-proxy: cannot listen on %s:%u: %s\n", config.listen_host.c_str(),
                 config.listen_port, e.what());
    return 1;
  }
  LoadRoutes(loops, options.routes);
  asio::co_spawn(io, WatchRoutes(loops, options.routes), asio::detached);

  asio::signal_set signals(io, SIGTERM, SIGINT);
  asio::steady_timer drain_deadline(io);
  DrainOnSignal(io, signals, drain_deadline, loops, options.drain_seconds);
  if (!options.edge_socket.empty()) {
    std::printf("mothership-proxy taking connections from the edge at %s", options.edge_socket.c_str());
  } else {
    std::printf("mothership-proxy listening on %s:%u", config.listen_host.c_str(), server.port());
    if (config.https_port) std::printf(" (https %s:%u)", config.https_host.c_str(), server.https_port());
    if (config.admin) std::printf(" (admin %s:%u)", config.admin_host.c_str(), server.admin_port());
  }
  std::printf(" (%zu threads)", loops.size());
  std::printf("\n");
  std::fflush(stdout);
  // The access log's writes to the engine's log pipe must never wait: a busy
  // engine reading slowly stalled every request (access_log.h).
  struct stat out_stat {};
  if (fstat(STDOUT_FILENO, &out_stat) == 0 && S_ISFIFO(out_stat.st_mode)) {
    fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
  }
  signal(SIGPIPE, SIG_IGN);
  loops.Run();
  std::fflush(stdout);
  return 0;
}
