#pragma once
// Result<T>: the value of an operation that can fail in an expected way (bad input,
// a missing app, a busy lock, an engine that is down). The error carries a code and
// a message written for the person who typed the command. Any thread may use it.

#include <expected>
#include <string>
#include <utility>

namespace ms {

enum class ErrorCode {
  kInvalidArgument,  // the caller's input is wrong; usage is worth printing
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kBusy,         // something else holds the resource; try again later
  kUnavailable,  // a service we depend on does not answer
  kFailed,       // anything else
};

struct Error {
  ErrorCode code = ErrorCode::kFailed;
  std::string message;
};

template <class T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}
inline std::unexpected<Error> InvalidArgument(std::string m) {
  return Fail(ErrorCode::kInvalidArgument, std::move(m));
}
inline std::unexpected<Error> NotFound(std::string m) {
  return Fail(ErrorCode::kNotFound, std::move(m));
}
inline std::unexpected<Error> AlreadyExists(std::string m) {
  return Fail(ErrorCode::kAlreadyExists, std::move(m));
}
inline std::unexpected<Error> PermissionDenied(std::string m) {
  return Fail(ErrorCode::kPermissionDenied, std::move(m));
}
inline std::unexpected<Error> Busy(std::string m) { return Fail(ErrorCode::kBusy, std::move(m)); }
inline std::unexpected<Error> Unavailable(std::string m) {
  return Fail(ErrorCode::kUnavailable, std::move(m));
}
inline std::unexpected<Error> Failed(std::string m) {
  return Fail(ErrorCode::kFailed, std::move(m));
}

}  // namespace ms
