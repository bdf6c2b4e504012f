#include "server/builder/context_image.h"

#include <fmt/format.h>

#include "server/common/tar_writer.h"

namespace ms {

Result<void> BuildImageFromFiles(DockerClient& docker, const std::filesystem::path& scratch_dir, const std::string& tag,
                                 const std::vector<ContextFile>& files,
                                 const std::map<std::string, std::string>& build_args, const LineSink& out) {
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  if (ec) return Failed(fmt::format("cannot create {}: {}", scratch_dir.string(), ec.message()));
  auto context = scratch_dir / "context.tar";
  Result<void> written = [&]() -> Result<void> {
    TarWriter tar(context);
    for (const auto& f : files) {
      if (auto r = tar.AddFile(f.name, f.data, f.mode); !r) return r;
    }
    return tar.Finish();
  }();
  auto built = written ? docker.BuildImage(context, tag, build_args, out) : written;
  std::filesystem::remove_all(scratch_dir, ec);
  return built;
}

}  // namespace ms
