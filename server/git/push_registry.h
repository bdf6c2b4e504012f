#pragma once
// PushRegistry: the pushes in progress, each under a random token that the daemon
// hands to `git receive-pack` (in its environment) and that the repository's
// pre-receive hook sends back over the hook socket. Only a push the daemon
// started can trigger a deploy, and the daemon knows which app and key it is for.
// Thread-safe.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace ms {

struct PushContext {
  std::string app;
  std::string key_name;
  std::string address;  // the client's, for the audit log
  // True once the pusher is gone: its SSH client left, or its
  // receive-pack ended. Filled in by Find.
  std::function<bool()> client_gone;
};

class PushRegistry {
 public:
  // cancelled: the SSH job's, called only while the push is registered
  // (the job lives at least that long).
  std::string Register(const PushContext& context, std::function<bool()> cancelled);
  void Unregister(const std::string& token);
  std::optional<PushContext> Find(const std::string& token);
  // Whether the push's client is gone; an unregistered push is.
  bool Gone(const std::string& token);

 private:
  struct Entry {
    PushContext context;
    std::function<bool()> cancelled;
  };
  std::mutex mu_;
  std::map<std::string, Entry> pushes_;
};

}  // namespace ms
