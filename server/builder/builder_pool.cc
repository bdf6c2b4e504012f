#include "server/common/json.h"
#include "server/builder/builder_pool.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/common/log.h"

namespace ms {

BuilderPool::BuilderPool(DockerClient& docker, Limits limits, Clock& clock)
    : docker_(docker), limits_(limits), clock_(clock) {
  expiry_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_.wait_for(lock, std::chrono::seconds(30), [&] { return stopping_; })) {
      lock.unlock();
      Expire();
      lock.lock();
    }
  });
}

BuilderPool::~BuilderPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_.notify_all();
  expiry_.join();
  threads_.JoinAll();
  for (const auto& [app, idle] : idle_) (void)docker_.RemoveContainer(idle.id);
}

std::vector<std::string> BuilderPool::OverLimitLocked() {
  std::vector<std::string> ids;
  while (idle_.size() > size_t(std::max(limits_.max, 0))) {
    auto oldest = idle_.begin();
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->second.since < oldest->second.since) oldest = it;
    }
    ids.push_back(oldest->second.id);
    idle_.erase(oldest);
  }
  return ids;
}

void BuilderPool::Expire() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.Now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (now - it->second.since >= limits_.keep) {
        ids.push_back(it->second.id);
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& id : ids) (void)docker_.RemoveContainer(id);
}

size_t BuilderPool::IdleCount() {
  std::lock_guard lock(mu_);
  return idle_.size();
}

Result<std::string> BuilderPool::Key(const ContainerSpec& spec) {
  auto image = docker_.InspectImage(spec.image);
  if (!image) return std::unexpected(image.error());
  nlohmann::json key = {image->id,      spec.env,        spec.labels,      spec.binds,
                        spec.limits.memory_bytes, spec.limits.nano_cpus, spec.limits.pids, spec.limits.cpu_shares, spec.network_mode, spec.user};
  return DumpJson(key);
}

Result<std::string> BuilderPool::Start(const ContainerSpec& spec) {
  ContainerSpec idle = spec;
  idle.cmd = {"sleep", "infinity"};
  auto id = docker_.CreateContainer(idle);
  if (!id) return std::unexpected(id.error());
  if (auto r = docker_.StartContainer(*id); !r) {
    (void)docker_.RemoveContainer(*id);
    return std::unexpected(r.error());
  }
  return id;
}

Result<std::string> BuilderPool::Take(const std::string& app, const ContainerSpec& spec) {
  std::optional<Idle> idle;
  {
    // A push right after the previous one waits for the container on its way.
    std::unique_lock lock(mu_);
    started_.wait(lock, [&] { return !starting_.contains(app); });
    if (auto it = idle_.find(app); it != idle_.end()) {
      idle = it->second;
      idle_.erase(it);
    }
  }
  if (idle) {
    auto key = Key(spec);
    auto state = docker_.InspectContainer(idle->id);
    if (key && *key == idle->key && state && state->running) return idle->id;
    (void)docker_.RemoveContainer(idle->id);  // made for another spec or image, or gone
  }
  return Start(spec);
}

void BuilderPool::Prewarm(const std::string& app, const ContainerSpec& spec) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || limits_.max <= 0 || idle_.contains(app) || starting_.contains(app)) return;
    starting_.insert(app);
  }
  threads_.Spawn([this, app, spec] {
    auto key = Key(spec);
    auto id = key ? Start(spec) : Result<std::string>(std::unexpected(key.error()));
    if (!id) LogWarn("cannot start the next builder container for {}: {}", app, id.error().message);
    std::vector<std::string> over;
    {
      std::lock_guard lock(mu_);
      starting_.erase(app);
      started_.notify_all();
      if (!id) return;
      if (stopping_ || idle_.contains(app)) {
        over.push_back(*id);
      } else {
        idle_[app] = {*id, *key, clock_.Now()};
        over = OverLimitLocked();
      }
    }
    for (const auto& old : over) (void)docker_.RemoveContainer(old);
  });
}

void BuilderPool::Discard(const std::string& id) {
  threads_.Spawn([this, id] { (void)docker_.RemoveContainer(id); });
}

void BuilderPool::Drop(const std::string& app) {
  std::optional<std::string> id;
  {
    // A container on its way for the app would hold its cache volume once
    // started: wait for it, then remove it too.
    std::unique_lock lock(mu_);
    started_.wait(lock, [&] { return !starting_.contains(app); });
    if (auto it = idle_.find(app); it != idle_.end()) {
      id = it->second.id;
      idle_.erase(it);
    }
  }
  if (id) (void)docker_.RemoveContainer(*id);
}

}  // namespace ms
