#pragma once
// Sessions: the open SSH connections by the key that authenticated them, so
// that revoking a key (keys:remove) ends its connections too. A connection
// holds its Session while it is open and checks `revoked` as it runs; the
// registry keeps only weak references. Any thread.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ms {

struct Session {
  std::string fingerprint;
  std::atomic<bool> revoked{false};
};

class Sessions {
 public:
  // Registers a connection of the key; it stays registered while the result lives.
  std::shared_ptr<Session> Open(const std::string& fingerprint);
  // Marks every open connection of these keys revoked; returns how many.
  int Revoke(const std::vector<std::string>& fingerprints);

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Session>> open_;
};

}  // namespace ms
