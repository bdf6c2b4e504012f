// logs — an app's output, from every task on every node.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"

namespace ms {
namespace {

constexpr int kDefaultLines = 100;
constexpr int kMaxLines = 10000;

Result<void> Logs(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  int lines = kDefaultLines;
  bool follow = args.Has("--tail");
  // Heroku's and Dokku's short forms: -n N, -t.
  for (size_t i = 1; i < args.positional.size(); ++i) {
    const std::string& a = args.positional[i];
    if (a == "-t") {
      follow = true;
    } else if (a == "-n" && i + 1 < args.positional.size()) {
      const std::string& n = args.positional[++i];
      char* end = nullptr;
      long v = std::strtol(n.c_str(), &end, 10);
      if (n.empty() || *end != '\0' || v < 0 || v > kMaxLines) {
        return InvalidArgument(fmt::format("-n takes a number of lines from 0 to {}", kMaxLines));
      }
      lines = static_cast<int>(v);
    } else {
      return InvalidArgument(fmt::format("unexpected '{}'", a.substr(0, 64)));
    }
  }
  if (args.options.contains("--num")) {
    char* end = nullptr;
    std::string n = args.Option("--num");
    long v = std::strtol(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || v < 0 || v > kMaxLines) {
      return InvalidArgument(fmt::format("--num takes a number of lines from 0 to {}", kMaxLines));
    }
    lines = static_cast<int>(v);
  }
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  return (*runtime)->Logs(app, lines, follow, args.Option("--ps"), ctx.out, ctx.cancelled);
}

const HandlerEntry kHandlers[] = {
    {"logs", Logs},
};

}  // namespace

std::span<const HandlerEntry> LogsHandlers() { return kHandlers; }

}  // namespace ms
