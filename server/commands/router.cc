#include "server/commands/router.h"

#include <fmt/format.h>

#include <span>

#include "server/keys/app_access.h"

namespace ms {

std::vector<HandlerEntry> AllHandlers() {
  using Table = std::span<const HandlerEntry> (*)();
  static const Table tables[] = {
      AppsHandlers,     BuildsHandlers, BuildpacksHandlers, ConfigHandlers, AccessHandlers,
      AuditHandlers,    KeysHandlers,   TokensHandlers, DashboardHandlers, StackHandlers,      SystemHandlers, ReleasesHandlers,
      PsHandlers,       LogsHandlers,   RunHandlers,        ChecksHandlers, DomainsHandlers,
      CertsHandlers,    HttpHandlers,   NodesHandlers,      AddonsHandlers, PgHandlers, RedisHandlers, StorageHandlers};
  std::vector<HandlerEntry> all;
  for (Table table : tables) {
    for (const HandlerEntry& entry : table()) all.push_back(entry);
  }
  return all;
}

CommandHandler FindHandler(std::string_view name) {
  static const std::vector<HandlerEntry> all = AllHandlers();
  for (const HandlerEntry& entry : all) {
    if (entry.name == name) return entry.handler;
  }
  return nullptr;
}

Result<Args> ParseArgs(const Command& command, const std::vector<std::string>& argv) {
  Args args;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-' || a[1] != '-') {
      args.positional.push_back(a);
      // `run APP CMD...`: the command's own words are never options of ours.
      if (command.verbatim_after > 0 && static_cast<int>(args.positional.size()) >= command.verbatim_after) {
        options_done = true;
      }
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "--json") {
      args.flags.insert(a);
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    bool known = false;
    for (std::string_view opt : command.options) {
      if (opt.ends_with('=') && opt.substr(0, opt.size() - 1) == name) {
        if (!inline_value) {
          if (i + 1 >= argv.size()) return InvalidArgument(fmt::format("{} needs a value", name));
          value = argv[++i];
        }
        args.options[name] = value;
        known = true;
      } else if (opt == name && !inline_value) {
        args.flags.insert(name);
        known = true;
      }
    }
    if (!known) return InvalidArgument(fmt::format("unknown option '{}'", a.substr(0, 64)));
  }
  int n = static_cast<int>(args.positional.size());
  if (n < command.min_args) return InvalidArgument("missing arguments");
  if (command.max_args >= 0 && n > command.max_args) return InvalidArgument("too many arguments");
  return args;
}

int RunCommand(CommandContext& ctx, const std::vector<std::string>& typed, Error* failure) {
  auto fail = [failure](ErrorCode code, std::string message) {
    if (failure) *failure = Error{code, std::move(message)};
  };
  const std::vector<std::string> argv = CanonicalWords(typed);
  if (argv.empty()) {
    ctx.out.Write(HelpText());
    return kExitOk;
  }
  const Command* command = FindCommand(argv[0]);
  CommandHandler handler = command ? FindHandler(command->name) : nullptr;
  if (!handler) {
    std::string name = argv[0].substr(0, 64);
    ctx.err.Write(fmt::format(
        "error: '{}' is not a mothership command.\nRun 'help' to list the commands.\n", name));
    fail(ErrorCode::kInvalidArgument, fmt::format("'{}' is not a mothership command (see help)", name));
    return kExitUsage;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  for (const auto& a : rest) {
    if (a == "--help" || a == "-h") {
      ctx.out.Write(fmt::format("{}\n\n{}\n", UsageLine(*command), command->summary));
      return kExitOk;
    }
  }
  auto args = ParseArgs(*command, rest);
  if (!args) {
    ctx.err.Write(fmt::format("error: {}\n{}\n", args.error().message, UsageLine(*command)));
    fail(ErrorCode::kInvalidArgument, fmt::format("{}; {}", args.error().message, UsageLine(*command)));
    return kExitUsage;
  }
  if (command->access == Access::kAdmin && ctx.caller.role != Role::kAdmin) {
    std::string message = fmt::format(
        "{} needs an admin key; the key '{}' is a developer key. Ask an admin to run it.", command->name,
        ctx.caller.key_name);
    ctx.err.Write("error: " + message + "\n");
    fail(ErrorCode::kPermissionDenied, message);
    return kExitError;
  }
  if (command->access == Access::kMember || command->access == Access::kOwner) {
    AppNeed need = command->access == Access::kOwner ? AppNeed::kOwner : AppNeed::kMember;
    if (auto r = CheckAppAccess(ctx.services.store, ctx.caller, args->positional[0], need); !r) {
      ctx.err.Write(fmt::format("error: {}\n", r.error().message));
      fail(r.error().code, r.error().message);
      return kExitError;
    }
  }
  ctx.json = args->Has("--json");
  ctx.command = command->name;
  auto result = handler(ctx, *args);
  if (!result) {
    ctx.err.Write(fmt::format("error: {}\n", result.error().message));
    if (failure) *failure = result.error();
    if (result.error().code == ErrorCode::kInvalidArgument) {
      ctx.err.Write(UsageLine(*command) + "\n");
      return kExitUsage;
    }
    return kExitError;
  }
  return ctx.exit_status;
}

}  // namespace ms
