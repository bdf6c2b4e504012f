#include "server/api/api_reply.h"

namespace ms {

ApiReply ErrorReply(int status, std::string_view id, std::string message) {
  return ApiReply{status, {{"id", std::string(id)}, {"message", std::move(message)}}, {}};
}

ApiReply ErrorReply(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument: return ErrorReply(422, "invalid_params", error.message);
    case ErrorCode::kNotFound: return ErrorReply(404, "not_found", error.message);
    case ErrorCode::kAlreadyExists: return ErrorReply(409, "conflict", error.message);
    case ErrorCode::kPermissionDenied: return ErrorReply(403, "forbidden", error.message);
    case ErrorCode::kBusy: return ErrorReply(409, "busy", error.message);
    case ErrorCode::kUnavailable: return ErrorReply(503, "unavailable", error.message);
    case ErrorCode::kFailed: break;
  }
  return ErrorReply(422, "failed", error.message);
}

}  // namespace ms
