// mothershipd's administration commands: the command line of setup
// (server/setup/setup_command.cc) and of the git hook
// (server/git/hook_command.cc), up to the point where they would act.

#include "server/setup/setup_command.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <string>

#include "capture_stdio.h"
#include "server/git/hook_command.h"
#include "test_helpers.h"

using ms_test::CaptureStdio;
using ms_test::Contains;

TEST_CASE("mothershipd setup --help prints its usage", "[setup]") {
  auto printed = CaptureStdio([] { return ms::SetupCommand({"--help"}); });
  CHECK(printed.status == 0);
  CHECK(printed.out.starts_with("usage: mothershipd setup --data-dir DIR --admin-key KEY.pub"));
}

TEST_CASE("mothershipd setup: wrong command lines are usage errors", "[setup]") {
  unsetenv("MOTHERSHIP_DATA_DIR");
  auto required = CaptureStdio([] { return ms::SetupCommand({"--data-dir", "/tmp/nowhere"}); });
  CHECK(required.status == 2);
  CHECK(Contains(required.err, "mothershipd setup: --data-dir and --admin-key are required"));

  auto no_value = CaptureStdio([] { return ms::SetupCommand({"--data-dir"}); });
  CHECK(no_value.status == 2);
  CHECK(Contains(no_value.err, "'--data-dir' needs a value"));

  auto port = CaptureStdio([] { return ms::SetupCommand({"--ssh-port", "99999"}); });
  CHECK(port.status == 2);
  CHECK(Contains(port.err, "'99999' is not a port number"));

  auto unknown = CaptureStdio([] { return ms::SetupCommand({"--colour", "blue"}); });
  CHECK(unknown.status == 2);
  CHECK(Contains(unknown.err, "unknown argument '--colour'"));
}

TEST_CASE("mothershipd hook: only pre-receive, and only from a push through mothershipd",
          "[setup]") {
  auto usage = CaptureStdio([] { return ms::HookCommand({"post-receive"}); });
  CHECK(usage.status == 2);
  CHECK(Contains(usage.err, "usage: mothershipd hook pre-receive"));

  // Run by hand (no hook socket or push token from the daemon): the push is refused.
  unsetenv("MOTHERSHIP_HOOK_SOCKET");
  unsetenv("MOTHERSHIP_PUSH_TOKEN");
  auto by_hand = CaptureStdio([] { return ms::HookCommand({"pre-receive"}); });
  CHECK(by_hand.status == 1);
  CHECK(Contains(by_hand.out, "Pushes to this repository go through mothershipd."));
}
