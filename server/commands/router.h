#pragma once
// Router: runs one command line (argv): finds the command in the catalog
// (server/commands/catalog.h), parses its options and arguments from the
// entry, checks the caller's role and app access (keys/app_access.h), calls the handler bound to that name (the
// handler tables of command.h), and turns errors into a message and an exit
// status. Stateless; any thread.

#include <string>
#include <string_view>
#include <vector>

#include "server/commands/catalog.h"
#include "server/commands/command.h"

namespace ms {

// Exit statuses of commands.
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// Every handler table of command.h, in one list.
std::vector<HandlerEntry> AllHandlers();
// The handler bound to a catalog entry's name; nullptr when there is none.
CommandHandler FindHandler(std::string_view name);

// Parses argv (after the command name) for `command`. Errors are usage errors.
Result<Args> ParseArgs(const Command& command, const std::vector<std::string>& argv);

// Runs argv[0] with the rest as arguments; returns the exit status. When it
// fails and `failure` is given, *failure gets the error's code and message
// (also written to ctx.err): an unknown command or bad arguments are
// kInvalidArgument, a command for admins kPermissionDenied, an app the caller
// may not see kNotFound, else the handler's error.
int RunCommand(CommandContext& ctx, const std::vector<std::string>& argv, Error* failure = nullptr);

}  // namespace ms
