#pragma once
// What a pushed Dockerfile asks the Docker engine to fetch, read before the
// engine builds it. The engine fetches FROM images, COPY --from images and
// ADD URLs itself, from the host's network and its image store, outside the
// build's fenced network; so the builder refuses remote ADD and checks every
// image named (base_image_check.h). Reads the classic builder's syntax: parser
// directives (escape), line continuations, comments, JSON and shell forms,
// global ARGs in FROM, ONBUILD. Tenant bytes; pure function, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

// An image the build would use: a FROM or a COPY --from that is not a stage.
struct DockerfileImage {
  int line = 0;             // first line of its instruction, from 1
  std::string instruction;  // "FROM" or "COPY --from"
  std::string name;         // as the engine will read it (global ARGs expanded)
  bool operator==(const DockerfileImage&) const = default;
};

// The images a Dockerfile names, in order. An error naming the line for: a
// line that is not UTF-8, an ADD of a URL (the engine would fetch it from the
// host's network: the message says to RUN curl instead), an image named
// through a variable in COPY --from, a FROM with no image. Never throws.
Result<std::vector<DockerfileImage>> ReadDockerfile(std::string_view text);

}  // namespace ms
