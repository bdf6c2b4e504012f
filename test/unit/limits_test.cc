// Process sizes, their limits in the service spec, the build queue, and the
// settings and commands around them (issue 14, item 4).

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "server/builder/build_slots.h"
#include "server/commands/catalog.h"
#include "server/commands/router.h"
#include "server/config/process_sizes.h"
#include "server/docker/engine_json.h"
#include "server/runtime/service_spec.h"
#include "test_helpers.h"

using ms_test::Contains;
using ms_test::StringOutput;

TEST_CASE("Process sizes: Heroku's names, memory and process limits - CPU capped at the host's", "[limits]") {
  const ms::ProcessSize* one = ms::FindProcessSize("standard-1x");
  REQUIRE(one);
  CHECK(one->memory_mb == 512);
  CHECK(one->max_processes == 256);
  CHECK(ms::FindProcessSize("standard-2x")->memory_mb == 1024);
  CHECK(ms::FindProcessSize("performance-l")->max_processes == 32768);
  CHECK(ms::FindProcessSize("huge") == nullptr);
  CHECK(ms::FindProcessSize("") == nullptr);
  CHECK(ms::ProcessSizeNames() == "basic, standard-1x, standard-2x, performance-m, performance-l");
  CHECK(ms::FindProcessSize(ms::kDefaultProcessSize) == one);

  auto limits = ms::LimitsOf(*one, 8);
  CHECK(limits.memory_bytes == 512LL * 1024 * 1024);
  CHECK(limits.nano_cpus == 1'000'000'000);
  CHECK(limits.pids == 256);
  // Eight CPUs on a two-CPU host: a quota of two (more would not start).
  CHECK(ms::LimitsOf(*ms::FindProcessSize("performance-l"), 2).nano_cpus == 2'000'000'000);
  CHECK(ms::LimitsOf(*ms::FindProcessSize("basic"), 0).nano_cpus == 500'000'000);
}

TEST_CASE("MakeServiceSpec: a type's size becomes its tasks' memory, CPU and process limits", "[limits]") {
  ms::Release release;
  release.version = 2;
  release.image = "localhost:5000/shop:v2";
  ms::ProcessSpec p;
  p.app = "shop";
  p.type = "worker";
  p.command = "node worker.js";
  p.release = &release;
  p.app_network = ms::AppNetworkName("shop");
  p.limits = ms::LimitsOf(*ms::FindProcessSize("standard-2x"), 4);
  auto spec = ms::engine::ServiceSpecJson(ms::MakeServiceSpec(p));
  const auto& limits = spec["TaskTemplate"]["Resources"]["Limits"];
  CHECK(limits["MemoryBytes"] == 1024LL * 1024 * 1024);
  CHECK(limits["NanoCPUs"] == 2'000'000'000);
  CHECK(limits["Pids"] == 512);

  p.limits = {};  // none: no Resources at all (the engine's defaults)
  CHECK_FALSE(ms::engine::ServiceSpecJson(ms::MakeServiceSpec(p))["TaskTemplate"].contains("Resources"));
}

TEST_CASE("BuildSlots: at most N builds - the rest wait in line, told their place, first come first served",
          "[limits]") {
  ms::BuildSlots slots(1);
  StringOutput first_out;
  auto first = slots.Wait(first_out);
  REQUIRE(first.has_value());
  CHECK(first_out.str().empty());  // a free slot: no word of waiting
  CHECK(slots.running() == 1);

  // Two more pushes line up behind it.
  StringOutput second_out, third_out;
  std::atomic<int> order{0};
  std::atomic<bool> second_done{false};
  int second_at = 0, third_at = 0;
  std::thread second([&] {
    auto slot = slots.Wait(second_out);
    REQUIRE(slot.has_value());
    second_at = ++order;
    while (!second_done) std::this_thread::yield();  // builds until told
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (slots.waiting() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  std::thread third([&] {
    auto slot = slots.Wait(third_out);
    REQUIRE(slot.has_value());
    third_at = ++order;
  });
  while (slots.waiting() < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(slots.waiting() == 2);
  // Each writes its place once it has one, the second not necessarily first.
  while (!(Contains(second_out.str(), "number 1 in line") && Contains(third_out.str(), "number 2 in line")) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(Contains(second_out.str(), "Waiting for a build slot: 1 build running (max_concurrent_builds 1); this push "
                                   "is number 1 in line"));
  CHECK(Contains(third_out.str(), "number 2 in line"));

  { auto done = std::move(*first); }  // the first build ends; the second builds
  while (!Contains(third_out.str(), "number 1 in line") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(third_at == 0);
  second_done = true;
  second.join();
  third.join();
  CHECK(second_at == 1);
  CHECK(third_at == 2);
  // The third moved up as the line moved, then built.
  CHECK(Contains(third_out.str(), "number 1 in line"));
  CHECK(Contains(third_out.str(), "A build slot is free: building"));
  CHECK(slots.running() == 0);
  CHECK(slots.waiting() == 0);
}

TEST_CASE("BuildSlots: a push that goes away leaves the line", "[limits]") {
  ms::BuildSlots slots(1);
  StringOutput out;
  auto held = slots.Wait(out);
  REQUIRE(held.has_value());
  std::atomic<bool> gone{false};
  std::thread waiter([&] {
    auto slot = slots.Wait(out, [&] { return gone.load(); });
    CHECK_FALSE(slot.has_value());
    if (!slot) CHECK(Contains(slot.error().message, "went away"));
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (slots.waiting() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  gone = true;
  waiter.join();
  CHECK(slots.waiting() == 0);
  CHECK(slots.running() == 1);
}

TEST_CASE("Settings: default_size must name a size - build limits in range", "[limits]") {
  ms_test::TempDir dir;
  ms::Settings s = ms_test::MakeSettings(dir.path());
  CHECK(ms::ValidateSettings(s).has_value());
  CHECK(s.default_size == "standard-1x");
  s.default_size = "jumbo";
  auto bad = ms::ValidateSettings(s);
  REQUIRE_FALSE(bad.has_value());
  CHECK(Contains(bad.error().message, "default_size 'jumbo' is not a size (sizes: basic, standard-1x"));
  s.default_size = "basic";
  s.max_concurrent_builds = 0;
  CHECK_FALSE(ms::ValidateSettings(s).has_value());
  s.max_concurrent_builds = 1;
  s.build_max_processes = 10;
  CHECK_FALSE(ms::ValidateSettings(s).has_value());
}

TEST_CASE("Store: process sizes by type - kept across changes - gone with the app", "[limits]") {
  ms_test::TestEnv env;
  REQUIRE(env.store->CreateApp("shop", "root").has_value());
  CHECK(env.store->GetProcessSizes("shop")->empty());
  REQUIRE(env.store->SetProcessSizes("shop", {{"web", "standard-2x"}, {"worker", "basic"}}).has_value());
  REQUIRE(env.store->SetProcessSizes("shop", {{"web", "performance-m"}}).has_value());
  auto sizes = env.store->GetProcessSizes("shop");
  REQUIRE(sizes.has_value());
  CHECK(*sizes == std::map<std::string, std::string>{{"web", "performance-m"}, {"worker", "basic"}});
  REQUIRE(env.store->DeleteApp("shop").has_value());
  REQUIRE(env.store->CreateApp("shop", "root").has_value());
  CHECK(env.store->GetProcessSizes("shop")->empty());
}

TEST_CASE("ps:sizes lists every size with its memory, CPUs and processes, and the default", "[limits]") {
  ms_test::TestEnv env;
  auto r = ms_test::Run(env, {"ps:sizes"}, ms::Role::kDeveloper);
  CHECK(r.status == 0);
  CHECK(Contains(r.out, "SIZE"));
  CHECK(Contains(r.out, "standard-2x    1024 MB   2     512"));
  CHECK(Contains(r.out, "run at standard-1x (default_size)"));
  auto json = ms_test::Run(env, {"ps:sizes", "--json"});
  auto list = nlohmann::json::parse(json.out, nullptr, false);
  REQUIRE(list.is_array());
  CHECK(list.size() == 5);
  CHECK(list[1]["name"] == "standard-1x");
  CHECK(list[1]["default"] == true);
  CHECK(list[0]["memory_mb"] == 512);
}

TEST_CASE("run --size: a size that is not there is refused with the list - no container starts", "[limits]") {
  ms_test::TestEnv env;
  REQUIRE(env.store->CreateApp("shop", "root").has_value());
  auto r = ms_test::Run(env, {"run", "shop", "--size", "jumbo", "ls"});
  CHECK(r.status == 2);
  CHECK(Contains(r.err, "'jumbo' is not a size (sizes: basic, standard-1x"));
  // After the app and the first word of the command, every word is the command's.
  auto args = ms::ParseArgs(*ms::FindCommand("run"), {"shop", "--size=basic", "ls", "--size", "jumbo"});
  REQUIRE(args.has_value());
  CHECK(args->Option("--size") == "basic");
  CHECK(args->positional == std::vector<std::string>{"shop", "ls", "--size", "jumbo"});
}
