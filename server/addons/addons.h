#pragma once
// Addons: the add-ons' services on Docker Swarm (postgres_service.h says
// what they are). Making one builds its image the first time, starts its
// service on the app's network pinned to this engine's node (the daemon runs
// its admin SQL in the container and keeps the backups here), waits until
// Postgres answers and creates the app's role and database; a failure leaves
// nothing behind. Postgres clients (psql, pg_dump, pg_restore) run in one-off
// containers of the add-on's image on its app's network, as its user.
// Thread-safe; callers hold the owning app's lock for changes.

#include <filesystem>
#include <string>
#include <vector>

#include "server/common/clock.h"
#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"
#include "server/runtime/runtime.h"
#include "server/store/store.h"

namespace ms {

class Builder;

// The app's database: the add-on attached as DATABASE, else its only one.
// kNotFound (saying how to make one) or kInvalidArgument (several, none
// named DATABASE) otherwise.
Result<Addon> DatabaseOf(Store& store, const std::string& app);
// The app's Redis: the add-on attached as REDIS, else its only Redis.
Result<Addon> RedisOf(Store& store, const std::string& app);
// What its apps get as NAME_URL: postgres://... or redis://...
std::string AddonUrl(const Addon& addon);
// "Postgres 15", "Redis 7".
std::string AddonProduct(const Addon& addon);

class Addons {
 public:
  Addons(const Settings& settings, DockerClient& docker, Store& store, Builder& builder,
         Clock& clock = SystemClock::Get())
      : settings_(settings), docker_(docker), store_(store), builder_(builder), clock_(clock) {}

  // Makes the add-on `draft` says (name, kind postgres or redis, app; a
  // Redis's size_mb and policy) and records it, attached to its app as
  // attach_as; for Postgres, the app's role and database. Progress to out.
  Result<Addon> Create(Addon draft, const std::string& attach_as, Output& out);
  // Puts the service on the networks of the apps attached to it now (after an
  // attach or a detach) and waits until Postgres answers again.
  Result<void> Refresh(const Addon& addon, Output& out);
  // At the daemon's start: starts the service again when it is gone, or puts
  // it on the networks of its attached apps when it is on others (the daemon
  // stopped during an attach or a detach); nothing when it is as it should be.
  Result<void> Ensure(const Addon& addon, Output& out);
  // Removes the service and then its volume: the data is gone. The record is
  // the caller's to delete.
  Result<void> Remove(const Addon& addon);
  // Runs SQL as postgres in the add-on's container (psql -At, stops at the
  // first error) in the database "postgres", never in the app's own (whose
  // owner, the tenant, could make its functions run as postgres there); its
  // output.
  Result<std::string> AdminSql(const Addon& addon, const std::string& sql);
  // Runs redis-cli ARGS in a Redis add-on's container, as its default user; the reply.
  Result<std::string> RedisCommand(const Addon& addon, const std::vector<std::string>& args);
  // The size of the app's database in bytes (pg_database_size).
  Result<int64_t> DatabaseSize(const Addon& addon);
  // Runs a Postgres client (argv: psql, pg_dump, pg_restore ...) as the
  // add-on's role in a one-off container of the add-on's image on the network
  // of `app` (one the add-on is attached to: a client of an attached app
  // stays on that app's network), with PGHOST/PGUSER/PGPASSWORD/PGDATABASE of
  // the add-on; its exit status. With dump_dir, that directory of this host
  // is /dump in the container, which then runs as the daemon's user (pg_dump
  // --file writes there without a stream through the daemon).
  Result<int> RunClient(const Addon& addon, const std::string& app, const std::vector<std::string>& argv, RunIO io,
                        const std::filesystem::path& dump_dir = {});
  // Waits (up to timeout) until Postgres in the add-on's container answers,
  // and answers by its name on its app's network; the container's id.
  Result<std::string> WaitReady(const Addon& addon, std::chrono::seconds timeout);

 private:
  ServiceSpec SpecOf(const Addon& addon, const std::vector<std::string>& networks) const;
  // The networks of the apps attached to the add-on.
  Result<std::vector<std::string>> Networks(const Addon& addon);
  // The id of the add-on's running container on this engine.
  Result<std::string> RunningContainer(const Addon& addon);

  const Settings& settings_;
  DockerClient& docker_;
  Store& store_;
  Builder& builder_;
  Clock& clock_;
};

}  // namespace ms
