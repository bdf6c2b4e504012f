#include "server/keys/sessions.h"

#include <algorithm>

namespace ms {

std::shared_ptr<Session> Sessions::Open(const std::string& fingerprint) {
  auto session = std::make_shared<Session>();
  session->fingerprint = fingerprint;
  std::lock_guard lock(mu_);
  std::erase_if(open_, [](const std::weak_ptr<Session>& s) { return s.expired(); });
  open_.push_back(session);
  return session;
}

int Sessions::Revoke(const std::vector<std::string>& fingerprints) {
  std::lock_guard lock(mu_);
  int revoked = 0;
  for (const auto& weak : open_) {
    auto session = weak.lock();
    if (!session) continue;
    if (std::find(fingerprints.begin(), fingerprints.end(), session->fingerprint) != fingerprints.end()) {
      session->revoked = true;
      ++revoked;
    }
  }
  return revoked;
}

}  // namespace ms
