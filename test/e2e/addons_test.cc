// The Postgres add-on end to end: a Node.js app using the `pg` module gets
// DATABASE_URL from addons:create and writes rows; they survive a redeploy,
// a kill -9 of the database's container and a daemon restart; pg:psql reads
// and writes them; a backup is captured, rows deleted, the backup restored
// and the rows are back; a downloaded dump is read by the real pg_restore;
// apps:destroy refuses while the add-on holds data, then destroys it with a
// last backup kept. Needs a Docker engine and the registry at localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "server/config/settings.h"
#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/s3rver.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::CommitAll;
using ms::test::HttpGet;
using ms::test::Push;
using ms::test::Run;
using ms::test::SampleRepo;
using ms::test::TempDir;
using ms::test::TestServer;
using ms::test::Trim;
using ms::test::Unique;

namespace {

// GET / of the app's web tasks (each one writes a row) until it answers
// "items=..." (the database may be restarting), within 90 s; its answer.
std::string WriteRow(const std::string& app) {
  std::string last;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
       std::chrono::steady_clock::now() < until;) {
    last = Trim(HttpGet(app + "-net", app + "-web"));
    if (last.starts_with("items=")) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return last;
}

// The rows of the app's table, counted by pg:psql with the SQL on stdin.
std::string CountRows(TestServer& s, const std::string& app) {
  auto psql = s.Ssh("pg:psql " + app, "SELECT 'rows=' || count(*) FROM items;\n");
  INFO(psql.Both());
  CHECK(psql.exit_code == 0);
  auto at = psql.out.find("rows=");
  return at == std::string::npos ? psql.Both() : Trim(psql.out.substr(at, psql.out.find('\n', at) - at));
}

}  // namespace

TEST_CASE("addons: a Postgres keeps an app's rows through redeploys, kill -9, a daemon restart - backups restore",
          "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("pg");
  const std::string addon = app + "-postgres";
  auto repo = SampleRepo(s, "pg-node");
  Push(s, repo, app);
  CHECK(Trim(HttpGet(app + "-net", app + "-web")) == "no database");

  // The add-on: a new release with DATABASE_URL, the app restarted with it.
  auto created = s.Ssh(fmt::format("addons:create {} postgres", app));
  INFO(created.Both());
  REQUIRE(created.exit_code == 0);
  CHECK(created.out.find(fmt::format("Created {} (Postgres 15) for {}; DATABASE_URL is set. Released v2.", addon,
                                     app)) != std::string::npos);
  auto url = Trim(s.Ssh(fmt::format("config:get {} DATABASE_URL", app)).out);
  CHECK(url.starts_with("postgres://"));
  CHECK(url.find(fmt::format("@addon_{}:5432/", addon)) != std::string::npos);
  auto listed = s.Ssh("addons " + app);
  CHECK(listed.out.find(fmt::format("{} as DATABASE_URL", app)) != std::string::npos);
  // Only the app's network: no port on the host, no other network.
  auto networks = Trim(Run({"docker", "service", "inspect", "-f",
                            "{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}|{{.Endpoint.Spec.Ports}}",
                            "addon_" + addon})
                           .out);
  auto app_network = Trim(Run({"docker", "network", "inspect", "-f", "{{.ID}}", app + "-net"}).out);
  CHECK(networks == app_network + " |[]");

  CHECK(WriteRow(app) == "items=1");
  CHECK(WriteRow(app) == "items=2");

  // A redeploy.
  ms::test::WriteFile(repo / "CHANGES", "a second release\n");
  CommitAll(s, repo, "a change");
  Push(s, repo, app);
  CHECK(WriteRow(app) == "items=3");

  // kill -9 of the database's container: Swarm starts it again on its volume.
  auto container = Trim(Run({"docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=addon_" + addon}).out);
  REQUIRE_FALSE(container.empty());
  REQUIRE(Run({"docker", "kill", "-s", "KILL", container}).exit_code == 0);
  CHECK(WriteRow(app) == "items=4");

  // A daemon restart.
  s.Stop();
  s.Start();
  CHECK(WriteRow(app) == "items=5");
  CHECK(CountRows(s, app) == "rows=5");

  auto info = s.Ssh("pg:info " + app);
  INFO(info.Both());
  CHECK(info.out.find("Version:     PostgreSQL 15.") != std::string::npos);
  CHECK(info.out.find("Tables:      1") != std::string::npos);

  // A backup, the rows deleted, the backup restored: the rows are back.
  auto capture = s.Ssh("pg:backups:capture " + app);
  INFO(capture.Both());
  REQUIRE(capture.exit_code == 0);
  CHECK(capture.out.find(fmt::format("Backup b")) != std::string::npos);
  auto backups = s.Ssh("pg:backups " + app);
  CHECK(backups.out.find("succeeded") != std::string::npos);
  CHECK(s.Ssh("pg:psql " + app, "DELETE FROM items;\n").exit_code == 0);
  CHECK(CountRows(s, app) == "rows=0");
  auto unconfirmed = s.Ssh("pg:backups:restore " + app);
  CHECK(unconfirmed.exit_code != 0);
  CHECK(unconfirmed.err.find("--confirm " + app) != std::string::npos);
  auto restored = s.Ssh(fmt::format("pg:backups:restore {} --confirm {}", app, app));
  INFO(restored.Both());
  REQUIRE(restored.exit_code == 0);
  CHECK(CountRows(s, app) == "rows=5");

  // The download is a dump the real pg_restore reads: the table and its rows.
  auto download = s.Ssh("pg:backups:download " + app);
  REQUIRE(download.exit_code == 0);
  CHECK(download.out.starts_with("PGDMP"));
  TempDir dir;
  ms::test::WriteFile(dir.path() / "dump.pgdump", download.out);
  auto sql = Run({"pg_restore", "--file", "-", (dir.path() / "dump.pgdump").string()});
  INFO(sql.err);
  CHECK(sql.exit_code == 0);
  CHECK(sql.out.find("CREATE TABLE public.items") != std::string::npos);
  CHECK(sql.out.find("COPY public.items (id, at) FROM stdin;") != std::string::npos);

  // The downloaded dump restores through stdin (how data moves between installations);
  // bytes that are not a dump change nothing.
  CHECK(s.Ssh("pg:psql " + app, "DELETE FROM items;\n").exit_code == 0);
  auto uploaded = s.Ssh(fmt::format("pg:backups:restore {} - --confirm {}", app, app), download.out);
  INFO(uploaded.Both());
  REQUIRE(uploaded.exit_code == 0);
  CHECK(CountRows(s, app) == "rows=5");
  auto garbage = s.Ssh(fmt::format("pg:backups:restore {} - --confirm {}", app, app), "DROP TABLE items;\n");
  CHECK(garbage.exit_code != 0);
  CHECK(garbage.err.find("changed nothing") != std::string::npos);
  CHECK(CountRows(s, app) == "rows=5");

  // A bad SQL statement on stdin fails the command.
  CHECK(s.Ssh("pg:psql " + app, "SELECT * FROM no_such_table;\n").exit_code != 0);

  // The add-on destroyed: its last backup stays the app's. Listed and
  // downloaded with no database; a database made later (the same name) gets
  // the rows back from it.
  auto gone = s.Ssh(fmt::format("addons:destroy {} {} --confirm {}", app, addon, addon));
  INFO(gone.Both());
  REQUIRE(gone.exit_code == 0);
  const auto at = gone.out.find("Its last backup b");
  REQUIRE(at != std::string::npos);
  const std::string kept = gone.out.substr(at + 16, gone.out.find(' ', at + 16) - (at + 16));  // "b007"
  CHECK(gone.out.find(fmt::format("pg:backups:restore {} {} --confirm {}", app, kept, app)) != std::string::npos);
  auto former = s.Ssh("pg:backups " + app);
  INFO(former.Both());
  REQUIRE(former.exit_code == 0);
  CHECK(former.out.find(fmt::format("Backups of destroyed add-ons of {} (it has no database now", app)) !=
        std::string::npos);
  CHECK(former.out.find(kept + "  " + addon) != std::string::npos);
  auto former_dump = s.Ssh(fmt::format("pg:backups:download {} {}", app, kept));
  REQUIRE(former_dump.exit_code == 0);
  CHECK(former_dump.out.starts_with("PGDMP"));
  REQUIRE(s.Ssh(fmt::format("addons:create {} postgres", app)).exit_code == 0);
  auto empty = s.Ssh("pg:psql " + app, "SELECT count(*) FROM items;\n");  // a new database: no table
  CHECK(empty.exit_code != 0);
  CHECK(empty.err.find("relation \"items\" does not exist") != std::string::npos);
  auto from_former = s.Ssh(fmt::format("pg:backups:restore {} {} --confirm {}", app, kept, app));
  INFO(from_former.Both());
  REQUIRE(from_former.exit_code == 0);
  CHECK(CountRows(s, app) == "rows=5");
  CHECK(WriteRow(app) == "items=6");

  // apps:destroy keeps the data unless told; then a last backup is kept.
  auto refused = s.Ssh(fmt::format("apps:destroy {} --confirm {}", app, app));
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("--destroy-addons") != std::string::npos);
  CHECK(s.Ssh("apps:info " + app).exit_code == 0);
  auto destroyed = s.Ssh(fmt::format("apps:destroy {} --confirm {} --destroy-addons", app, app));
  INFO(destroyed.Both());
  REQUIRE(destroyed.exit_code == 0);
  CHECK(destroyed.Both().find(fmt::format("Destroyed {}; its last backup b", addon)) != std::string::npos);
  CHECK(Run({"docker", "service", "inspect", "addon_" + addon}).exit_code != 0);
  ms::Settings settings;
  settings.data_dir = s.data_dir();
  CHECK(Run({"docker", "volume", "inspect", fmt::format("mothership-addon-{}-{}", settings.InstallId(), addon)})
            .exit_code != 0);
  CHECK(std::filesystem::exists(s.data_dir() / "backups" / addon));
}

TEST_CASE("addons: attach gives another app the URL and its network only to members of both - rotate - run - detach",
          "[long]") {
  TestServer s = BuildServer([](ms::Settings& settings) { settings.addons_max_per_app = 1; });
  const std::string shop = Unique("shop"), reports = Unique("rep");
  const std::string addon = shop + "-postgres";
  auto alice = s.NewKey("alice");
  s.AddKey("alice", alice, "developer");
  Push(s, SampleRepo(s, "pg-node"), shop);
  Push(s, SampleRepo(s, "pg-node"), reports);
  REQUIRE(s.Ssh(fmt::format("addons:create {} postgres", shop)).exit_code == 0);
  CHECK(WriteRow(shop) == "items=1");
  // One add-on per app here (addons_max_per_app): a second is refused, nothing made.
  auto second = s.Ssh(fmt::format("addons:create {} postgres --name {}-second --as SECOND", shop, shop));
  CHECK(second.exit_code != 0);
  CHECK(second.err.find("as many as an app may own (addons_max_per_app)") != std::string::npos);
  CHECK(Run({"docker", "service", "inspect", "addon_" + shop + "-second"}).exit_code != 0);
  CHECK(s.Ssh(fmt::format("config:get {} SECOND_URL", shop)).exit_code != 0);

  // alice is a member of reports only: she can neither see nor attach shop's add-on.
  REQUIRE(s.Ssh(fmt::format("access:add {} alice", reports)).exit_code == 0);
  auto not_hers = s.SshAs(alice, fmt::format("addons:attach {} --app {}", addon, reports));
  CHECK(not_hers.exit_code != 0);
  CHECK(not_hers.err.find(fmt::format("no add-on is named '{}'", addon)) != std::string::npos);
  CHECK(s.SshAs(alice, "addons").out.find(addon) == std::string::npos);
  CHECK(s.SshAs(alice, "pg:psql " + shop, "SELECT 1;\n").exit_code != 0);

  // The admin attaches it: reports writes to the same table, over its own network.
  auto attached = s.Ssh(fmt::format("addons:attach {} --app {}", addon, reports));
  INFO(attached.Both());
  REQUIRE(attached.exit_code == 0);
  CHECK(attached.out.find(fmt::format("Attached {} to {} as DATABASE_URL.", addon, reports)) != std::string::npos);
  CHECK(WriteRow(reports) == "items=2");
  auto networks = Trim(Run({"docker", "service", "inspect", "-f",
                            "{{len .Spec.TaskTemplate.Networks}}", "addon_" + addon}).out);
  CHECK(networks == "2");

  // A one-off process of the app reaches its database.
  auto run = s.Ssh(fmt::format("run {} node -e \"const {{Client}}=require('pg');const c=new "
                               "Client(process.env.DATABASE_URL);c.connect().then(()=>c.query('SELECT count(*) AS n "
                               "FROM items')).then(r=>{{console.log('n='+r.rows[0].n);return c.end()}})\"",
                               shop));
  INFO(run.Both());
  CHECK(run.out.find("n=2") != std::string::npos);

  // A new password: both apps get a release with it and go on writing.
  auto old_url = Trim(s.Ssh(fmt::format("config:get {} DATABASE_URL", shop)).out);
  auto rotated = s.Ssh("pg:credentials:rotate " + shop);
  INFO(rotated.Both());
  REQUIRE(rotated.exit_code == 0);
  auto new_url = Trim(s.Ssh(fmt::format("config:get {} DATABASE_URL", shop)).out);
  CHECK(new_url != old_url);
  CHECK(Trim(s.Ssh(fmt::format("config:get {} DATABASE_URL", reports)).out) == new_url);
  CHECK(WriteRow(shop) == "items=3");
  CHECK(WriteRow(reports) == "items=4");

  // Detached, reports has no database again; shop keeps its own.
  auto own = s.Ssh(fmt::format("addons:detach {} --app {}", addon, shop));
  CHECK(own.exit_code != 0);
  CHECK(own.err.find("addons:destroy") != std::string::npos);
  auto detached = s.Ssh(fmt::format("addons:detach {} --app {}", addon, reports));
  INFO(detached.Both());
  REQUIRE(detached.exit_code == 0);
  CHECK(ms::test::HttpGetFinds(reports + "-net", reports + "-web", "no database"));  // (the release without the URL)
  CHECK(WriteRow(shop) == "items=5");
  CHECK(Trim(Run({"docker", "service", "inspect", "-f", "{{len .Spec.TaskTemplate.Networks}}", "addon_" + addon}).out) ==
        "1");
  auto destroyed = s.Ssh(fmt::format("apps:destroy {} --confirm {} --destroy-addons", shop, shop));
  INFO(destroyed.Both());
  CHECK(destroyed.exit_code == 0);
  // shop's last backup is no one's through reports (which had its database attached).
  const auto at = destroyed.out.find("its last backup b");
  REQUIRE(at != std::string::npos);
  const std::string kept = destroyed.out.substr(at + 16, destroyed.out.find(' ', at + 16) - (at + 16));
  auto not_reports = s.SshAs(alice, fmt::format("pg:backups:download {} {}", reports, kept));
  CHECK(not_reports.exit_code != 0);
  CHECK(not_reports.out.empty());
  CHECK(not_reports.err.find(fmt::format("{} has no backup {}", reports, kept)) != std::string::npos);
  CHECK(s.Ssh("pg:backups " + reports).exit_code != 0);
}

TEST_CASE("addons: backups in an S3 bucket - captured, restored and downloaded through it, daily by schedule, "
          "a bucket that does not answer marks the backup failed",
          "[long]") {
  TempDir dir;
  std::optional<ms::test::S3rver> s3;
  s3.emplace(dir.path());
  const std::string endpoint = s3->endpoint();
  TestServer s = BuildServer([&](ms::Settings& settings) {
    settings.backups_s3_endpoint = endpoint;
    settings.backups_s3_bucket = ms::test::kBucket;
    settings.backups_s3_access_key = ms::test::kAccessKey;
    settings.backups_s3_secret_key = ms::test::kSecretKey;
  });
  const std::string app = Unique("pgs3");
  const std::string addon = app + "-postgres";
  Push(s, SampleRepo(s, "pg-node"), app);
  REQUIRE(s.Ssh(fmt::format("addons:create {} postgres", app)).exit_code == 0);
  CHECK(WriteRow(app) == "items=1");
  CHECK(WriteRow(app) == "items=2");

  auto capture = s.Ssh("pg:backups:capture " + app);
  INFO(capture.Both());
  REQUIRE(capture.exit_code == 0);
  CHECK(capture.out.find(fmt::format("to the bucket {}", ms::test::kBucket)) != std::string::npos);
  auto files = s3->Files();
  INFO(fmt::format("{}", fmt::join(files, ", ")));
  CHECK(std::any_of(files.begin(), files.end(),
                    [&](const std::string& f) { return f.find(addon) != std::string::npos && f.find("b001") != std::string::npos; }));
  CHECK_FALSE(std::filesystem::exists(s.data_dir() / "backups" / addon / "b001.pgdump"));  // only in the bucket

  CHECK(s.Ssh("pg:psql " + app, "DELETE FROM items;\n").exit_code == 0);
  CHECK(CountRows(s, app) == "rows=0");
  auto restored = s.Ssh(fmt::format("pg:backups:restore {} --confirm {}", app, app));
  INFO(restored.Both());
  REQUIRE(restored.exit_code == 0);
  CHECK(CountRows(s, app) == "rows=2");
  auto download = s.Ssh("pg:backups:download " + app);
  REQUIRE(download.exit_code == 0);
  CHECK(download.out.starts_with("PGDMP"));

  // Daily at 00:00 UTC: it is past that today, so the schedule takes one now.
  auto scheduled = s.Ssh(fmt::format("pg:backups:schedule {} --at 00:00", app));
  INFO(scheduled.Both());
  REQUIRE(scheduled.exit_code == 0);
  CHECK(s.Ssh(fmt::format("pg:backups:schedule {} --at 25:00", app)).exit_code != 0);
  std::string listed;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
       std::chrono::steady_clock::now() < until;) {
    listed = s.Ssh("pg:backups " + app).out;
    if (listed.find("schedule") != std::string::npos && listed.find("running") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  INFO(listed);
  CHECK(listed.find("b002") != std::string::npos);
  CHECK(listed.find("Daily backups at 00:00 UTC") != std::string::npos);
  REQUIRE(s.Ssh("pg:backups:unschedule " + app).exit_code == 0);

  // The bucket stops answering: the backup is marked failed with the reason.
  s3.reset();
  auto failed = s.Ssh("pg:backups:capture " + app);
  CHECK(failed.exit_code != 0);
  auto backups = s.Ssh("pg:backups " + app).out;
  INFO(backups);
  CHECK(backups.find("failed: ") != std::string::npos);
  CHECK(s.Ssh(fmt::format("apps:destroy {} --confirm {} --destroy-addons", app, app)).exit_code != 0);  // no last backup
  REQUIRE(s.Ssh(fmt::format("addons:destroy {} {} --confirm {} --no-backup", app, addon, addon)).exit_code == 0);
}
