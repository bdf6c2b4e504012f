#pragma once
// Where an app's web tasks are, and connections to them. Each upstream name
// (tasks.APP-web:5000) is resolved through DNS (Docker's, in a container)
// every second while routes name it, and at once when it has no address yet;
// requests are balanced round robin over its addresses. An address that
// refuses connections is ejected for a while. During a rollout the daemon
// names the new tasks (Announce) once they are healthy: requests go to them
// alone until DNS answers with exactly them, or until the announcement ends,
// or while every one of them is ejected. Idle connections to tasks (and
// to the daemon's socket, upstream_socket.h) are kept for reuse for a few
// seconds (less than Node's 5 s keep-alive).

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "proxy/upstream_socket.h"

namespace ms::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class Upstreams {
 public:
  explicit Upstreams(asio::io_context& io) : io_(io), resolver_(io) {}

  // The names routes use now ("host:port"); others are dropped.
  void Follow(const std::vector<std::pair<std::string, uint16_t>>& names);
  // The name's tasks are these until `until` (a followed name). `stamp`
  // names the announcement (routes.json's tasks_until): the same one again,
  // in a later routes file, changes nothing, even once it is over.
  void Announce(const std::string& key, std::vector<tcp::endpoint> addresses, Clock::time_point until,
                int64_t stamp);
  // Resolves every followed name once a second until Stop().
  asio::awaitable<void> RefreshLoop();
  // Called with each answer DNS gives (key "host:port", its addresses): the
  // proxy's first loop resolves for all and hands the answers to the others
  // (loop_group.h), which then look a name up only while it has no address.
  std::function<void(const std::string& key, const std::vector<tcp::endpoint>& addresses)> on_resolved;
  // An answer another loop's lookup got (a followed name; others are ignored).
  void SetAddresses(const std::string& key, std::vector<tcp::endpoint> addresses);
  void Stop() { stopped_ = true; }

  // An address for the name: one not in `tried` and not ejected when there
  // is one, else an ejected one (it may be back), else one tried. nullopt: no
  // task to send to (yet: see Unresolved).
  // key: "host:port".
  std::optional<tcp::endpoint> Pick(const std::string& key, std::span<const tcp::endpoint> tried);
  // The name resolved to at least one address.
  bool HasAddress(const std::string& key) const;
  // How many of the name's addresses are neither in `tried` nor ejected.
  size_t Untried(const std::string& key, std::span<const tcp::endpoint> tried) const;
  // The name has no address and was not looked up in the last 250 ms.
  bool Unresolved(const std::string& key);
  asio::awaitable<void> Resolve(const std::string& host, uint16_t port);
  void Eject(const std::string& key, const tcp::endpoint& address);

  // A kept connection to address, or a closed socket.
  UpstreamSocket TakeIdle(const UpstreamEndpoint& address);
  void PutIdle(const UpstreamEndpoint& address, UpstreamSocket socket);

 private:
  struct Entry {
    std::vector<tcp::endpoint> addresses;  // DNS's answer
    std::vector<tcp::endpoint> announced;  // sorted; see Announce
    Clock::time_point announced_until{};
    int64_t announced_stamp = 0;
    std::map<tcp::endpoint, Clock::time_point> ejected;
    size_t next = 0;
    Clock::time_point resolved_at{};
    bool resolving = false;
  };
  struct Idle {
    UpstreamSocket socket;
    Clock::time_point since;
  };
  static std::string Key(const std::string& host, uint16_t port) { return host + ":" + std::to_string(port); }
  // DNS's answer for the entry: the addresses, the end of an announcement
  // DNS has caught up with, idle connections to tasks gone closed.
  void Apply(Entry& e, std::vector<tcp::endpoint> addresses);
  // The addresses requests go to now: the announced ones, else DNS's.
  static const std::vector<tcp::endpoint>& Current(const Entry& e, Clock::time_point now);

  asio::io_context& io_;
  tcp::resolver resolver_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::pair<std::string, uint16_t>> followed_;
  std::map<UpstreamEndpoint, std::vector<Idle>> idle_;
  bool stopped_ = false;
};

}  // namespace ms::proxy
