#include "server/api/log_events.h"

#include <algorithm>

namespace ms {

void LogEvents::Write(std::string_view data) {
  std::lock_guard lock(mu_);
  partial_.append(data);
  for (size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    std::string id = line.substr(0, line.find(' '));
    if (!after_.empty() && id.size() == after_.size() && id <= after_) continue;
    if (id.size() > 64 || id.find('\r') != std::string::npos) id.clear();
    std::string event = id.empty() ? "" : "id: " + id + "\n";
    event += "data: " + line + "\n\n";
    if (!write_(event)) gone_ = true;
  }
}

void LogEvents::Heartbeat() {
  std::lock_guard lock(mu_);
  if (!write_(": ping\n\n")) gone_ = true;
}

void LogEvents::Event(const std::string& name, const std::string& data) {
  std::lock_guard lock(mu_);
  std::string text = "event: " + name + "\n";
  size_t start = 0;
  while (start <= data.size()) {
    size_t end = std::min(data.find('\n', start), data.size());
    text += "data: " + data.substr(start, end - start) + "\n";
    start = end + 1;
  }
  if (!write_(text + "\n")) gone_ = true;
}

bool LogEvents::gone() {
  std::lock_guard lock(mu_);
  return gone_;
}

}  // namespace ms
