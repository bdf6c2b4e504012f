#pragma once
// ClientCaps: the caps on open client connections, in all (max_connections)
// and per client address (max_connections_per_address), held across the
// proxy's loops (loop_group.h): a client spreading its connections over the
// loops still gets its share and no more. Any thread may call these.

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ms::proxy {

class ClientCaps {
 public:
  // max_per_address 0: no cap per address.
  ClientCaps(size_t max_total, size_t max_per_address) : max_total_(max_total), max_per_address_(max_per_address) {}
  // Counts a connection from `address`; false (nothing counted) when either
  // cap is reached: the caller closes it at once.
  bool Open(const std::string& address);
  // The end of a connection Open counted.
  void Close(const std::string& address);
  size_t open();

 private:
  const size_t max_total_;
  const size_t max_per_address_;
  std::mutex mu_;
  size_t open_ = 0;
  std::unordered_map<std::string, size_t> per_address_;
};

}  // namespace ms::proxy
