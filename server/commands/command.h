#pragma once
// The shape of a Mothership command: a table entry {name, usage, summary, options,
// handler} per command, grouped in one table per namespace (apps, config, keys
// ...). The Router parses arguments from the entry, checks the caller's role,
// dispatches, and prints help from the same tables. Handlers run on a Job thread
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
#include "server/services.h"
#include "server/store/store.h"

namespace ms {

class Input {
 public:
  virtual ~Input() = default;
  // The whole of stdin, at most max bytes.
  virtual Result<std::string> ReadAll(size_t max) = 0;
};

struct Caller {
  std::string key_name;
  Role role = Role::kDeveloper;
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
};

enum class Access { kAnyone, kAdmin };

struct Command {
  std::string_view name;     // "config:set"
  std::string_view usage;    // "APP KEY=VALUE..."
  std::string_view summary;  // one line for help
  Access access = Access::kAnyone;
  int min_args = 0;
  int max_args = 0;  // -1: no limit
  // "--role=" takes a value, "--confirm=" too; "--all" is a flag. --json is always allowed.
  std::vector<std::string_view> options = {};
  Result<void> (*handler)(CommandContext&, const Args&) = nullptr;
  // After this many positional arguments, every word is positional (run APP CMD...).
  int verbatim_after = 0;
};

struct Namespace {
  std::string_view name;  // "apps"
  std::string_view summary;
  std::span<const Command> commands;
};

// The namespaces, one per file in server/commands/.
const Namespace& AppsNamespace();
const Namespace& BuildsNamespace();
const Namespace& BuildpacksNamespace();
const Namespace& ConfigNamespace();
const Namespace& KeysNamespace();
const Namespace& StackNamespace();
const Namespace& SystemNamespace();
const Namespace& ReleasesNamespace();
const Namespace& PsNamespace();
const Namespace& LogsNamespace();
const Namespace& RunNamespace();
const Namespace& ChecksNamespace();
const Namespace& DomainsNamespace();
const Namespace& NodesNamespace();

}  // namespace ms
