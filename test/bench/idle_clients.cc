// bench_idle_clients HOST_HEADER PORT N: opens N keep-alive connections to
// 127.0.0.1:PORT, sends one GET on each and reads its answer, then keeps them
// all open and idle, prints "ready N", and waits until stdin closes.
// scripts/bench-proxy uses it to measure the proxy's memory per idle client.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_idle_clients HOST_HEADER PORT N\n");
    return 2;
  }
  std::string request = std::string("GET / HTTP/1.1\r\nHost: ") + argv[1] + "\r\n\r\n";
  int port = std::atoi(argv[2]);
  int n = std::atoi(argv[3]);
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      std::perror("socket");
      return 1;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      std::perror("connect");
      return 1;
    }
    if (::send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) return 1;
    // The answer: a head, then Content-Length bytes.
    std::string got;
    char buf[4096];
    size_t want = std::string::npos;
    while (want == std::string::npos || got.size() < want) {
      ssize_t r = ::recv(fd, buf, sizeof buf, 0);
      if (r <= 0) {
        std::fprintf(stderr, "connection %d closed before its answer\n", i);
        return 1;
      }
      got.append(buf, static_cast<size_t>(r));
      auto end = got.find("\r\n\r\n");
      if (want == std::string::npos && end != std::string::npos) {
        auto cl = got.find("Content-Length: ");
        if (cl == std::string::npos) cl = got.find("content-length: ");
        want = end + 4 + (cl == std::string::npos ? 0 : std::strtoul(got.c_str() + cl + 16, nullptr, 10));
      }
    }
    fds.push_back(fd);
  }
  std::printf("ready %zu\n", fds.size());
  std::fflush(stdout);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  for (int fd : fds) ::close(fd);
  return 0;
}
