#pragma once
// An in-memory Asio stream for the proxy's relay and tunnel tests (header
// only: test/CMakeLists.txt globs unit/*.cc). Reads hand out a scripted
// input in pieces of at most max_read bytes, then the end of the stream; a
// stream held open instead waits at the end until Close() or a cancellation.
// Writes are appended to `written`, and fail once fail_writes_after bytes
// were taken. Completions are posted to the executor, as a socket's are.
// One thread.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio.hpp>

#include "proxy/buffer.h"

namespace ms::test {

class MemoryStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  MemoryStream(executor_type ex, std::string input, size_t max_read = std::numeric_limits<size_t>::max())
      : ex_(std::move(ex)), input_(std::move(input)), max_read_(max_read) {}

  executor_type get_executor() { return ex_; }

  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const Buffers& b) { StartRead(std::move(handler), *boost::asio::buffer_sequence_begin(b)); },
        token, buffers);
  }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
        [this](auto handler, const Buffers& b) {
          ++writes;
          size_t n = std::min(boost::asio::buffer_size(b), fail_writes_after - std::min(fail_writes_after, written.size()));
          boost::system::error_code ec;
          if (n == 0 && boost::asio::buffer_size(b) > 0) ec = boost::asio::error::broken_pipe;
          std::string bytes(n, '\0');
          boost::asio::buffer_copy(boost::asio::buffer(bytes), b);
          written += bytes;
          Complete(std::move(handler), ec, n);
        },
        token, buffers);
  }

  // A read waiting at the end of a held-open stream gets the end of the stream.
  void Close() {
    closed_ = true;
    if (pending_) std::exchange(pending_, nullptr)->Complete(boost::asio::error::eof);
  }

  std::string_view unread() const { return std::string_view(input_).substr(pos_); }

  std::string written;
  size_t reads = 0;
  size_t writes = 0;
  size_t fail_writes_after = std::numeric_limits<size_t>::max();
  bool hold_open = false;

 private:
  // A read waiting at the end of a held-open stream.
  struct Pending {
    virtual ~Pending() = default;
    virtual void Complete(boost::system::error_code ec) = 0;
  };
  template <class H>
  struct Waiting : Pending {
    Waiting(MemoryStream* s, H h) : stream(s), handler(std::move(h)) {}
    void Complete(boost::system::error_code ec) override { stream->Complete(std::move(handler), ec, 0); }
    MemoryStream* stream;
    H handler;
  };

  template <class H>
  void StartRead(H handler, boost::asio::mutable_buffer into) {
    ++reads;
    if (pos_ == input_.size() && hold_open && !closed_) {
      auto slot = boost::asio::get_associated_cancellation_slot(handler);
      if (slot.is_connected()) {
        slot.assign([this](boost::asio::cancellation_type) {
          if (pending_) std::exchange(pending_, nullptr)->Complete(boost::asio::error::operation_aborted);
        });
      }
      pending_ = std::make_unique<Waiting<H>>(this, std::move(handler));
      return;
    }
    size_t n = std::min({into.size(), max_read_, input_.size() - pos_});
    std::memcpy(into.data(), input_.data() + pos_, n);
    pos_ += n;
    Complete(std::move(handler), n == 0 ? boost::asio::error::eof : boost::system::error_code{}, n);
  }

  template <class H>
  void Complete(H handler, boost::system::error_code ec, size_t n) {
    boost::asio::post(ex_, [h = std::move(handler), ec, n]() mutable { std::move(h)(ec, n); });
  }

  executor_type ex_;
  std::string input_;
  size_t max_read_;
  size_t pos_ = 0;
  bool closed_ = false;
  std::unique_ptr<Pending> pending_;
};

// Puts bytes in buf as if they had been read.
inline void Fill(proxy::Buffer& buf, std::string_view bytes) {
  buf.Acquire();
  auto space = buf.Space();
  size_t n = std::min(space.size(), bytes.size());
  std::memcpy(space.data(), bytes.data(), n);
  buf.Commit(n);
}

}  // namespace ms::test
