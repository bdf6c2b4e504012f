#pragma once
// The Postgres add-on as Docker sees it, as pure functions so the choices are
// in one place and unit-tested:
// - a Swarm service "addon_NAME" (app services are APP-TYPE, of letters,
//   digits and dashes: an underscore never collides with one), one task,
//   pinned to the node its volume is on, rolled stop-first (two servers never
//   share the data), restarted whatever ends it, a fast shutdown's grace;
// - its data in the named volume mothership-addon-INSTALL-NAME;
// - on the networks of the apps it is attached to, and no other: the apps
//   reach it by its service name, nothing else can;
// - memory, CPU and process limits; no capabilities (it runs as postgres).
// The apps get postgres://USER:PASSWORD@addon_NAME:5432/DB as NAME_URL.

#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"
#include "server/docker/engine_types.h"
#include "server/store/store.h"

namespace ms {

inline constexpr std::string_view kPostgresImage = "mothership/postgres:15";
inline constexpr std::string_view kPostgresStackDir = "postgres";  // buildpacks/stack/postgres
inline constexpr int kPostgresPort = 5432;
inline constexpr std::string_view kAddonKinds = "postgres, redis";

// An add-on's name: like an app's (lower-case letters, digits, dashes; 2 to 40).
Result<void> ValidateAddonName(const std::string& name);
// An attachment's name (NAME of NAME_URL): upper-case letters, digits and
// underscores, starting with a letter, at most 40.
Result<void> ValidateAttachmentName(const std::string& name);
// "shop" -> "shop", "my-app" -> "my_app", "pg-x" -> "app_pg_x": the role
// and database of an app (Postgres reserves pg_...).
std::string PgIdentifier(const std::string& app);

std::string AddonServiceName(const std::string& addon);
std::string AddonVolumeName(const std::string& install, const std::string& addon);
std::string DatabaseUrl(const Addon& addon);

// What every add-on's service shares (the list above but its image, volume,
// health check and limits); networks: the overlay networks of the apps it is
// attached to, also kept as the label mothership.networks.
ServiceSpec AddonServiceBase(const Addon& addon, const std::string& install,
                             const std::vector<std::string>& networks);
ServiceSpec MakePostgresServiceSpec(const Addon& addon, const std::string& install,
                                    const std::vector<std::string>& networks);

}  // namespace ms
