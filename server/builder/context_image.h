#pragma once
// Images made from a few files held in memory (a Dockerfile and what it
// copies): the registry's image. The build context is a tar
// written to a scratch directory and removed afterwards.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "server/common/result.h"
#include "server/docker/docker_client.h"

namespace ms {

struct ContextFile {
  std::string name;
  std::string data;
  int mode = 0644;
};

Result<void> BuildImageFromFiles(DockerClient& docker, const std::filesystem::path& scratch_dir, const std::string& tag,
                                 const std::vector<ContextFile>& files,
                                 const std::map<std::string, std::string>& build_args, const LineSink& out);

}  // namespace ms
