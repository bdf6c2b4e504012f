#include "proxy/retry_policy.h"

namespace ms::proxy {
namespace {

FailureAction Retry(bool eject) { return {FailureAction::kRetry, 0, eject}; }
FailureAction Answer(bool timed_out, bool eject) { return {FailureAction::kAnswer, timed_out ? 504 : 502, eject}; }
FailureAction Close(bool eject) { return {FailureAction::kClose, 0, eject}; }

}  // namespace

FailureAction OnAttemptFailure(const AttemptFailure& f) {
  bool first = f.attempt == 0;
  // Nothing reached a task (or its host is gone): another task may have it.
  bool elsewhere = first || (f.untried > 0 && f.attempt + 1 < kMaxAttempts);
  switch (f.stage) {
    case AttemptStage::kConnect:
      if (!f.client_open) return Close(true);
      return elsewhere ? Retry(true) : Answer(f.timed_out, true);
    case AttemptStage::kSend:
      if (f.can_retry && f.client_open && ((f.reused && first) || (f.unreachable && elsewhere))) {
        return Retry(f.unreachable);
      }
      return Answer(false, f.unreachable);
    case AttemptStage::kResponseHead:
      if (f.unreachable && !f.got_bytes) {
        if (!f.client_open) return Close(true);
        return f.can_retry && elsewhere ? Retry(true) : Answer(true, true);
      }
      if (!f.client_open && !f.timed_out) return Close(false);
      if (!f.malformed && !f.got_bytes && f.can_retry && first && !f.timed_out) return Retry(!f.reused);
      return Answer(f.timed_out, false);
  }
  return Answer(f.timed_out, false);
}

}  // namespace ms::proxy
