#include "proxy/exchange.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

#include "proxy/body_relay.h"
#include "proxy/head_rewrite.h"

namespace ms::proxy {
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

}  // namespace

asio::awaitable<ExchangeResult> Exchange::Run(const RequestHead& req, std::string_view head, Framing& body,
                                              Buffer& out, ResponseHead& resp) {
  failure_ = AttemptFailure{};
  tried_.clear();
  // Only a request without a body can be sent again: its bytes are all here.
  failure_.can_retry = body.kind == Framing::kNone && IsIdempotent(req.method);
  for (;; ++failure_.attempt) {
    if (!co_await Pick()) co_return ExchangeResult{ExchangeResult::kAnswer, 503};
    c_.upstream = upstreams_.TakeIdle(peer_);
    c_.timed_out = failure_.unreachable = false;
    failure_.reused = c_.upstream.is_open();
    Step step = Step::kOk;
    if (!failure_.reused) step = co_await Connect();
    if (step == Step::kOk) step = co_await SendRequest(req, head, body);
    if (step == Step::kOk) step = co_await ReadResponseHead(out, resp);
    if (step == Step::kOk) co_return ExchangeResult{};
    if (step == Step::kEnd) co_return end_;
    FailureAction action = OnFailure();
    if (action.next == FailureAction::kClose) co_return ExchangeResult{ExchangeResult::kClose};
    if (action.next == FailureAction::kAnswer) co_return ExchangeResult{ExchangeResult::kAnswer, action.status};
    out.Release(true);
  }
}

asio::awaitable<bool> Exchange::Pick() {
  if (!route_.socket.empty()) {  // (its length fits: contracts::ParseRoutesFile checked it)
    peer_ = asio::local::stream_protocol::endpoint(route_.socket);
    if (config_.access_log) task_name_ = "unix:" + route_.socket;
    co_return true;
  }
  if (upstreams_.Unresolved(route_.upstream)) {
    co_await upstreams_.Resolve(route_.upstream_host, route_.upstream_port);
  }
  auto address = upstreams_.Pick(route_.upstream, tried_);
  if (!address) co_return false;
  task_ = address;
  tried_.push_back(*address);
  peer_ = *address;
  if (config_.access_log) task_name_ = address->address().to_string() + ":" + std::to_string(address->port());
  co_return true;
}

asio::awaitable<Exchange::Step> Exchange::Connect() {
  failure_.stage = AttemptStage::kConnect;
  // A try is short when another task, not tried yet, can take the request.
  const bool another = task_ && upstreams_.Untried(route_.upstream, tried_) > 0;
  const std::chrono::milliseconds limit = another ? config_.first_connect_timeout : config_.connect_timeout;
  c_.SetUpstreamDeadline(limit);
  auto [ec] = co_await c_.upstream.async_connect(peer_, kNoThrow);
  if (ec) co_return Step::kFailed;
  if (!task_) co_return Step::kOk;  // a unix socket: no TCP options
  boost::system::error_code ignored;
  c_.upstream.set_option(tcp::no_delay(true), ignored);
  const unsigned int unacknowledged = static_cast<unsigned int>(config_.unacknowledged_timeout.count());
  ::setsockopt(c_.upstream.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &unacknowledged, sizeof unacknowledged);
  co_return Step::kOk;
}

asio::awaitable<Exchange::Step> Exchange::SendRequest(const RequestHead& req, std::string_view head, Framing& body) {
  failure_.stage = AttemptStage::kSend;
  c_.SetDeadline(config_.body_timeout);
  size_t first = body.Take(c_.in.data());
  if (body.Failed()) co_return End(ExchangeResult::kAnswer, 400);
  std::array<asio::const_buffer, 2> bytes = {asio::buffer(head), asio::buffer(c_.in.data().data(), first)};
  auto [ec, written] = co_await asio::async_write(c_.upstream, bytes, kNoThrow);
  if (ec) {
    failure_.unreachable = ec == asio::error::timed_out;
    co_return Step::kFailed;
  }
  c_.in.Consume(first);
  if (body.Done()) co_return Step::kOk;
  if (req.expect_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    auto [cec, n] = co_await c_.client.Write(asio::buffer(kContinue));
    if (cec) co_return End(ExchangeResult::kClose);
  }
  co_return co_await SendRestOfBody(body, first);
}

asio::awaitable<Exchange::Step> Exchange::SendRestOfBody(Framing& body, uint64_t sent) {
  uint64_t max = config_.max_body_bytes;
  uint64_t allowed = max == 0 ? kNoBodyLimit : max > sent ? max - sent : 0;
  // Each read waits at most body_timeout, and the body as a whole must keep
  // up min_body_bytes_per_second once header_timeout has passed: a client
  // that trickles bytes is cut where its average falls behind.
  const auto started = Clock::now();
  auto before_read = [this, started, sent](uint64_t bytes) {
    c_.SetDeadline(config_.body_timeout);
    if (uint64_t rate = config_.min_body_bytes_per_second) {
      auto by_rate = started + config_.header_timeout + std::chrono::seconds((sent + bytes) / rate);
      c_.deadline = std::min(c_.deadline, by_rate);
    }
  };
  auto relayed = co_await RelayBody(c_.client, c_.upstream, c_.in, body, {}, before_read, allowed);
  switch (relayed.end) {
    case RelayEnd::kDone:
      co_return Step::kOk;
    case RelayEnd::kTruncated:  // the client went away mid-body
      co_return End(ExchangeResult::kClose);
    case RelayEnd::kMalformed:
      co_return End(ExchangeResult::kAnswer, 400);
    case RelayEnd::kTooLarge:
      co_return End(ExchangeResult::kAnswer, 413);
    case RelayEnd::kSinkFailed:
      metrics_.UpstreamError(app_);
      co_return End(ExchangeResult::kAnswer, 502);
  }
  co_return End(ExchangeResult::kAnswer, 502);
}

asio::awaitable<Exchange::Step> Exchange::ReadResponseHead(Buffer& out, ResponseHead& resp) {
  failure_.stage = AttemptStage::kResponseHead;
  failure_.got_bytes = failure_.malformed = false;
  out.Acquire();
  c_.SetUpstreamDeadline(config_.response_timeout);
  while (true) {
    Parse parsed = ParseResponseHead(out.data(), config_.head, resp);
    if (parsed == Parse::kDone && resp.status >= 100 && resp.status < 200 && resp.status != 101) {
      out.Consume(resp.size);
      continue;
    }
    if (parsed == Parse::kDone) co_return Step::kOk;
    if (parsed == Parse::kError || out.Full()) {
      failure_.malformed = true;
      co_return Step::kFailed;
    }
    auto [ec, n] = co_await c_.upstream.async_read_some(out.Space(), kNoThrow);
    if (ec || n == 0) {
      failure_.unreachable = ec == asio::error::timed_out;
      co_return Step::kFailed;
    }
    failure_.got_bytes = true;
    out.Commit(n);
  }
}

Exchange::Step Exchange::End(ExchangeResult::Kind kind, int status) {
  c_.CloseUpstream();
  end_ = ExchangeResult{kind, status};
  return Step::kEnd;
}

FailureAction Exchange::OnFailure() {
  metrics_.UpstreamError(app_);
  c_.CloseUpstream();
  failure_.client_open = c_.client.is_open();
  failure_.timed_out = c_.timed_out;
  failure_.untried = task_ ? upstreams_.Untried(route_.upstream, tried_) : 0;
  FailureAction action = OnAttemptFailure(failure_);
  if (action.eject && task_) upstreams_.Eject(route_.upstream, *task_);
  return action;
}

}  // namespace ms::proxy
