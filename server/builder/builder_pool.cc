#include "server/common/json.h"
#include "server/builder/builder_pool.h"

#include <nlohmann/json.hpp>

#include "server/common/log.h"

namespace ms {

BuilderPool::~BuilderPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  threads_.JoinAll();
  for (const auto& [app, idle] : idle_) (void)docker_.RemoveContainer(idle.id);
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
    if (stopping_ || idle_.contains(app) || starting_.contains(app)) return;
    starting_.insert(app);
  }
  threads_.Spawn([this, app, spec] {
    auto key = Key(spec);
    auto id = key ? Start(spec) : Result<std::string>(std::unexpected(key.error()));
    if (!id) LogWarn("cannot start the next builder container for {}: {}", app, id.error().message);
    std::lock_guard lock(mu_);
    starting_.erase(app);
    started_.notify_all();
    if (!id) return;
    if (stopping_ || idle_.contains(app)) {
      (void)docker_.RemoveContainer(*id);
      return;
    }
    idle_[app] = {*id, *key};
  });
}

void BuilderPool::Discard(const std::string& id) {
  threads_.Spawn([this, id] { (void)docker_.RemoveContainer(id); });
}

void BuilderPool::Drop(const std::string& app) {
  std::optional<std::string> id;
  {
    std::lock_guard lock(mu_);
    if (auto it = idle_.find(app); it != idle_.end()) {
      id = it->second.id;
      idle_.erase(it);
    }
  }
  if (id) (void)docker_.RemoveContainer(*id);
}

}  // namespace ms
