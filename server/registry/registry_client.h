#pragma once
// RegistryClient: the parts of the registry HTTP API (distribution v2) that
// pushing an image needs without the Docker engine: blobs (exists, mount from
// another repository, upload), manifests (get, put) and blob reads. The
// registry is the one setup configures (settings: registry, "HOST:PORT", plain
// HTTP as Docker allows for localhost), with its credentials when it has them
// (registry_credentials.h). Thread-safe.

#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "server/common/http_client.h"
#include "server/common/result.h"
#include "server/registry/registry_credentials.h"

namespace ms {

inline constexpr const char* kManifestV2 = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kImageConfigV1 = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

struct Manifest {
  nlohmann::json body;
  std::string digest;  // "sha256:..."
};

class RegistryClient {
 public:
  // registry: "HOST:PORT"; every request logs in with credentials when given.
  explicit RegistryClient(std::string registry, std::optional<RegistryCredentials> credentials = std::nullopt);

  Result<bool> BlobExists(const std::string& repo, const std::string& digest);
  // Makes repo share a blob another repository of the registry already holds;
  // false when the registry would rather have it uploaded.
  Result<bool> MountBlob(const std::string& repo, const std::string& digest, const std::string& from_repo);
  Result<void> UploadBlob(const std::string& repo, const std::string& digest, const std::filesystem::path& file);
  Result<void> UploadBlob(const std::string& repo, const std::string& digest, const std::string& data);
  Result<std::string> ReadBlob(const std::string& repo, const std::string& digest);
  // NotFound when repo has no such tag.
  Result<Manifest> GetManifest(const std::string& repo, const std::string& reference);
  Result<std::string> PutManifest(const std::string& repo, const std::string& tag, const nlohmann::json& manifest);
  // Deletes the image repo:tag (the registry must allow deletes; a missing tag is
  // not an error), unless its digest is one of keep: the registry deletes by
  // digest, and an identical image pushed under another tag shares it.
  // Returns the digest it deleted, empty when none.
  Result<std::string> DeleteManifest(const std::string& repo, const std::string& tag,
                                     const std::set<std::string>& keep = {});

 private:
  Result<void> Upload(const std::string& repo, const std::string& digest, HttpRequest put);
  Result<HttpResponse> Call(HttpRequest request, std::initializer_list<long> ok, const std::string& what);

  std::string registry_;
  std::string authorization_;  // the Authorization header, or empty
  HttpClient http_;
};

}  // namespace ms
