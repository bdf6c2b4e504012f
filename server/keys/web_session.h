#pragma once
// The dashboard's sign-ins: one-time links (`dashboard`) and browser sessions.
// A link's code and a session's cookie are 32 random bytes in hex; the store
// keeps only their SHA-256. A session acts as the key or API token that signed
// it in and ends with it (store_sessions.cc). Any thread.

#include <optional>
#include <string>
#include <string_view>

#include "server/common/result.h"
#include "server/keys/caller.h"
#include "server/store/store.h"

namespace ms {

constexpr std::string_view kSessionCookie = "mothership_session";
constexpr int64_t kSessionSeconds = 12 * 3600;  // a browser stays signed in this long
constexpr int64_t kLinkSeconds = 10 * 60;       // a sign-in link works once, this long

// 64 hex digits from OpenSSL's random generator.
Result<std::string> NewWebSecret();
// Whether text has a secret's shape (checked before any lookup).
bool IsWebSecretShape(std::string_view text);

// A one-time sign-in link's code for the caller: the ssh key it came with,
// or the API token.
Result<std::string> NewSignInLink(Store& store, const Caller& caller);

struct NewSession {
  std::string cookie;  // the cookie's value
  WebSession session;
};
// Signs in with a link's code (used up) or an API token: a new session, or an
// Unauthenticated error that says why not.
Result<NewSession> SignIn(Store& store, std::string_view code_or_token);

// The session of a cookie value, or nullopt (unknown, expired, or its key or token removed).
Result<std::optional<WebSession>> FindSession(Store& store, std::string_view cookie);
Result<void> SignOut(Store& store, std::string_view cookie);

// The Set-Cookie header for a session (max_age 0: removes it).
std::string SessionCookieHeader(std::string_view value, int64_t max_age);

}  // namespace ms
