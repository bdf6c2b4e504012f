#include "proxy/buffer.h"

#include <vector>

namespace ms::proxy {
namespace {

constexpr size_t kMaxPooled = 4096;

std::vector<std::unique_ptr<char[]>>& Pool() {
  thread_local std::vector<std::unique_ptr<char[]>> pool;  // each loop its own (loop_group.h)
  return pool;
}

}  // namespace

void Buffer::Acquire() {
  if (mem_) return;
  if (!Pool().empty()) {
    mem_ = std::move(Pool().back());
    Pool().pop_back();
  } else {
    mem_ = std::make_unique<char[]>(kSize);
  }
  begin_ = end_ = 0;
}

void Buffer::Release(bool force) {
  if (!mem_ || (!force && size() != 0)) return;
  if (Pool().size() < kMaxPooled) Pool().push_back(std::move(mem_));
  mem_.reset();
  begin_ = end_ = 0;
}

}  // namespace ms::proxy
