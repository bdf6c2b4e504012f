#pragma once
// Raw TCP clients for end-to-end tests of floods: connections from a chosen
// loopback source address (127.0.0.N: loopback holds all of 127/8) that say
// nothing, or little, and checks of whether the server still holds them.

#include <chrono>
#include <string>
#include <string_view>

namespace ms::test {

// A TCP connection from source address `from` to 127.0.0.1:port; -1 when the
// connect fails.
int ConnectFrom(const std::string& from, int port);

// Sends all of bytes; false when the server has closed the connection.
bool SendAll(int fd, std::string_view bytes);

// Waits until the server has sent something or closed the connection.
bool Answered(int fd, std::chrono::steady_clock::time_point deadline);

// Whether the server still holds the connection: everything it sent is read
// (and appended to `got`, when given), and no end of stream came.
bool Open(int fd, std::string* got = nullptr);

}  // namespace ms::test
