#pragma once
// FdStream: a blocking socket as Beast's SyncReadStream and SyncWriteStream,
// where every read and write waits at most `timeout` (then fails with
// timed_out), which Asio's own sockets cannot do. One thread at a time.

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <chrono>

namespace ms {

class FdStream {
 public:
  FdStream(int fd, std::chrono::milliseconds timeout) : fd_(fd), timeout_(timeout) {}
  int fd() const { return fd_; }

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b = *it;
      if (b.size() == 0) continue;
      if (!Wait(POLLIN, ec)) return 0;
      ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
      if (n < 0) {
        ec.assign(errno, boost::system::system_category());
        return 0;
      }
      if (n == 0) {
        ec = boost::asio::error::eof;
        return 0;
      }
      ec = {};
      return static_cast<size_t>(n);
    }
    ec = {};
    return 0;
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::const_buffer b = *it;
      if (b.size() == 0) continue;
      if (!Wait(POLLOUT, ec)) return 0;
      ssize_t n = ::send(fd_, b.data(), b.size(), MSG_NOSIGNAL);
      if (n < 0) {
        ec.assign(errno, boost::system::system_category());
        return 0;
      }
      ec = {};
      return static_cast<size_t>(n);
    }
    ec = {};
    return 0;
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    boost::system::error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  bool Wait(short events, boost::system::error_code& ec) {
    pollfd p{fd_, events, 0};
    for (;;) {
      int r = ::poll(&p, 1, static_cast<int>(timeout_.count()));
      if (r > 0) return true;
      if (r == 0) {
        ec = boost::asio::error::timed_out;
        return false;
      }
      if (errno != EINTR) {
        ec.assign(errno, boost::system::system_category());
        return false;
      }
    }
  }

  int fd_;
  std::chrono::milliseconds timeout_;
};

}  // namespace ms
