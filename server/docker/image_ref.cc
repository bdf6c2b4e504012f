#include "server/docker/image_ref.h"

namespace ms {

PullRef SplitPullRef(const std::string& image) {
  auto at = image.find('@');
  std::string name = image.substr(0, at);
  auto colon = name.rfind(':');
  auto slash = name.rfind('/');
  bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  PullRef out{tagged ? name.substr(0, colon) : name, tagged ? name.substr(colon + 1) : "latest"};
  if (at != std::string::npos) out.ref = image.substr(at + 1);  // the digest pins it; the tag may have moved
  return out;
}

}  // namespace ms
