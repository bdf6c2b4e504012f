#include "proxy/upstreams.h"

#include <sys/socket.h>

#include <algorithm>
#include <set>

namespace ms::proxy {
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr auto kEjectFor = std::chrono::seconds(5);
constexpr auto kKeepIdle = std::chrono::seconds(4);
constexpr size_t kMaxIdlePerAddress = 256;

}  // namespace

void Upstreams::Follow(const std::vector<std::pair<std::string, uint16_t>>& names) {
  std::map<std::string, std::pair<std::string, uint16_t>> followed;
  for (const auto& [host, port] : names) followed[Key(host, port)] = {host, port};
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = followed.count(it->first) ? std::next(it) : entries_.erase(it);
  }
  followed_ = std::move(followed);
}

void Upstreams::Announce(const std::string& key, std::vector<tcp::endpoint> addresses, Clock::time_point until,
                         int64_t stamp) {
  if (!followed_.contains(key)) return;
  std::sort(addresses.begin(), addresses.end());
  Entry& e = entries_[key];
  if (addresses == e.announced && stamp == e.announced_stamp) return;
  e.announced = std::move(addresses);
  e.announced_until = until;
  e.announced_stamp = stamp;
  for (const auto& a : e.announced) e.ejected.erase(a);
}

const std::vector<tcp::endpoint>& Upstreams::Current(const Entry& e, Clock::time_point now) {
  if (e.announced.empty() || now >= e.announced_until) return e.addresses;
  for (const auto& a : e.announced) {
    auto ejected = e.ejected.find(a);
    if (ejected == e.ejected.end() || ejected->second <= now) return e.announced;
  }
  return e.addresses;  // none of them takes connections
}

asio::awaitable<void> Upstreams::Resolve(const std::string& host, uint16_t port) {
  std::string key = Key(host, port);
  if (entries_[key].resolving) {
    // A lookup of this name is under way (the refresh loop's, or another
    // request's): its answer is this one's. A request that came before the
    // first answer would otherwise get a 503 for an app that runs.
    asio::steady_timer wait(io_);
    for (auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until;) {
      auto it = entries_.find(key);
      if (it == entries_.end() || !it->second.resolving) break;
      wait.expires_after(std::chrono::milliseconds(20));
      co_await wait.async_wait(kNoThrow);
    }
    co_return;
  }
  entries_[key].resolving = true;
  auto [ec, results] = co_await resolver_.async_resolve(tcp::v4(), host, std::to_string(port),
                                                        tcp::resolver::numeric_service, kNoThrow);
  auto it = entries_.find(key);
  if (it == entries_.end()) co_return;  // no longer followed
  Entry& e = it->second;
  e.resolving = false;
  e.resolved_at = Clock::now();
  std::vector<tcp::endpoint> addresses;
  if (!ec) {
    for (const auto& r : results) addresses.push_back(r.endpoint());
  }
  // A name that no longer resolves (a failed lookup is not "no tasks") keeps
  // its last addresses; an answer with none empties it.
  if (ec && ec != asio::error::host_not_found) co_return;
  Apply(e, std::move(addresses));
  if (on_resolved) on_resolved(key, e.addresses);
}

void Upstreams::SetAddresses(const std::string& key, std::vector<tcp::endpoint> addresses) {
  if (!followed_.contains(key)) return;
  Entry& e = entries_[key];
  e.resolved_at = Clock::now();
  Apply(e, std::move(addresses));
}

void Upstreams::Apply(Entry& e, std::vector<tcp::endpoint> addresses) {
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  e.addresses = std::move(addresses);
  // DNS has caught up with the announcement: it is over.
  if (!e.announced.empty() && e.addresses == e.announced) e.announced_until = Clock::time_point{};
  // Idle connections to tasks that are gone are closed (the daemon's socket
  // is no task: its connections stay).
  std::set<UpstreamEndpoint> tasks;
  for (const auto& [_, entry] : entries_) {
    tasks.insert(entry.addresses.begin(), entry.addresses.end());
    if (Clock::now() < entry.announced_until) tasks.insert(entry.announced.begin(), entry.announced.end());
  }
  for (auto idle = idle_.begin(); idle != idle_.end();) {
    bool known = idle->first.protocol().family() == AF_UNIX || tasks.contains(idle->first);
    idle = known ? std::next(idle) : idle_.erase(idle);
  }
}

asio::awaitable<void> Upstreams::RefreshLoop() {
  asio::steady_timer timer(io_);
  while (!stopped_) {
    auto names = followed_;
    for (const auto& [_, name] : names) co_await Resolve(name.first, name.second);
    timer.expires_after(std::chrono::seconds(1));
    co_await timer.async_wait(kNoThrow);
  }
}

bool Upstreams::HasAddress(const std::string& key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && !Current(it->second, Clock::now()).empty();
}

size_t Upstreams::Untried(const std::string& key, std::span<const tcp::endpoint> tried) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const Entry& e = it->second;
  auto now = Clock::now();
  const auto& addresses = Current(e, now);
  return std::count_if(addresses.begin(), addresses.end(), [&](const tcp::endpoint& a) {
    auto ejected = e.ejected.find(a);
    return std::find(tried.begin(), tried.end(), a) == tried.end() && (ejected == e.ejected.end() || ejected->second <= now);
  });
}

bool Upstreams::Unresolved(const std::string& key) {
  const Entry& e = entries_[key];
  auto now = Clock::now();
  return Current(e, now).empty() && now - e.resolved_at > std::chrono::milliseconds(250);
}

std::optional<tcp::endpoint> Upstreams::Pick(const std::string& key, std::span<const tcp::endpoint> tried) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  Entry& e = it->second;
  auto now = Clock::now();
  const auto& addresses = Current(e, now);
  if (addresses.empty()) return std::nullopt;
  std::optional<tcp::endpoint> ejected_choice, tried_choice;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const tcp::endpoint& candidate = addresses[(e.next + i) % addresses.size()];
    if (std::find(tried.begin(), tried.end(), candidate) != tried.end()) {
      if (!tried_choice) tried_choice = candidate;
      continue;
    }
    if (auto ejected = e.ejected.find(candidate); ejected != e.ejected.end() && ejected->second > now) {
      if (!ejected_choice) ejected_choice = candidate;
      continue;
    }
    e.next = (e.next + i + 1) % addresses.size();
    return candidate;
  }
  // Every task is ejected or tried: one of them may be back by now.
  return ejected_choice ? ejected_choice : tried_choice;
}

void Upstreams::Eject(const std::string& key, const tcp::endpoint& address) {
  auto it = entries_.find(key);
  if (it != entries_.end()) it->second.ejected[address] = Clock::now() + kEjectFor;
  idle_.erase(UpstreamEndpoint(address));
}

UpstreamSocket Upstreams::TakeIdle(const UpstreamEndpoint& address) {
  auto it = idle_.find(address);
  auto now = Clock::now();
  while (it != idle_.end() && !it->second.empty()) {
    Idle idle = std::move(it->second.back());
    it->second.pop_back();
    if (now - idle.since > kKeepIdle) continue;
    // A connection the task closed while idle reads as EOF (or an error) now;
    // one kept for less than a moment is taken as it is (a request on it that
    // fails without an answer is sent again when it can be).
    if (now - idle.since < std::chrono::milliseconds(250)) return std::move(idle.socket);
    char byte;
    ssize_t n = ::recv(idle.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::move(idle.socket);
  }
  return UpstreamSocket(io_);
}

void Upstreams::PutIdle(const UpstreamEndpoint& address, UpstreamSocket socket) {
  auto& list = idle_[address];
  if (list.size() >= kMaxIdlePerAddress) return;
  list.push_back({std::move(socket), Clock::now()});
}

}  // namespace ms::proxy
