#pragma once
// ApiReply: what the HTTP API answers to one request: a status, JSON, and any
// extra headers (Retry-After, WWW-Authenticate). Errors have Heroku's shape,
// {"id": "not_found", "message": "..."}, with the status a client expects for
// each ErrorCode (ErrorReply). Plain data and pure functions; any thread.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/common/result.h"

namespace ms {

// Sends one piece of a streamed answer; false once the client is gone.
using StreamWrite = std::function<bool(std::string_view)>;

struct ApiReply {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  std::vector<std::pair<std::string, std::string>> headers{};
  // Instead of JSON: text (content_type says which), or a stream (chunked)
  // that the function writes until it returns.
  std::string content_type{};
  std::optional<std::string> text{};
  std::function<void(const StreamWrite&)> stream{};
};

// An error reply: {"id": id, "message": message}.
ApiReply ErrorReply(int status, std::string_view id, std::string message);
// The reply for a command's or an operation's error: kInvalidArgument 422
// (invalid_params), kNotFound 404 (also for apps the caller may not see),
// kAlreadyExists 409 (conflict), kPermissionDenied 403 (forbidden), kBusy 409
// (busy: a deploy in progress), kUnavailable 503, kFailed 422 (failed).
ApiReply ErrorReply(const Error& error);

}  // namespace ms
