#pragma once
// LiveBuilds: deploys from the API while they run: their threads, and their
// output for GET /api/v1/apps/APP/builds/ID/output to follow as it is written
// (a finished build's output is the store's DeployLog). Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "server/common/output.h"
#include "server/common/thread_group.h"

namespace ms {

// One build's output, written by its thread, read by any number of followers.
class LiveBuild : public Output {
 public:
  void Write(std::string_view data) override;
  void Finish(bool succeeded);
  // The output from `offset` on, waiting up to `wait` for some when there is
  // none yet; *done once the build has ended and everything was read.
  std::string ReadFrom(size_t offset, std::chrono::milliseconds wait, bool* done);
  bool succeeded();

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::string text_;
  bool finished_ = false;
  bool succeeded_ = false;
};

class LiveBuilds {
 public:
  ~LiveBuilds() { threads_.JoinAll(); }
  void Add(int64_t id, std::shared_ptr<LiveBuild> build);
  void Remove(int64_t id);
  std::shared_ptr<LiveBuild> Find(int64_t id);
  ThreadGroup& threads() { return threads_; }

 private:
  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<LiveBuild>> builds_;
  ThreadGroup threads_;
};

}  // namespace ms
