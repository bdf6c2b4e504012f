#include "server/builder/mothership_image.h"

#include <fmt/format.h>
#include <unistd.h>

#include "server/common/tar_writer.h"
#include "server/common/sha256.h"

namespace ms {
namespace {

const char* const kBinaries[] = {"mothershipd", "mothership", "mothership-proxy"};

// The build context, as `docker build` of an installed tree would send it.
Result<void> WriteContext(const std::filesystem::path& prefix, TarWriter& tar) {
  auto share = prefix / "share" / "mothership";
  if (auto r = tar.AddDiskFile("Dockerfile", share / "Dockerfile"); !r) {
    return Failed(fmt::format("{}: the Mothership installation under {} is incomplete (reinstall it, or build "
                              "the share_files target)",
                              r.error().message, prefix.string()));
  }
  for (const char* name : kBinaries) {
    if (auto r = tar.AddDiskFile(fmt::format("bin/{}", name), prefix / "bin" / name, 0755); !r) {
      return Failed(fmt::format("{}: build or install all of Mothership (mothershipd, mothership, mothership-proxy)",
                                r.error().message));
    }
  }
  if (auto r = tar.AddTree(share, "share/mothership/"); !r) return r;
  return tar.Finish();
}

}  // namespace

std::filesystem::path InstallPrefix() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path().parent_path() : exe.parent_path().parent_path();
}

Result<std::string> EnsureMothershipImage(DockerClient& docker, const Settings& settings,
                                          const std::filesystem::path& prefix,
                                          Output& out) {
  // The context's digest names the image: hashed as it streams, written to
  // disk only when the image must be built.
  Sha256 sha;
  TarWriter digest(sha);
  if (auto r = WriteContext(prefix, digest); !r) return std::unexpected(r.error());
  std::string image = "mothership/mothership:" + sha.HexDigest().substr(0, 12);
  auto exists = docker.ImageExists(image);
  if (!exists) return std::unexpected(exists.error());
  if (*exists) return image;

  WriteLine(out, fmt::format("Building the Mothership image {} from {} ...", image, prefix.string()));
  auto scratch = settings.data_dir / "tmp" / fmt::format("mothership-image-{}-{}", getpid(), gettid());
  std::error_code ec;
  std::filesystem::create_directories(scratch, ec);
  if (ec) return Failed(fmt::format("cannot create {}: {}", scratch.string(), ec.message()));
  auto context = scratch / "context.tar";
  std::string last;
  Result<void> built = [&]() -> Result<void> {
    TarWriter tar(context);
    if (auto r = WriteContext(prefix, tar); !r) return r;
    return docker.BuildImage(context, image, {{"BASE", settings.base_image}},
                             [&](std::string_view line) { last = line; });
  }();
  std::filesystem::remove_all(scratch, ec);
  if (!built) {
    return Failed(fmt::format("building the Mothership image failed: {}{}", built.error().message,
                              last.empty() ? "" : " (last line: " + last + ")"));
  }
  return image;
}

}  // namespace ms
