#pragma once
// Router: runs one command line (argv) against the command tables: finds the
// command, parses its options and arguments, checks the caller's role, calls the
// handler, and turns errors into a message and an exit status. It also renders
// `help` from the same tables. Stateless; any thread.

#include <string>
#include <string_view>
#include <vector>

#include "server/commands/command.h"

namespace ms {

// Exit statuses of commands.
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

std::span<const Namespace* const> AllNamespaces();
const Command* FindCommand(std::string_view name);

// Parses argv (after the command name) for `command`. Errors are usage errors.
Result<Args> ParseArgs(const Command& command, const std::vector<std::string>& argv);

// Runs argv[0] with the rest as arguments; returns the exit status.
int RunCommand(CommandContext& ctx, const std::vector<std::string>& argv);

std::string UsageLine(const Command& command);
std::string HelpText();
// The README's command reference: a Markdown table of every command
// (`mothership help --markdown` prints it; a unit test keeps the README equal).
std::string CommandTableMarkdown();
Result<std::string> HelpText(std::string_view namespace_or_command);

}  // namespace ms
