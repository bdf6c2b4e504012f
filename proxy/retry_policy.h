#pragma once
// What the proxy does when an attempt to have a task answer a request fails:
// send it to another task, answer the client with an error, or close the
// client's connection. Pure; exchange.h applies it.
//
// The rules: nothing was sent when a connection fails, so any request may go
// to another task, and that task is ejected for a while; while tasks not
// tried yet remain, up to kMaxAttempts tries in all (a lost node takes all
// its tasks at once: the second pick may be one of them too). A request is sent
// again after it was (partly) sent only when it is idempotent and has no body
// (its bytes are all in hand), and only when the task closed without a byte
// of answer: a kept connection the task had closed, or a task that stopped.
// A task whose kernel stopped acknowledging what was sent (its host is gone or
// cut off) is ejected, and an idempotent request without a body goes to
// another task (as a failed connection does). The second try always happens
// (the same task when it is the only one: a kept connection it closed); later
// ones only on tasks not tried yet.

namespace ms::proxy {

enum class AttemptStage {
  kConnect,       // opening a new connection to the task
  kSend,          // writing the request's head
  kResponseHead,  // reading the response's head
};

struct AttemptFailure {
  AttemptStage stage = AttemptStage::kConnect;
  int attempt = 0;          // 0 for the first
  bool reused = false;      // on a kept connection
  bool can_retry = false;   // idempotent and without a body
  bool client_open = true;  // the client's connection is still open
  bool timed_out = false;   // the connection's deadline passed
  bool got_bytes = false;   // kResponseHead: the task sent part of a head
  bool malformed = false;   // kResponseHead: what it sent is not a head (or too big)
  // kSend, kResponseHead: what was sent went unacknowledged (ETIMEDOUT after
  // the socket's TCP_USER_TIMEOUT): the task's host is gone.
  bool unreachable = false;
  int untried = 0;  // the app's tasks neither tried for this request nor ejected
};

// Tries of one request, on distinct tasks, when they fail before the task
// received it (or its host is gone).
constexpr int kMaxAttempts = 3;

struct FailureAction {
  enum Next { kRetry, kAnswer, kClose } next = kAnswer;
  int status = 502;    // kAnswer: 502, or 504 after a timeout
  bool eject = false;  // skip the task for a while
};

FailureAction OnAttemptFailure(const AttemptFailure& failure);

}  // namespace ms::proxy
