// EngineDockerClient, attach part: a container's stdin, stdout and stderr over
// one hijacked connection (the Engine API upgrades POST /containers/ID/attach to
// a raw stream). libcurl makes the connection (CONNECT_ONLY) and moves the bytes.

#include <curl/curl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "server/docker/engine_docker_client.h"
#include "server/docker/engine_request.h"

namespace ms {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

bool WaitFor(curl_socket_t sock, short events) {
  pollfd p{sock, events, 0};
  return ::poll(&p, 1, 10000) > 0;
}

bool SendAll(CURL* c, curl_socket_t sock, std::string_view data) {
  while (!data.empty()) {
    size_t sent = 0;
    CURLcode rc = curl_easy_send(c, data.data(), data.size(), &sent);
    if (rc == CURLE_AGAIN) {
      if (!WaitFor(sock, POLLOUT)) return false;
      continue;
    }
    if (rc != CURLE_OK) return false;
    data.remove_prefix(sent);
  }
  return true;
}

}  // namespace

Result<void> EngineDockerClient::Attach(const std::string& id, int stdin_fd,
                                        const std::function<bool(int, std::string_view)>& out, bool tty,
                                        const std::function<bool()>& cancelled) {
  auto path = Path(fmt::format("/containers/{}/attach?stream=1&stdout=1&stderr=1&stdin={}", id, stdin_fd >= 0));
  if (!path) return std::unexpected(path.error());
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Failed("cannot initialise libcurl");
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path().c_str());
  curl_easy_setopt(c, CURLOPT_URL, "http://localhost/");
  curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(c) != CURLE_OK) {
    return Unavailable(fmt::format("the Docker engine does not answer on {}", socket_path()));
  }
  curl_socket_t sock = CURL_SOCKET_BAD;
  curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &sock);
  std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n", *path);
  if (sock == CURL_SOCKET_BAD || !SendAll(c, sock, request)) return Failed("cannot attach to the container");

  // The response head, then the raw stream.
  std::string head;
  char buf[65536];
  while (head.find("\r\n\r\n") == std::string::npos) {
    size_t n = 0;
    CURLcode rc = curl_easy_recv(c, buf, sizeof buf, &n);
    if (rc == CURLE_AGAIN) {
      if (!WaitFor(sock, POLLIN)) return Failed("the engine did not answer the attach");
      continue;
    }
    if (rc != CURLE_OK || n == 0 || head.size() > 65536) return Failed("the engine closed the attach");
    head.append(buf, n);
  }
  if (!head.starts_with("HTTP/1.1 101") && !head.starts_with("HTTP/1.1 200")) {
    return Failed(fmt::format("cannot attach to the container: {}", head.substr(0, head.find('\r'))));
  }
  std::string rest = head.substr(head.find("\r\n\r\n") + 4);

  if (auto r = StartContainer(id); !r) return std::unexpected(r.error());
  engine::FrameSplitter frames(out);
  auto deliver = [&](std::string_view data) { return tty ? out(1, data) : frames.Feed(data); };
  if (!rest.empty() && !deliver(rest)) return {};
  bool stdin_open = stdin_fd >= 0;
  while (!(cancelled && cancelled())) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {stdin_open ? stdin_fd : -1, POLLIN, 0}};
    if (::poll(fds, 2, 200) < 0) break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      size_t n = 0;
      CURLcode rc = curl_easy_recv(c, buf, sizeof buf, &n);
      if (rc == CURLE_AGAIN) continue;
      if (rc != CURLE_OK || n == 0) break;  // the container's output ended
      if (!deliver(std::string_view(buf, n))) break;
    }
    if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = ::read(stdin_fd, buf, sizeof buf);
      if (n <= 0) {
        stdin_open = false;
        // EOF for the container's stdin. Not with a terminal: there ^D is a
        // byte, and the engine would end the whole attach, output included.
        if (!tty) ::shutdown(sock, SHUT_WR);
      } else if (!SendAll(c, sock, std::string_view(buf, static_cast<size_t>(n)))) {
        stdin_open = false;
      }
    }
  }
  return {};
}

}  // namespace ms
