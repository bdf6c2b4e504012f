#include "server/api/log_events.h"

#include <algorithm>

namespace ms {
namespace {

// Docker's RFC 3339 times drop the fraction's trailing zeros
// ("...:01.5Z", "...:01.123456789Z"): padded to nanoseconds, they compare as
// text. "" for what is not such a time.
std::string Sortable(std::string_view t) {
  if (t.size() < 20 || t.size() > 30 || t.back() != 'Z' || t[10] != 'T') return "";
  std::string whole(t.substr(0, 19));
  std::string fraction;
  if (t.size() > 20) {
    if (t[19] != '.') return "";
    fraction = std::string(t.substr(20, t.size() - 21));
  }
  if (fraction.size() > 9) return "";
  fraction.append(9 - fraction.size(), '0');
  return whole + "." + fraction;
}

}  // namespace

void LogEvents::Write(std::string_view data) {
  std::lock_guard lock(mu_);
  partial_.append(data);
  for (size_t nl = partial_.find('\n'); nl != std::string::npos; nl = partial_.find('\n')) {
    std::string line = partial_.substr(0, nl);
    partial_.erase(0, nl + 1);
    std::string id = line.substr(0, line.find(' '));
    if (!after_.empty()) {
      std::string when = Sortable(id), seen = Sortable(after_);
      if (!when.empty() && !seen.empty() && when <= seen) continue;
    }
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
