#include "server/contracts/hook_protocol.h"

#include "server/contracts/json_fields.h"

namespace ms::contracts {

using detail::Json;

std::string ToJson(const HookRequest& request) {
  Json updates = Json::array();
  for (const auto& u : request.updates) {
    updates.push_back({{"old", u.old_sha}, {"new", u.new_sha}, {"ref", u.ref}});
  }
  Json doc = {{"token", request.token}, {"updates", std::move(updates)}};
  if (!request.objects_dir.empty()) doc["objects_dir"] = request.objects_dir;
  return detail::Line(doc);
}

std::string ToJson(const HookMessage& message) {
  if (const auto* out = std::get_if<HookOut>(&message)) return detail::Line({{"out", out->text}});
  return detail::Line({{"exit", std::get<HookExit>(message).status}});
}

Result<HookRequest> ParseHookRequest(std::string_view line) {
  constexpr std::string_view kWhat = "the hook request";
  auto doc = detail::ParseObject(line, kWhat);
  if (!doc) return std::unexpected(doc.error());
  HookRequest request;
  auto token = detail::Get<std::string>(*doc, "token", kWhat);
  if (!token) return std::unexpected(token.error());
  request.token = std::move(*token);
  auto objects_dir = detail::GetOr<std::string>(*doc, "objects_dir", "", kWhat);
  if (!objects_dir) return std::unexpected(objects_dir.error());
  request.objects_dir = std::move(*objects_dir);
  auto updates = doc->find("updates");
  if (updates == doc->end()) return Failed("the hook request: \"updates\" is missing");
  if (!updates->is_array()) return detail::WrongType(kWhat, "updates", "an array");
  for (size_t i = 0; i < updates->size(); ++i) {
    const Json& u = (*updates)[i];
    std::string where = "the hook request's updates[" + std::to_string(i) + "]";
    if (!u.is_object()) return Failed(where + ": not an object");
    auto old_sha = detail::Get<std::string>(u, "old", where);
    if (!old_sha) return std::unexpected(old_sha.error());
    auto new_sha = detail::Get<std::string>(u, "new", where);
    if (!new_sha) return std::unexpected(new_sha.error());
    auto ref = detail::Get<std::string>(u, "ref", where);
    if (!ref) return std::unexpected(ref.error());
    request.updates.push_back({std::move(*old_sha), std::move(*new_sha), std::move(*ref)});
  }
  return request;
}

Result<HookMessage> ParseHookMessage(std::string_view line) {
  constexpr std::string_view kWhat = "the daemon's hook message";
  auto doc = detail::ParseObject(line, kWhat);
  if (!doc) return std::unexpected(doc.error());
  if (doc->contains("out")) {
    auto text = detail::Get<std::string>(*doc, "out", kWhat);
    if (!text) return std::unexpected(text.error());
    return HookOut{std::move(*text)};
  }
  if (doc->contains("exit")) {
    auto status = detail::Get<int>(*doc, "exit", kWhat);
    if (!status) return std::unexpected(status.error());
    return HookExit{*status};
  }
  return Failed("the daemon's hook message has neither \"out\" nor \"exit\"");
}

}  // namespace ms::contracts
