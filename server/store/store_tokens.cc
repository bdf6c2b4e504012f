// Store: API tokens (tokens:create). Only a token's SHA-256 is kept; a token
// works while its key name has a key and it has not expired.

#include <fmt/format.h>

#include "server/store/store.h"

namespace ms {
namespace {

ApiToken TokenRow(const Statement& s) {
  return ApiToken{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5)};
}
constexpr const char* kColumns = "id, key_name, name, created_at, last_used_at, expires_at";

}  // namespace

Result<ApiToken> Store::AddToken(const ApiToken& token, const std::string& hash) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("INSERT INTO api_tokens (key_name, name, hash, expires_at) VALUES (?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  auto r = stmt->Bind(1, token.key_name).Bind(2, token.name).Bind(3, hash).Bind(4, token.expires_at).Run();
  if (!r) {
    if (r.error().code == ErrorCode::kAlreadyExists) {
      return AlreadyExists(fmt::format("you have a token named '{}' already (tokens lists them; "
                                       "tokens:revoke {} ends it)",
                                       token.name, token.name));
    }
    return std::unexpected(r.error());
  }
  auto read = db_->Prepare(fmt::format("SELECT {} FROM api_tokens WHERE id = ?", kColumns));
  if (!read) return std::unexpected(read.error());
  read->Bind(1, db_->LastInsertId());
  auto row = read->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Failed("the new token was not recorded");
  return TokenRow(*read);
}

Result<std::optional<ApiToken>> Store::UseToken(const std::string& hash, int64_t now) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format(
      "SELECT {} FROM api_tokens WHERE hash = ?1 AND (expires_at = 0 OR expires_at > ?2) "
      "AND EXISTS (SELECT 1 FROM ssh_keys WHERE ssh_keys.name = api_tokens.key_name)",
      kColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, hash).Bind(2, now);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ApiToken>();
  ApiToken token = TokenRow(*stmt);
  auto touch = db_->Prepare(
      "UPDATE api_tokens SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
  if (!touch) return std::unexpected(touch.error());
  if (auto r = touch->Bind(1, token.id).Run(); !r) return std::unexpected(r.error());
  return std::optional<ApiToken>(std::move(token));
}

Result<std::vector<ApiToken>> Store::ListTokens(const std::string& key_name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format(
      "SELECT {} FROM api_tokens WHERE ?1 = '' OR key_name = ?1 ORDER BY key_name, name", kColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key_name);
  std::vector<ApiToken> tokens;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return tokens;
    tokens.push_back(TokenRow(*stmt));
  }
}

Result<bool> Store::RemoveToken(const std::string& key_name, const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM api_tokens WHERE key_name = ? AND name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, key_name).Bind(2, name).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

}  // namespace ms
