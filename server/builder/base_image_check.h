#pragma once
// Whether a Dockerfile build may use an image it names (FROM, COPY --from):
// an app builds on public images and on its own images, never on another
// app's. The Docker engine serves any image it holds or can pull from this
// installation's registry, so the check looks at the name and at the image
// the name finds in the engine. Any thread.

#include <string>

#include "server/builder/dockerfile.h"
#include "server/common/result.h"
#include "server/docker/docker_client.h"

namespace ms {

// The registry part of an image name when it has one ("localhost:5000" for
// "localhost:5000/shop:v1"), else "". Pure.
std::string ImageDomain(const std::string& name);

// Whether a registry domain ("HOST[:PORT]") is this machine's: a loopback
// host, one of this machine's addresses, or the installation's registry.
bool IsLocalRegistry(const std::string& domain, const std::string& registry);

// Refuses, with a message naming the line and the image, an image that is
// another app's in this installation's registry, any image from a registry on
// this machine other than the app's own repository, an image named by its ID,
// and a name that is not an image reference. An image the engine does not
// hold is fine here (the engine pulls it, or says it cannot).
Result<void> CheckBuildImage(const DockerfileImage& image, const std::string& app, const std::string& registry,
                             DockerClient& docker);

}  // namespace ms
