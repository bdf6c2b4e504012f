#pragma once
// SlugImage: makes an app image from the run stack image and a slug, directly in
// the registry. The run image is pushed once per version of it (as
// REGISTRY/mothership/run:bookworm-<id>); each app image then shares its layers
// and adds one gzip layer, the slug (/app), with a config of its own (labels,
// env, command). Nothing goes through the engine's commit and push, which is
// where most of a code-only push's time went; Swarm nodes pull the image from
// the registry as they would any other.

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/docker/docker_client.h"
#include "server/registry/registry_client.h"

namespace ms {

struct SlugImageSpec {
  std::string repo;                  // "APP", the repository in the registry
  std::string tag;                   // "v3"
  std::filesystem::path slug_tar;    // the layer's files, named app/...
  std::filesystem::path scratch_dir; // for the compressed layer
  std::map<std::string, std::string> labels;
  std::vector<std::string> env;      // "K=V", added to the run image's
  std::vector<std::string> cmd;      // empty: the run image's
};

struct LayerFile {
  std::string diff_id;  // sha256 of the tar
  std::string digest;   // sha256 of the gzip
  uint64_t size = 0;    // of the gzip
};

// Compresses tar into gz (gzip, fast level) and digests both.
Result<LayerFile> CompressLayer(const std::filesystem::path& tar, const std::filesystem::path& gz);

class SlugImage {
 public:
  // registry: "HOST:PORT", with its credentials when it has them; run_image:
  // the local run stack image.
  SlugImage(DockerClient& docker, std::string registry, std::string run_image,
            std::optional<RegistryCredentials> credentials = std::nullopt);

  // Pushes REGISTRY/repo:tag; returns the manifest digest. out hears of the
  // one-time push of a new run image.
  Result<std::string> Push(const SlugImageSpec& spec, Output& out);
  RegistryClient& registry() { return client_; }

 private:
  struct Base {
    std::string image_id;
    std::string repo;  // "mothership/run"
    nlohmann::json manifest;
    nlohmann::json config;
  };
  // The run image in the registry, pushed there first when this version of it is not.
  Result<Base> EnsureBase(Output& out);

  DockerClient& docker_;
  std::string registry_;
  std::string run_image_;
  RegistryClient client_;
  std::mutex mu_;
  std::optional<Base> base_;
};

}  // namespace ms
