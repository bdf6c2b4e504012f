// When an attempt to reach a task fails (retry_policy.h): another task once,
// an error answer, or the client's connection closed; which task is ejected.

#include <catch2/catch.hpp>

#include "proxy/retry_policy.h"

using ms::proxy::AttemptFailure;
using ms::proxy::AttemptStage;
using ms::proxy::FailureAction;
using ms::proxy::OnAttemptFailure;

namespace {

AttemptFailure At(AttemptStage stage, int attempt = 0) {
  AttemptFailure f;
  f.stage = stage;
  f.attempt = attempt;
  return f;
}

}  // namespace

TEST_CASE("A refused connection goes to another task once, whatever the request, and the task is ejected",
          "[proxy]") {
  AttemptFailure f = At(AttemptStage::kConnect);
  f.can_retry = false;  // even a POST with a body: nothing was sent
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kRetry);
  CHECK(a.eject);

  f.attempt = 1;
  a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kAnswer);
  CHECK(a.status == 502);
  CHECK(a.eject);
}

TEST_CASE("A node that is lost takes several tasks: a request goes on to tasks not tried yet, 3 tries in all",
          "[proxy]") {
  // Two of the app's four tasks were on the lost host: the second pick may be
  // the other one.
  for (auto stage : {AttemptStage::kConnect, AttemptStage::kSend, AttemptStage::kResponseHead}) {
    INFO("stage " << static_cast<int>(stage));
    AttemptFailure f = At(stage, 1);
    f.timed_out = stage == AttemptStage::kConnect;
    f.unreachable = stage != AttemptStage::kConnect;
    f.can_retry = true;
    f.untried = 2;
    FailureAction a = OnAttemptFailure(f);
    CHECK(a.next == FailureAction::kRetry);
    CHECK(a.eject);

    f.attempt = 2;  // the third try failed too: no fourth, however many tasks
    a = OnAttemptFailure(f);
    CHECK(a.next == FailureAction::kAnswer);
    CHECK(a.status == (stage == AttemptStage::kSend ? 502 : 504));

    f.attempt = 1;
    f.untried = 0;  // every other task was tried or is ejected
    CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);

    f.untried = 2;
    f.client_open = false;  // nobody to answer
    CHECK(OnAttemptFailure(f).next != FailureAction::kRetry);
  }
  // A POST with a body is sent once; only a failed connection (nothing sent)
  // goes on to other tasks.
  AttemptFailure post = At(AttemptStage::kResponseHead, 1);
  post.unreachable = true;
  post.untried = 2;
  CHECK(OnAttemptFailure(post).next == FailureAction::kAnswer);
  post.stage = AttemptStage::kConnect;
  post.unreachable = false;
  CHECK(OnAttemptFailure(post).next == FailureAction::kRetry);
  // A kept connection the task had closed is sent again once, not more.
  AttemptFailure stale = At(AttemptStage::kSend, 1);
  stale.reused = stale.can_retry = true;
  stale.untried = 2;
  CHECK(OnAttemptFailure(stale).next == FailureAction::kAnswer);
}

TEST_CASE("A second connection that times out is answered 504", "[proxy]") {
  AttemptFailure f = At(AttemptStage::kConnect, 1);
  f.timed_out = true;
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kAnswer);
  CHECK(a.status == 504);
}

TEST_CASE("A failed connection while the client is gone closes, still ejecting the task", "[proxy]") {
  AttemptFailure f = At(AttemptStage::kConnect);
  f.client_open = false;
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kClose);
  CHECK(a.eject);
}

TEST_CASE("A write that fails on a kept connection is sent again only for an idempotent request without a body",
          "[proxy]") {
  AttemptFailure f = At(AttemptStage::kSend);
  f.reused = true;
  f.can_retry = true;
  CHECK(OnAttemptFailure(f).next == FailureAction::kRetry);
  CHECK_FALSE(OnAttemptFailure(f).eject);  // the kept connection was stale, not the task

  f.can_retry = false;
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);
  CHECK(OnAttemptFailure(f).status == 502);

  f.can_retry = true;
  f.reused = false;  // a new connection that fails at once: the task is in trouble
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);

  f.reused = true;
  f.attempt = 1;
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);

  f.attempt = 0;
  f.client_open = false;
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);
}

TEST_CASE("A task that closes without a byte of answer: an idempotent request goes to another task once",
          "[proxy]") {
  AttemptFailure f = At(AttemptStage::kResponseHead);
  f.can_retry = true;
  f.reused = false;
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kRetry);
  CHECK(a.eject);  // a new connection the task closed: the task stops

  f.reused = true;
  a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kRetry);
  CHECK_FALSE(a.eject);  // a kept connection the task had closed

  f.attempt = 1;
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);

  f.attempt = 0;
  f.can_retry = false;  // a POST may have been acted on
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);
  CHECK(OnAttemptFailure(f).status == 502);
}

TEST_CASE("Part of a response head, or one that is not HTTP, is answered 502 and never retried", "[proxy]") {
  AttemptFailure f = At(AttemptStage::kResponseHead);
  f.can_retry = true;
  f.got_bytes = true;
  CHECK(OnAttemptFailure(f).next == FailureAction::kAnswer);
  CHECK(OnAttemptFailure(f).status == 502);

  f.got_bytes = false;
  f.malformed = true;
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kAnswer);
  CHECK(a.status == 502);
  CHECK_FALSE(a.eject);
}

TEST_CASE("A task too slow to answer gets 504 and no second try - a client gone meanwhile closes", "[proxy]") {
  AttemptFailure f = At(AttemptStage::kResponseHead);
  f.can_retry = true;
  f.timed_out = true;  // the sweep closed the upstream connection
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kAnswer);
  CHECK(a.status == 504);
  CHECK_FALSE(a.eject);

  f.timed_out = false;
  f.client_open = false;
  CHECK(OnAttemptFailure(f).next == FailureAction::kClose);
}

TEST_CASE("A task whose host stopped acknowledging (TCP_USER_TIMEOUT) is ejected - a GET goes to another task, "
          "a POST is answered 504",
          "[proxy]") {
  for (auto stage : {AttemptStage::kSend, AttemptStage::kResponseHead}) {
    INFO("stage " << static_cast<int>(stage));
    AttemptFailure f = At(stage);
    f.reused = true;  // a kept connection to a task on the host that went away
    f.unreachable = true;
    f.can_retry = true;
    FailureAction a = OnAttemptFailure(f);
    CHECK(a.next == FailureAction::kRetry);
    CHECK(a.eject);

    f.reused = false;  // a new connection: the same
    a = OnAttemptFailure(f);
    CHECK(a.next == FailureAction::kRetry);
    CHECK(a.eject);

    f.attempt = 1;  // the second try failed too
    a = OnAttemptFailure(f);
    CHECK(a.next == FailureAction::kAnswer);
    CHECK(a.eject);

    f.attempt = 0;
    f.can_retry = false;  // a POST with a body
    a = OnAttemptFailure(f);
    CHECK(a.next == FailureAction::kAnswer);
    CHECK(a.eject);
  }
  AttemptFailure f = At(AttemptStage::kResponseHead);
  f.unreachable = true;
  CHECK(OnAttemptFailure(f).status == 504);
  f.client_open = false;
  FailureAction a = OnAttemptFailure(f);
  CHECK(a.next == FailureAction::kClose);
  CHECK(a.eject);
}
