#pragma once
// The image registry every Swarm node pulls app images from (Debian's
// docker-registry). `mothershipd setup` starts it as the container
// `mothership-registry` (`mothership-registry-PORT` on a port other than 5000;
// host network, restarted with the engine, images in the volume of the same
// name) unless a registry of its own does not but another already answers at
// the configured address. Beyond loopback it takes only the installation's
// credentials (registry_credentials.h).

#include <functional>
#include <optional>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"
#include "server/registry/registry_credentials.h"

namespace ms {

inline constexpr char kRegistryContainer[] = "mothership-registry";
// The tag changes with the image recipe in registry.cc.
inline constexpr char kRegistryImage[] = "mothership/registry:bookworm-1";

// The container (and volume) of the registry at REGISTRY ("HOST:PORT"): one per
// port of this host.
std::string RegistryContainerName(const std::string& registry);

// True when the engine talks plain HTTP (not HTTPS) to REGISTRY ("HOST:PORT"):
// the address is in its insecure-registries, or HOST (an IPv4 address, or a
// name resolved here) is in one of its insecure CIDRs (127.0.0.0/8 by default).
bool EngineSpeaksHttpTo(const EngineInfo& engine, const std::string& registry);

// The HTTP status of GET http://REGISTRY/v2/ (200: it answers and takes these
// credentials, or none is needed; 401: it wants others), 0 when nothing answers.
long RegistryStatus(const std::string& registry, const std::optional<RegistryCredentials>& credentials);

// Starts the registry unless one of this installation's answers at
// settings.registry, first replacing a container of ours set up otherwise (on
// another address, or without the credentials an address beyond loopback
// needs; the images stay in its volume); builds its image from
// settings.base_image the first time (about a minute). Fails when the registry
// does not answer within 30 s, or, beyond loopback, answers without
// credentials.
Result<void> EnsureRegistry(const Settings& settings, DockerClient& docker,
                            Output& out);

}  // namespace ms
