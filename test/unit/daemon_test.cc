// Daemon: composition and start-up failures, on a record-only data directory
// (no Docker). The SSH side is exercised end to end in test/e2e/.

#include <fstream>

#include "server/daemon.h"
#include "server/setup/setup.h"
#include "test/unit/test_helpers.h"

using ms_test::Contains;
using ms_test::TempDir;

namespace {

// A data directory made by setup, recording deploys only, on a free port.
std::filesystem::path SetUp(const TempDir& dir) {
  auto key = ms_test::GenerateKey();
  auto pub = dir.path() / "admin.pub";
  std::ofstream(pub) << key.PublicLine("admin") << "\n";
  ms::SetupOptions options;
  options.data_dir = dir.path() / "data";
  options.admin_key = pub;
  options.ssh_port = 0;
  options.deploy_step = "record";
  ms::NullOutput quiet;
  auto r = ms::RunSetup(options, quiet);
  if (!r) throw std::runtime_error(r.error().message);
  return options.data_dir;
}

ms::DaemonFlags Flags(const std::filesystem::path& data_dir) {
  ms::DaemonFlags flags;
  flags.data_dir = data_dir;
  flags.listen_address = "127.0.0.1";
  flags.api_port = 0;  // (a server on this machine may hold the default)
  return flags;
}

}  // namespace

TEST_CASE("daemon: starts on a set-up directory and listens on the port it reports") {
  TempDir dir;
  auto daemon = ms::Daemon::Start(Flags(SetUp(dir)));
  REQUIRE_OK(daemon);
  CHECK((*daemon)->port() > 0);
  CHECK((*daemon)->host_key_fingerprint().starts_with("SHA256:"));
  CHECK((*daemon)->settings().listen_address == "127.0.0.1");
}

TEST_CASE("daemon: a second daemon on one data directory is refused until the first stops") {
  TempDir dir;
  auto data = SetUp(dir);
  auto first = ms::Daemon::Start(Flags(data));
  REQUIRE_OK(first);
  auto second = ms::Daemon::Start(Flags(data));
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == ms::ErrorCode::kBusy);
  CHECK(Contains(second.error().message, "another mothershipd is already serving"));
  first->reset();
  auto third = ms::Daemon::Start(Flags(data));
  REQUIRE_OK(third);
}

TEST_CASE("daemon: a directory setup never prepared gives an error that says what to do") {
  TempDir dir;
  auto daemon = ms::Daemon::Start(Flags(dir.path() / "nothing-here"));
  REQUIRE_FALSE(daemon.has_value());
  CHECK_FALSE(daemon.error().message.empty());
}

TEST_CASE("daemon: an injected deploy step replaces the one the settings choose") {
  TempDir dir;
  ms_test::FakeDeployStep* made = nullptr;
  auto daemon = ms::Daemon::Start(Flags(SetUp(dir)), [&made](ms::Store&, ms::AppRepos&) {
    auto step = std::make_unique<ms_test::FakeDeployStep>();
    made = step.get();
    return step;
  });
  REQUIRE_OK(daemon);
  CHECK(made != nullptr);
}
