#pragma once
// ThreadGroup: threads serving connections, counted so a server can cap them and
// joined when it stops. Each thread has an exception barrier: a throw ends its
// one piece of work (logged), never the process. Spawn, Count and JoinAll may
// be called from any thread.

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace ms {

class ThreadGroup {
 public:
  ~ThreadGroup() { JoinAll(); }
  void Spawn(std::function<void()> fn);
  // Threads still running.
  int Count();
  void JoinAll();

 private:
  struct Entry {
    std::thread thread;
    bool done = false;
  };
  void ReapLocked();

  std::mutex mu_;
  std::list<std::shared_ptr<Entry>> entries_;
};

}  // namespace ms
