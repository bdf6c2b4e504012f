#pragma once
// The command catalog: every server command as users see it (name, usage,
// one-line summary, who may run it, how many arguments and which options it
// takes), grouped by namespace (apps, config, keys ...), and the help rendered
// from it. Data only, no handlers: the CLI links it for `mothership help` and
// to know which commands take an app; the daemon's Router binds each entry to
// its handler in server/commands/<namespace>_commands.cc. Immutable; any thread.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

// Who may run a command. kMember and kOwner commands take the app as their
// first argument; the Router checks it (server/keys/app_access.h) before the
// handler runs, and a unit test checks every command that takes APP says so.
enum class Access {
  kAnyone,  // any key (the handler shows only what the caller may see)
  kMember,  // the app's members, its owner and admins
  kOwner,   // the app's owner and admins
  kAdmin,   // admin keys
};
// "anyone", "member", "owner", "admin": the README's "who" column.
std::string_view AccessName(Access access);

struct Command {
  std::string_view name;     // "config:set"
  std::string_view usage;    // "APP KEY=VALUE..."
  std::string_view summary;  // one line for help
  Access access = Access::kAnyone;
  int min_args = 0;
  int max_args = 0;  // -1: no limit
  // "--role=" takes a value, "--confirm=" too; "--all" is a flag. --json is always allowed.
  std::vector<std::string_view> options = {};
  // After this many positional arguments, every word is positional (run APP CMD...).
  int verbatim_after = 0;
};

struct Namespace {
  std::string_view name;  // "apps"
  std::string_view summary;
  std::span<const Command> commands;
};

// Every namespace, in the order help lists them.
std::span<const Namespace> AllNamespaces();
// nullptr when there is none of that name.
const Namespace* FindNamespace(std::string_view name);
const Command* FindCommand(std::string_view name);
// Heroku's spellings of commands that have a name of their own here:
// `certs:add --wildcard` is certs:wildcard:add, `certs:remove --wildcard` is
// certs:wildcard:remove and `certs --wildcard` is certs:wildcard. Other words
// come back as they were. The router and the CLI both call it first.
std::vector<std::string> CanonicalWords(std::vector<std::string> words);

// "usage: config:set APP KEY=VALUE..."
std::string UsageLine(const Command& command);
// Every command, by namespace (`help`).
std::string HelpText();
// One namespace's commands, or one command's usage and summary (`help TOPIC`);
// an InvalidArgument error when TOPIC is neither.
Result<std::string> HelpText(std::string_view namespace_or_command);
// The README's command reference: a Markdown table of every command
// (`mothership help --markdown` prints it; a unit test keeps the README equal).
std::string CommandTableMarkdown();

}  // namespace ms
