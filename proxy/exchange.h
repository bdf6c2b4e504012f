#pragma once
// One request's exchange with an app's task: pick a task (round robin over
// its addresses, upstreams.h; for the platform's route, the daemon's unix
// socket), take a kept connection to it or connect, send
// the rewritten head and the request's body, read the response's head (a 1xx
// other than 101 is dropped: the proxy answered 100 itself). A failed attempt
// goes through retry_policy.h: another task once, an error status for the
// session to answer, or the client's connection closed. Runs on the proxy's
// one thread; the timeouts are the connection's deadline (connection.h).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>

#include "proxy/buffer.h"
#include "proxy/config.h"
#include "proxy/connection.h"
#include "proxy/framing.h"
#include "proxy/http_parser.h"
#include "proxy/metrics.h"
#include "proxy/retry_policy.h"
#include "proxy/routes.h"
#include "proxy/upstream_socket.h"
#include "proxy/upstreams.h"

namespace ms::proxy {

struct ExchangeResult {
  enum Kind {
    kResponse,  // a response head, in resp
    kAnswer,    // no response: the session answers status
    kClose,     // the client went away (or stopped mid-body): close
  } kind = kResponse;
  int status = 0;
};

class Exchange {
 public:
  Exchange(Connection& c, const ProxyConfig& config, Upstreams& upstreams, Metrics& metrics, const Route& route,
           const std::string& app)
      : c_(c), config_(config), upstreams_(upstreams), metrics_(metrics), route_(route), app_(app) {}

  // Sends the request (head: its rewritten head; its body's bytes come from
  // c.in as body frames them) and reads the response head into resp, from
  // the front of out (the head's bytes stay there). On kResponse the task's
  // connection is c.upstream; on any other result it is closed.
  asio::awaitable<ExchangeResult> Run(const RequestHead& req, std::string_view head, Framing& body, Buffer& out,
                                      ResponseHead& resp);

  // Where the answer came from (after kResponse): the task, or the socket.
  const UpstreamEndpoint& peer() const { return peer_; }
  // "address:port" of the last task tried ("unix:PATH" for a socket), when
  // the access log is on.
  const std::string& task_name() const { return task_name_; }

 private:
  // How a step of an attempt ended: kFailed, failure_ says where (and
  // retry_policy.h decides); kEnd, end_ is the exchange's result.
  enum class Step { kOk, kFailed, kEnd };

  // Where the next attempt goes (into task_ and peer_); false: nowhere (503).
  asio::awaitable<bool> Pick();
  asio::awaitable<Step> Connect();
  // The head with the body bytes at hand in one write, then the rest of the body.
  asio::awaitable<Step> SendRequest(const RequestHead& req, std::string_view head, Framing& body);
  asio::awaitable<Step> SendRestOfBody(Framing& body, uint64_t sent);
  asio::awaitable<Step> ReadResponseHead(Buffer& out, ResponseHead& resp);
  Step End(ExchangeResult::Kind kind, int status = 0);
  // After a failed step: counts it, closes the task's connection, ejects the
  // task when the policy says so.
  FailureAction OnFailure();

  Connection& c_;
  const ProxyConfig& config_;
  Upstreams& upstreams_;
  Metrics& metrics_;
  const Route& route_;
  const std::string& app_;
  std::optional<tcp::endpoint> task_;  // the app's task last tried (none for a socket)
  std::vector<tcp::endpoint> tried_;   // the tasks this request was tried on, in order
  UpstreamEndpoint peer_;
  std::string task_name_;
  AttemptFailure failure_;
  ExchangeResult end_;
};

}  // namespace ms::proxy
