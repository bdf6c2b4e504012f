#include "server/common/json.h"
#include "server/builder/slug_image.h"

#include <zlib.h>

#include <chrono>
#include <fstream>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "server/common/sha256.h"

namespace ms {

Result<LayerFile> CompressLayer(const std::filesystem::path& tar, const std::filesystem::path& gz) {
  std::ifstream in(tar, std::ios::binary);
  std::ofstream out(gz, std::ios::binary | std::ios::trunc);
  if (!in || !out) return Failed(fmt::format("cannot compress {} into {}", tar.string(), gz.string()));
  z_stream z{};
  // 15 + 16: a gzip wrapper, as image layers are.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Failed("cannot start zlib");
  }
  Sha256 plain, packed;
  LayerFile layer;
  std::vector<char> ibuf(1 << 20), obuf(1 << 20);
  bool ok = true;
  int flush = Z_NO_FLUSH;
  while (ok && flush != Z_FINISH) {
    in.read(ibuf.data(), static_cast<std::streamsize>(ibuf.size()));
    size_t n = static_cast<size_t>(in.gcount());
    if (in.bad()) ok = false;
    flush = in.eof() ? Z_FINISH : Z_NO_FLUSH;
    plain.Update(std::string_view(ibuf.data(), n));
    z.next_in = reinterpret_cast<Bytef*>(ibuf.data());
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(obuf.data());
      z.avail_out = static_cast<uInt>(obuf.size());
      if (deflate(&z, flush) == Z_STREAM_ERROR) ok = false;
      size_t have = obuf.size() - z.avail_out;
      packed.Update(std::string_view(obuf.data(), have));
      out.write(obuf.data(), static_cast<std::streamsize>(have));
      layer.size += have;
    } while (ok && z.avail_out == 0);
  }
  deflateEnd(&z);
  out.close();
  if (!ok || !out) return Failed(fmt::format("cannot compress {} into {}", tar.string(), gz.string()));
  layer.diff_id = "sha256:" + plain.HexDigest();
  layer.digest = "sha256:" + packed.HexDigest();
  return layer;
}

SlugImage::SlugImage(DockerClient& docker, std::string registry, std::string run_image,
                     std::optional<RegistryCredentials> credentials)
    : docker_(docker), registry_(registry), run_image_(std::move(run_image)), client_(registry, std::move(credentials)) {}

Result<SlugImage::Base> SlugImage::EnsureBase(Output& out) {
  auto inspected = docker_.InspectImage(run_image_);
  if (!inspected) {
    return Failed(fmt::format("the run stack image {} is missing: {} (`mothershipd setup` or `stack:rebuild` builds it)",
                              run_image_, inspected.error().message));
  }
  std::string id = inspected->id;
  std::lock_guard lock(mu_);
  if (base_ && base_->image_id == id) return *base_;
  Base base;
  base.image_id = id;
  base.repo = "mothership/run";
  std::string tag = "bookworm-" + id.substr(id.find(':') + 1, 12);
  auto manifest = client_.GetManifest(base.repo, tag);
  if (!manifest && manifest.error().code == ErrorCode::kNotFound) {
    WriteLine(out, "Pushing the run stack image to the registry (once per version of it)");
    std::string remote = registry_ + "/" + base.repo;
    if (auto r = docker_.TagImage(run_image_, remote, tag); !r) return std::unexpected(r.error());
    auto pushed = docker_.PushImage(remote, tag, nullptr);
    // Two daemons pushing the same new layers at once can make one push fail
    // ("unknown error" from the registry); pushing again finds them there.
    if (!pushed) pushed = docker_.PushImage(remote, tag, nullptr);
    if (!pushed) return std::unexpected(pushed.error());
    manifest = client_.GetManifest(base.repo, tag);
  }
  if (!manifest) return std::unexpected(manifest.error());
  base.manifest = manifest->body;
  auto config = client_.ReadBlob(base.repo, base.manifest["config"].value("digest", ""));
  if (!config) return std::unexpected(config.error());
  base.config = nlohmann::json::parse(*config, nullptr, false);
  if (!base.config.is_object() || !base.config["rootfs"]["diff_ids"].is_array()) {
    return Failed("the run image's config in the registry is not an image config");
  }
  base_ = base;
  return base;
}

Result<std::string> SlugImage::Push(const SlugImageSpec& spec, Output& out) {
  auto base = EnsureBase(out);
  if (!base) return std::unexpected(base.error());

  auto layer = CompressLayer(spec.slug_tar, spec.scratch_dir / "slug.tar.gz");
  if (!layer) return std::unexpected(layer.error());

  // The base layers are shared, not copied: a mount is one request each.
  for (const auto& l : base->manifest["layers"]) {
    std::string digest = l.value("digest", "");
    auto mounted = client_.MountBlob(spec.repo, digest, base->repo);
    if (!mounted) return std::unexpected(mounted.error());
    if (!*mounted) {
      return Failed(fmt::format("the registry would not share layer {} of the run image with {}",
                                digest.substr(0, 19), spec.repo));
    }
  }
  auto exists = client_.BlobExists(spec.repo, layer->digest);
  if (!exists) return std::unexpected(exists.error());
  if (!*exists) {
    if (auto r = client_.UploadBlob(spec.repo, layer->digest, spec.scratch_dir / "slug.tar.gz"); !r) {
      return std::unexpected(r.error());
    }
  }

  // The image config: the run image's, with the slug's layer, labels, env and command.
  nlohmann::json config = base->config;
  config.erase("container");
  config.erase("container_config");
  std::string now = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(
                                                             std::chrono::system_clock::now()));
  config["created"] = now;
  nlohmann::json& c = config["config"];
  if (!c.is_object()) c = nlohmann::json::object();
  if (!c["Labels"].is_object()) c["Labels"] = nlohmann::json::object();
  for (const auto& [k, v] : spec.labels) c["Labels"][k] = v;
  if (!c["Env"].is_array()) c["Env"] = nlohmann::json::array();
  for (const auto& kv : spec.env) {
    std::string key = kv.substr(0, kv.find('='));
    auto& env = c["Env"];
    for (auto it = env.begin(); it != env.end();) {
      std::string old = it->is_string() ? it->get<std::string>() : "";
      it = old.substr(0, old.find('=')) == key ? env.erase(it) : it + 1;
    }
    env.push_back(kv);
  }
  if (!spec.cmd.empty()) c["Cmd"] = spec.cmd;
  config["rootfs"]["diff_ids"].push_back(layer->diff_id);
  if (!config["history"].is_array()) config["history"] = nlohmann::json::array();
  config["history"].push_back({{"created", now}, {"created_by", "mothership: slug " + spec.tag}});
  std::string config_text = DumpJson(config);
  std::string config_digest = Sha256::Digest(config_text);
  if (auto r = client_.UploadBlob(spec.repo, config_digest, config_text); !r) return std::unexpected(r.error());

  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", kManifestV2},
      {"config", {{"mediaType", kImageConfigV1}, {"size", config_text.size()}, {"digest", config_digest}}},
      {"layers", base->manifest["layers"]}};
  manifest["layers"].push_back({{"mediaType", kLayerTarGzip}, {"size", layer->size}, {"digest", layer->digest}});
  return client_.PutManifest(spec.repo, spec.tag, manifest);
}

}  // namespace ms
