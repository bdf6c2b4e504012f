#include "proxy/client_caps.h"

namespace ms::proxy {

bool ClientCaps::Open(const std::string& address) {
  std::lock_guard lock(mu_);
  if (open_ >= max_total_) return false;
  if (max_per_address_) {
    size_t& n = per_address_[address];
    if (n >= max_per_address_) return false;
    ++n;
  }
  ++open_;
  return true;
}

void ClientCaps::Close(const std::string& address) {
  std::lock_guard lock(mu_);
  if (open_ > 0) --open_;
  if (!max_per_address_) return;
  if (auto at = per_address_.find(address); at != per_address_.end() && --at->second == 0) per_address_.erase(at);
}

size_t ClientCaps::open() {
  std::lock_guard lock(mu_);
  return open_;
}

}  // namespace ms::proxy
