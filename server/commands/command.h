#pragma once
// What a command's handler sees and returns. Every command is an entry of the
// catalog (server/commands/catalog.h: name, usage, summary, options, access);
// each server/commands/<namespace>_commands.cc binds those names to handlers in
// a table {name, handler}. The Router parses arguments from the catalog entry,
// checks the caller's role and app access, and calls the handler. Handlers run on a Job thread
// and report expected failures as Result errors.

#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/keys/caller.h"
#include "server/services.h"
#include "server/store/store.h"

namespace ms {

class Input {
 public:
  virtual ~Input() = default;
  // The whole of stdin, at most max bytes.
  virtual Result<std::string> ReadAll(size_t max) = 0;
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--role" -> "admin"
  std::set<std::string> flags;                  // "--json"
  bool Has(const std::string& flag) const { return flags.contains(flag); }
  std::string Option(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

struct CommandContext {
  Services& services;
  Caller caller;
  Output& out;
  Output& err;
  Input& in;
  bool json = false;
  bool pty = false;                 // ssh -t: the client has a terminal
  int stdin_fd = -1;                // the client's stdin, for commands that stream it (run)
  std::function<bool()> cancelled;  // the client went away: stop following
  int exit_status = 0;              // what a successful command exits with (run)
  std::string command{};            // the catalog name being run ("config:set"), set by the Router
};

// Records a change the command made in the audit log, with the caller as actor
// and ctx.command as action. `app` "" for server-wide changes; `detail` never
// holds a secret (config values). A failure to record is printed as a warning:
// the change is made either way. (server/commands/audit_commands.cc)
void Audit(CommandContext& ctx, const std::string& app, const std::string& detail);

// A command's handler: runs with parsed arguments; an InvalidArgument error
// also prints the command's usage.
using CommandHandler = Result<void> (*)(CommandContext&, const Args&);

struct HandlerEntry {
  std::string_view name;  // a catalog entry's name: "config:set"
  CommandHandler handler;
};

// The handlers, one table per file in server/commands/.
std::span<const HandlerEntry> AppsHandlers();
std::span<const HandlerEntry> BuildsHandlers();
std::span<const HandlerEntry> BuildpacksHandlers();
std::span<const HandlerEntry> ConfigHandlers();
std::span<const HandlerEntry> AccessHandlers();
std::span<const HandlerEntry> AuditHandlers();
std::span<const HandlerEntry> KeysHandlers();
std::span<const HandlerEntry> TokensHandlers();
std::span<const HandlerEntry> DashboardHandlers();
std::span<const HandlerEntry> StackHandlers();
std::span<const HandlerEntry> SystemHandlers();
std::span<const HandlerEntry> ReleasesHandlers();
std::span<const HandlerEntry> PsHandlers();
std::span<const HandlerEntry> LogsHandlers();
std::span<const HandlerEntry> RunHandlers();
std::span<const HandlerEntry> ChecksHandlers();
std::span<const HandlerEntry> DomainsHandlers();
std::span<const HandlerEntry> CertsHandlers();
std::span<const HandlerEntry> HttpHandlers();
std::span<const HandlerEntry> NodesHandlers();
std::span<const HandlerEntry> AddonsHandlers();
std::span<const HandlerEntry> PgHandlers();
std::span<const HandlerEntry> RedisHandlers();
std::span<const HandlerEntry> StorageHandlers();

}  // namespace ms
