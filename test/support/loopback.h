#pragma once
// TCP on loopback for tests that run a server in process: a listening socket
// on a free port, and a client connection to a port; a listening unix
// socket. Failures throw std::runtime_error (the test fails, naming the call).

#include <cstdint>
#include <string>

namespace ms::test {

// A listening socket on 127.0.0.1 (backlog 64); sets port to its port.
int ListenLoopback(uint16_t& port);
// A connected socket to 127.0.0.1:port.
int ConnectLoopback(uint16_t port);
// A listening unix stream socket at path (backlog 64); a file there is replaced.
int ListenUnix(const std::string& path);

}  // namespace ms::test
