#pragma once
// The image registry every Swarm node pulls app images from (Debian's
// docker-registry). `mothershipd setup` starts it as the container
// `mothership-registry` (host network, restarted with the engine, images in the
// volume of the same name) unless a registry already answers at the configured
// address.

#include <functional>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"

namespace ms {

inline constexpr char kRegistryContainer[] = "mothership-registry";
// The tag changes with the image recipe in registry.cc.
inline constexpr char kRegistryImage[] = "mothership/registry:bookworm-1";

// True when http://REGISTRY/v2/ answers.
bool RegistryAnswers(const std::string& registry);

// Starts the registry when none answers at settings.registry; builds its image
// from settings.base_image the first time (about a minute).
Result<void> EnsureRegistry(const Settings& settings, DockerClient& docker,
                            Output& out);

}  // namespace ms
