#pragma once
// A fixed-size byte buffer for one direction of one connection. Its memory is
// taken from a free list while the connection is busy and given back while it
// idles, so idle connections hold no buffer. Bytes are read in at the end
// (Space, Commit) and taken out at the front (data, Consume). The free list
// belongs to the proxy's one thread.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include <boost/asio/buffer.hpp>

namespace ms::proxy {

class Buffer {
 public:
  static constexpr size_t kSize = 16 * 1024;

  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { Release(true); }

  // Takes memory (from the free list when it has some); empty after.
  void Acquire();
  // Gives the memory back when nothing is buffered (or always, when forced:
  // the bytes are dropped).
  void Release(bool force = false);

  std::string_view data() const { return {mem_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool Full() const { return end_ - begin_ == kSize; }
  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Room to read into (moves buffered bytes to the front first when needed).
  boost::asio::mutable_buffer Space() {
    if (end_ == kSize && begin_ > 0) {
      std::memmove(mem_.get(), mem_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return boost::asio::buffer(mem_.get() + end_, kSize - end_);
  }
  void Commit(size_t n) { end_ += n; }

 private:
  std::unique_ptr<char[]> mem_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace ms::proxy
