#pragma once
// PushRegistry: the pushes in progress, each under a random token that the daemon
// hands to `git receive-pack` (in its environment) and that the repository's
// pre-receive hook sends back over the hook socket. Only a push the daemon
// started can trigger a deploy, and the daemon knows which app and key it is for.
// Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ms {

struct PushContext {
  std::string app;
  std::string key_name;
  std::string address;  // the client's, for the audit log
};

class PushRegistry {
 public:
  std::string Register(const PushContext& context);
  void Unregister(const std::string& token);
  std::optional<PushContext> Find(const std::string& token);

 private:
  std::mutex mu_;
  std::map<std::string, PushContext> pushes_;
};

}  // namespace ms
