#include "server/keys/web_session.h"

#include <ctime>
#include <fmt/format.h>

#include "server/common/random.h"
#include "server/common/sha256.h"
#include "server/keys/api_token.h"

namespace ms {
namespace {

constexpr size_t kSecretBytes = 32;

std::string Hash(std::string_view secret) {
  Sha256 sha;
  sha.Update(secret);
  return sha.HexDigest();
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

Result<std::string> NewWebSecret() { return RandomHex(kSecretBytes); }

bool IsWebSecretShape(std::string_view text) {
  if (text.size() != 2 * kSecretBytes) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> NewSignInLink(Store& store, const Caller& caller) {
  if (caller.key_fingerprint.empty() && caller.token_id == 0) {
    return InvalidArgument("a sign-in link is for a caller with an ssh key or an API token");
  }
  auto code = NewWebSecret();
  if (!code) return code;
  WebSession link{caller.key_name, caller.role, caller.key_fingerprint, caller.token_id, "", "", Now() + kLinkSeconds};
  if (auto r = store.AddWebSession(Hash(*code), true, link); !r) return std::unexpected(r.error());
  return code;
}

Result<NewSession> SignIn(Store& store, std::string_view code_or_token) {
  WebSession session;
  if (IsApiTokenShape(code_or_token)) {
    auto caller = TokenCaller(store, code_or_token, Now());
    if (!caller) return std::unexpected(caller.error());
    if (!*caller) return PermissionDenied("the token is not valid: it was revoked, expired, or never made");
    session = WebSession{(*caller)->key_name, (*caller)->role, "", (*caller)->token_id, (*caller)->token, "", 0};
  } else if (IsWebSecretShape(code_or_token)) {
    auto link = store.FindWebSession(Hash(code_or_token), true, Now());
    if (!link) return std::unexpected(link.error());
    if (!*link) {
      return PermissionDenied("the sign-in link was used already or is over 10 minutes old: "
                             "run `mothership dashboard` for a new one");
    }
    session = **link;
  } else {
    return PermissionDenied("that is neither an API token (mst_...) nor a sign-in link's code");
  }
  auto cookie = NewWebSecret();
  if (!cookie) return std::unexpected(cookie.error());
  auto csrf = NewWebSecret();
  if (!csrf) return std::unexpected(csrf.error());
  session.csrf = *csrf;
  session.expires_at = Now() + kSessionSeconds;
  if (auto r = store.AddWebSession(Hash(*cookie), false, session); !r) return std::unexpected(r.error());
  return NewSession{*cookie, session};
}

Result<std::optional<WebSession>> FindSession(Store& store, std::string_view cookie) {
  if (!IsWebSecretShape(cookie)) return std::optional<WebSession>();
  return store.FindWebSession(Hash(cookie), false, Now());
}

Result<void> SignOut(Store& store, std::string_view cookie) {
  if (!IsWebSecretShape(cookie)) return {};
  return store.RemoveWebSession(Hash(cookie));
}

std::string SessionCookieHeader(std::string_view value, int64_t max_age) {
  return fmt::format("{}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Strict", kSessionCookie, value, max_age);
}

}  // namespace ms
