// Where the proxy sends an app's requests (proxy/upstreams.h): DNS's answer,
// or, during a rollout, the tasks the daemon announced, until DNS agrees, the
// announcement ends, or none of them takes connections.

#include <catch2/catch.hpp>

#include <set>

#include "proxy/upstreams.h"

namespace asio = boost::asio;
using ms::proxy::Clock;
using ms::proxy::Upstreams;
using tcp = asio::ip::tcp;

namespace {

// "127.0.0.1" resolves to itself: DNS's answer without a DNS server.
const std::string kHost = "127.0.0.1";
const std::string kKey = "127.0.0.1:5000";

tcp::endpoint At(const char* address) { return {asio::ip::make_address_v4(address), 5000}; }

void Resolve(asio::io_context& io, Upstreams& upstreams) {
  asio::co_spawn(io, upstreams.Resolve(kHost, 5000), asio::detached);
  io.restart();
  io.run();
}

// The addresses Pick goes round, over a few picks.
std::set<tcp::endpoint> Picked(Upstreams& upstreams) {
  std::set<tcp::endpoint> seen;
  for (int i = 0; i < 6; ++i) {
    auto a = upstreams.Pick(kKey, {});
    if (a) seen.insert(*a);
  }
  return seen;
}

}  // namespace

TEST_CASE("Upstreams: announced tasks take every request until DNS answers with exactly them", "[proxy]") {
  asio::io_context io;
  Upstreams upstreams(io);
  upstreams.Follow({{kHost, 5000}});
  Resolve(io, upstreams);
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("127.0.0.1")});

  upstreams.Announce(kKey, {At("10.0.3.9"), At("10.0.3.7")}, Clock::now() + std::chrono::seconds(10), 1);
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("10.0.3.7"), At("10.0.3.9")});
  CHECK(upstreams.Untried(kKey, {}) == 2);
  // DNS still names the old task: the announcement holds.
  Resolve(io, upstreams);
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("10.0.3.7"), At("10.0.3.9")});

  // DNS answers with exactly the announced task: over, DNS again; the same
  // announcement read again (a later routes file) does not start it over.
  upstreams.Announce(kKey, {At("127.0.0.1")}, Clock::now() + std::chrono::seconds(10), 2);
  Resolve(io, upstreams);
  upstreams.Announce(kKey, {At("127.0.0.1")}, Clock::now() + std::chrono::seconds(10), 2);
  upstreams.Announce(kKey, {At("10.0.3.7")}, Clock::now() + std::chrono::seconds(10), 2);
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("10.0.3.7")});  // other addresses: a new announcement
}

TEST_CASE("Upstreams: an announcement ends at its time, and while none of its tasks takes connections", "[proxy]") {
  asio::io_context io;
  Upstreams upstreams(io);
  upstreams.Follow({{kHost, 5000}});
  Resolve(io, upstreams);

  upstreams.Announce(kKey, {At("10.0.3.7")}, Clock::now() - std::chrono::milliseconds(1), 1);
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("127.0.0.1")});

  upstreams.Announce(kKey, {At("10.0.3.7"), At("10.0.3.8")}, Clock::now() + std::chrono::seconds(10), 2);
  upstreams.Eject(kKey, At("10.0.3.7"));
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("10.0.3.8")});
  upstreams.Eject(kKey, At("10.0.3.8"));
  CHECK(Picked(upstreams) == std::set<tcp::endpoint>{At("127.0.0.1")});
  CHECK(upstreams.HasAddress(kKey));
}

TEST_CASE("Upstreams: a name no route follows takes no announcement", "[proxy]") {
  asio::io_context io;
  Upstreams upstreams(io);
  upstreams.Announce(kKey, {At("10.0.3.7")}, Clock::now() + std::chrono::seconds(10), 1);
  CHECK_FALSE(upstreams.HasAddress(kKey));
  CHECK_FALSE(upstreams.Pick(kKey, {}));
}

TEST_CASE("Upstreams: a first deploy's announced tasks answer before DNS has any", "[proxy]") {
  asio::io_context io;
  Upstreams upstreams(io);
  upstreams.Follow({{"tasks.new-web", 5000}});
  upstreams.Announce("tasks.new-web:5000", {At("10.0.3.7")}, Clock::now() + std::chrono::seconds(10), 1);
  CHECK(upstreams.HasAddress("tasks.new-web:5000"));
  CHECK_FALSE(upstreams.Unresolved("tasks.new-web:5000"));
  CHECK(upstreams.Pick("tasks.new-web:5000", {}) == At("10.0.3.7"));
}

TEST_CASE("Upstreams: one loop's DNS answers go to another (on_resolved, SetAddresses) - it ends that one's announcement too", "[proxy]") {
  asio::io_context io;
  Upstreams first(io), other(io);
  first.Follow({{kHost, 5000}});
  other.Follow({{kHost, 5000}});
  std::vector<std::pair<std::string, std::vector<tcp::endpoint>>> handed;
  first.on_resolved = [&](const std::string& key, const std::vector<tcp::endpoint>& addresses) {
    handed.emplace_back(key, addresses);
    other.SetAddresses(key, addresses);
  };
  other.Announce(kKey, {At("127.0.0.1")}, Clock::now() + std::chrono::seconds(10), 1);
  CHECK_FALSE(other.Unresolved(kKey));  // (announced)

  Resolve(io, first);
  REQUIRE(handed.size() == 1);
  CHECK(handed[0].first == kKey);
  CHECK(handed[0].second == std::vector<tcp::endpoint>{At("127.0.0.1")});
  // The other one never looked the name up, and has its answer.
  CHECK(Picked(other) == std::set<tcp::endpoint>{At("127.0.0.1")});
  // Its announcement is over (DNS agreed): a new one with other tasks holds again.
  other.Announce(kKey, {At("10.0.3.7")}, Clock::now() + std::chrono::seconds(10), 2);
  CHECK(Picked(other) == std::set<tcp::endpoint>{At("10.0.3.7")});

  // An answer with none empties it; a name it does not follow is left alone.
  other.SetAddresses(kKey, {});
  other.Announce(kKey, {}, Clock::now(), 3);
  CHECK(Picked(other).empty());
  other.SetAddresses("tasks.gone-web:5000", {At("10.0.9.9")});
  CHECK_FALSE(other.HasAddress("tasks.gone-web:5000"));
}
