#pragma once
// The Mothership image: the project's Dockerfile (installed as
// share/mothership/Dockerfile) built over the installed files it copies:
// bin/mothershipd, bin/mothership, bin/mothership-proxy and share/mothership/
// (hooks, buildpacks). The proxy services run it, and the daemon can run in it.
// Tagged mothership/mothership:<12 hex digits of the build context's SHA-256>:
// a new build of Mothership makes a new image, an unchanged one is reused.

#include <filesystem>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"

namespace ms {

// The installation's prefix: the directory above the running executable's
// bin/ (the build tree has the same layout).
std::filesystem::path InstallPrefix();

// The image's name, after building it when no image of that name exists.
// out receives what it does, a line at a time (nothing when the image exists).
Result<std::string> EnsureMothershipImage(DockerClient& docker, const Settings& settings,
                                          const std::filesystem::path& prefix,
                                          Output& out);

}  // namespace ms
