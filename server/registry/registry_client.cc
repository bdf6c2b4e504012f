#include "server/common/json.h"
#include "server/registry/registry_client.h"

#include <fmt/format.h>

namespace ms {
namespace {

std::string Brief(const HttpResponse& r) {
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object() && body["errors"].is_array() && !body["errors"].empty()) {
    const auto& e = body["errors"][0];
    return fmt::format("{} {}", e.value("code", ""), e.value("message", ""));
  }
  return fmt::format("HTTP {}", r.status);
}

HttpRequest Req(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

}  // namespace

RegistryClient::RegistryClient(std::string registry, std::optional<RegistryCredentials> credentials)
    : registry_(registry),
      authorization_(credentials ? BasicAuthorization(*credentials) : std::string()),
      http_(HttpClient::Tcp("http://" + registry, "the registry",
                            "start it (scripts/start-services does, or set `registry` in the settings to one "
                            "that runs) and push again")) {}

Result<HttpResponse> RegistryClient::Call(HttpRequest request, std::initializer_list<long> ok,
                                          const std::string& what) {
  if (request.timeout_seconds == 0) request.timeout_seconds = 600;
  if (!authorization_.empty()) request.headers["Authorization"] = authorization_;
  auto r = http_.Send(request);
  if (!r) return std::unexpected(r.error());
  for (long code : ok) {
    if (r->status == code) return r;
  }
  if (r->status == 404) return NotFound(fmt::format("{}: not in the registry at {}", what, registry_));
  if (r->status == 401) {
    return PermissionDenied(fmt::format("{}: the registry at {} refused this installation's credentials ({}); run "
                                        "`mothershipd setup` again",
                                        what, registry_, Brief(*r)));
  }
  return Failed(fmt::format("{}: the registry at {} answered {}", what, registry_, Brief(*r)));
}

Result<bool> RegistryClient::BlobExists(const std::string& repo, const std::string& digest) {
  HttpRequest request = Req("HEAD", fmt::format("/v2/{}/blobs/{}", repo, digest));
  auto r = Call(request, {200, 404}, "checking a layer of " + repo);
  if (!r) return std::unexpected(r.error());
  return r->status == 200;
}

Result<bool> RegistryClient::MountBlob(const std::string& repo, const std::string& digest,
                                       const std::string& from_repo) {
  HttpRequest request = Req("POST", fmt::format("/v2/{}/blobs/uploads/?mount={}&from={}", repo, digest, from_repo));
  auto r = Call(request, {201, 202}, "sharing a layer with " + repo);
  if (!r) return std::unexpected(r.error());
  if (r->status == 202) {
    // The registry started an upload instead; it is abandoned (the registry purges it).
    return false;
  }
  return true;
}

Result<void> RegistryClient::Upload(const std::string& repo, const std::string& digest, HttpRequest put) {
  auto started = Call(Req("POST", fmt::format("/v2/{}/blobs/uploads/", repo)), {202},
                      "uploading a blob to " + repo);
  if (!started) return std::unexpected(started.error());
  std::string location = started->Header("location");
  if (location.empty()) return Failed("the registry started an upload but gave no location");
  location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
  put.method = "PUT";
  put.path = location;
  put.headers["Content-Type"] = "application/octet-stream";
  auto r = Call(put, {201}, "uploading a blob to " + repo);
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> RegistryClient::UploadBlob(const std::string& repo, const std::string& digest,
                                        const std::filesystem::path& file) {
  HttpRequest put;
  put.body_file = file;
  return Upload(repo, digest, put);
}

Result<void> RegistryClient::UploadBlob(const std::string& repo, const std::string& digest,
                                        const std::string& data) {
  HttpRequest put;
  put.body = data;
  return Upload(repo, digest, put);
}

Result<std::string> RegistryClient::ReadBlob(const std::string& repo, const std::string& digest) {
  auto r = Call(Req("GET", fmt::format("/v2/{}/blobs/{}", repo, digest)), {200},
                "reading " + digest.substr(0, 19) + " of " + repo);
  if (!r) return std::unexpected(r.error());
  return r->body;
}

Result<Manifest> RegistryClient::GetManifest(const std::string& repo, const std::string& reference) {
  HttpRequest request = Req("GET", fmt::format("/v2/{}/manifests/{}", repo, reference));
  request.headers["Accept"] = kManifestV2;
  auto r = Call(request, {200}, repo + ":" + reference);
  if (!r) return std::unexpected(r.error());
  Manifest m;
  m.body = nlohmann::json::parse(r->body, nullptr, false);
  if (!m.body.is_object() || m.body.value("schemaVersion", 0) != 2 || !m.body["layers"].is_array()) {
    return Failed(fmt::format("{}:{} in the registry is not an image manifest (schema 2)", repo, reference));
  }
  m.digest = r->Header("docker-content-digest");
  return m;
}

Result<std::string> RegistryClient::PutManifest(const std::string& repo, const std::string& tag,
                                                const nlohmann::json& manifest) {
  HttpRequest request = Req("PUT", fmt::format("/v2/{}/manifests/{}", repo, tag));
  request.body = DumpJson(manifest);
  request.headers["Content-Type"] = kManifestV2;
  auto r = Call(request, {201}, fmt::format("tagging {}:{}", repo, tag));
  if (!r) return std::unexpected(r.error());
  return r->Header("docker-content-digest");
}

Result<std::string> RegistryClient::DeleteManifest(const std::string& repo, const std::string& tag,
                                                   const std::set<std::string>& keep) {
  HttpRequest head = Req("HEAD", fmt::format("/v2/{}/manifests/{}", repo, tag));
  head.headers["Accept"] = kManifestV2;
  auto found = Call(head, {200, 404}, repo + ":" + tag);
  if (!found) return std::unexpected(found.error());
  std::string digest = found->Header("docker-content-digest");
  if (found->status == 404 || digest.empty() || keep.contains(digest)) return std::string();
  auto r = Call(Req("DELETE", fmt::format("/v2/{}/manifests/{}", repo, digest)), {202, 404},
                "deleting " + repo + ":" + tag);
  if (!r) return std::unexpected(r.error());
  return digest;
}

}  // namespace ms
