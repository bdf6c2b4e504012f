#pragma once
// What to pull for an image reference: its repository and the one reference
// the registry resolves (the digest when the name has one, else its tag).
// Pure; any thread.

#include <string>

namespace ms {

struct PullRef {
  std::string repo;  // "registry/app"
  std::string ref;   // "sha256:..." or "v3" ("latest" when the name has neither)
};

// "registry/app:v3@sha256:abc" -> {"registry/app", "sha256:abc"};
// "registry/app:v3" -> {"registry/app", "v3"}; "busybox" -> {"busybox", "latest"}.
PullRef SplitPullRef(const std::string& image);

}  // namespace ms
