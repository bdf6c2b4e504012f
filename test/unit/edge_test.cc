// The edge's descriptor passing: a descriptor and its tag cross a unix socket.

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include "proxy/edge.h"

TEST_CASE("SendDescriptor and ReceiveDescriptor pass a socket with its tag", "[proxy]") {
  int link[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, link) == 0);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);

  char tag = 0;
  bool closed = false;
  CHECK(ms::proxy::ReceiveDescriptor(link[1], tag, closed) == -1);  // nothing yet
  CHECK_FALSE(closed);

  REQUIRE(ms::proxy::SendDescriptor(link[0], pipe_fds[1], 'm'));
  int got = ms::proxy::ReceiveDescriptor(link[1], tag, closed);
  REQUIRE(got >= 0);
  CHECK(tag == 'm');
  // The received descriptor is the same pipe: what goes in comes out.
  REQUIRE(::write(got, "x", 1) == 1);
  char c = 0;
  REQUIRE(::read(pipe_fds[0], &c, 1) == 1);
  CHECK(c == 'x');

  ::close(link[0]);
  CHECK(ms::proxy::ReceiveDescriptor(link[1], tag, closed) == -1);
  CHECK(closed);
  for (int fd : {link[1], pipe_fds[0], pipe_fds[1], got}) ::close(fd);
}
