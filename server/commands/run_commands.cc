// run — a one-off process of an app's current release.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/config/process_sizes.h"

namespace ms {
namespace {

Result<void> Run(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string size = args.Option("--size");
  if (!size.empty() && !FindProcessSize(size)) {
    return InvalidArgument(fmt::format("'{}' is not a size (sizes: {}; ps:sizes shows what each gives)",
                                       size.substr(0, 64), ProcessSizeNames()));
  }
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  std::vector<std::string> argv(args.positional.begin() + 1, args.positional.end());
  RunIO io;
  io.size = size;
  io.tty = ctx.pty;
  io.stdin_fd = ctx.stdin_fd;
  io.out = &ctx.out;
  io.err = &ctx.err;
  io.cancelled = ctx.cancelled;
  auto code = (*runtime)->Run(app, argv, io);
  if (!code) return std::unexpected(code.error());
  ctx.exit_status = *code;
  return {};
}

const HandlerEntry kHandlers[] = {
    {"run", Run},
};

}  // namespace

std::span<const HandlerEntry> RunHandlers() { return kHandlers; }

}  // namespace ms
