// The command catalog's tables, one per namespace in the order help lists them.
// A command's handler is in server/commands/<namespace>_commands.cc under the
// same name (the Router binds them; a unit test checks every entry has one).

#include "server/commands/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace ms {
namespace {

// One entry per command, its fields in the order of Command.
// clang-format off
const Command kApps[] = {
    {"apps:list", "", "List your apps (admins: every app)", Access::kAnyone, 0, 0},
    {"apps:create", "APP", "Create an app (a push of main or master also creates it)",
     Access::kAnyone, 1, 1},
    {"apps:info", "APP", "Show an app's URLs, deploy branch and last deploy",
     Access::kMember, 1, 1},
    {"apps:rename", "APP NEW", "Rename an app", Access::kMember, 2, 2},
    {"apps:transfer", "APP KEYNAME",
     "Make another key name the app's owner (the old owner stays a member)", Access::kOwner, 2, 2},
    {"apps:destroy", "APP --confirm APP [--destroy-addons] [--destroy-storage]",
     "Delete an app with its code and config (and, when told, its add-ons, each Postgres backed up last, and its "
     "storage volumes)",
     Access::kOwner, 1, 1, {"--confirm=", "--destroy-addons", "--destroy-storage"}},
};

const Command kBuilds[] = {
    {"builds:list", "APP", "List an app's builds, newest first", Access::kMember, 1, 1},
    {"builds:output", "APP [ID]", "Show a build's output (default: the latest)",
     Access::kMember, 1, 2},
};

const Command kBuildpacks[] = {
    {"buildpacks:list", "APP", "Show an app's chosen buildpacks", Access::kMember, 1, 1},
    {"buildpacks:set", "APP BUILDPACK", "Use one buildpack (a bundled name or a git URL#ref)",
     Access::kMember, 2, 2},
    {"buildpacks:add", "APP BUILDPACK [--index N]", "Add a buildpack (runs in order)",
     Access::kMember, 2, 2, {"--index="}},
    {"buildpacks:remove", "APP BUILDPACK", "Stop using a buildpack", Access::kMember, 2, 2},
    {"buildpacks:clear", "APP", "Go back to detecting buildpacks", Access::kMember, 1, 1},
};

const Command kConfig[] = {
    {"config", "APP [--shell]", "Show an app's config vars", Access::kMember, 1, 1, {"--shell"}},
    {"config:get", "APP KEY", "Print one config var's value", Access::kMember, 2, 2},
    {"config:set", "APP KEY=VALUE... [--unset KEY,...]",
     "Set config vars (and unset others in the same release)", Access::kMember, 2, -1, {"--unset="}},
    {"config:unset", "APP KEY...", "Remove config vars", Access::kMember, 2, -1},
};

const Command kKeys[] = {
    {"keys:add", "NAME [--role admin|developer] < KEY.pub",
     "Allow a public key to push and run commands (default role: developer); again with the "
     "same NAME adds another key of that person",
     Access::kAdmin, 1, 1, {"--role="}},
    {"keys:list", "", "List the allowed keys", Access::kAdmin, 0, 0},
    {"keys:remove", "NAME [FINGERPRINT]",
     "Revoke a name's keys (or one of them); its open sessions close, and when no key is left "
     "its apps go to you",
     Access::kAdmin, 1, 2},
};

const Command kTokens[] = {
    {"tokens", "", "List your API tokens: name, created, last used, expiry (admins: everyone's)",
     Access::kAnyone, 0, 0},
    {"tokens:create", "NAME [--expires DAYS]",
     "Make an API token that acts as your key name, with its role and apps; printed once",
     Access::kAnyone, 1, 1, {"--expires="}},
    {"tokens:revoke", "NAME [--key KEYNAME]",
     "End one of your tokens at once (admins: --key for another name's)", Access::kAnyone, 1, 1,
     {"--key="}},
};

const Command kStack[] = {
    {"stack:info", "", "Show the stack images and the bundled buildpacks in detection order",
     Access::kAnyone, 0, 0},
    {"stack:rebuild", "", "Rebuild the build and run stack images", Access::kAdmin, 0, 0},
};

const Command kSystem[] = {
    {"help", "[NAMESPACE|COMMAND]", "Show the commands", Access::kAnyone, 0, 1},
    {"version", "", "Show the server's version", Access::kAnyone, 0, 0},
};

const Command kReleases[] = {
    {"releases", "APP", "List an app's releases, newest first", Access::kMember, 1, 1},
    {"releases:info", "APP [vN]", "Show one release (default: the current one)",
     Access::kMember, 1, 2},
    {"rollback", "APP [vN]",
     "Run vN's code and config again as a new release (default: the previous one)",
     Access::kMember, 1, 2},
};

const Command kPs[] = {
    {"ps", "APP",
     "Show an app's processes: per type desired and running, per task node, state, age",
     Access::kMember, 1, 1},
    {"ps:scale", "APP TYPE=N...", "Run N processes of each type (0 stops a type)",
     Access::kMember, 2, -1},
    {"ps:restart", "APP [TYPE]", "Restart processes, one at a time", Access::kMember, 1, 2},
    {"ps:stop", "APP", "Stop every process (ps:start brings them back)", Access::kMember, 1, 1},
    {"ps:start", "APP", "Start the processes ps:stop stopped", Access::kMember, 1, 1},
    {"ps:resize", "APP [TYPE=SIZE...]",
     "Give process types a size (memory, CPU, processes); with no TYPE=SIZE, show each type's size",
     Access::kMember, 1, -1},
    {"ps:sizes", "", "List the process sizes with their memory, CPU and process limits", Access::kAnyone, 0, 0},
};

const Command kLogs[] = {
    {"logs", "APP [-n N] [-t] [--ps TYPE]",
     "Show an app's output: the last N lines (default 100), -t to follow, --ps for one "
     "process type",
     Access::kMember, 1, 5, {"--ps=", "--num=", "--tail"}},
};

const Command kRun[] = {
    {"run", "APP [--size SIZE] COMMAND...",
     "Run a one-off process with the app's code and config (ssh -t for a terminal), at "
     "default_size or SIZE; exits with its status",
     Access::kMember, 2, -1, {"--size="}, /*verbatim_after=*/2},
};

const Command kChecks[] = {
    {"checks", "APP", "Show the web process's health check", Access::kMember, 1, 1},
    {"checks:set", "APP path=/PATH|tcp",
     "Check new web processes with an HTTP GET of PATH, or a TCP connect",
     Access::kMember, 2, 2},
};

const Command kDomains[] = {
    {"domains", "APP", "List the hosts an app answers at", Access::kMember, 1, 1},
    {"domains:add", "APP HOST", "Route HOST (www.example.com, or *.example.com) to the app",
     Access::kMember, 2, 2},
    {"domains:remove", "APP HOST", "Stop routing HOST to the app", Access::kMember, 2, 2},
};

const Command kCerts[] = {
    {"certs", "APP", "Show the certificates serving the app's hosts over https: issuer, expiry, status, last error", Access::kMember, 1, 1},
    {"certs:add", "APP",
     "Serve the app over https with a certificate: its key and chain as PEM on stdin (for the app's own hosts)",
     Access::kMember, 1, 1},
    {"certs:remove", "APP", "Stop serving the certificate added with certs:add (ACME's take its hosts)", Access::kMember, 1, 1},
    {"certs:auto", "APP", "Show the app's ACME certificates, host by host: status, expiry, last error",
     Access::kMember, 1, 1},
    {"certs:auto:enable", "APP", "Get and renew certificates for the app's hosts by ACME (the default)", Access::kMember, 1, 1},
    {"certs:auto:disable", "APP", "Stop getting certificates for the app by ACME (its ACME ones are no longer served)", Access::kMember, 1, 1},
    {"certs:wildcard", "", "Show the *.DOMAIN certificate every app without its own uses (also: certs --wildcard)", Access::kAnyone, 0, 0},
    {"certs:wildcard:add", "", "Give a *.DOMAIN certificate (key and chain as PEM on stdin) for every app (also: certs:add --wildcard)",
     Access::kAdmin, 0, 0},
    {"certs:wildcard:remove", "", "Remove the *.DOMAIN certificate; apps get their own by ACME again (also: certs:remove --wildcard)",
     Access::kAdmin, 0, 0},
};

const Command kHttp[] = {
    {"http:redirect", "APP on|off",
     "Send the app's http requests to https (301; 308 for other methods than GET and HEAD) for hosts with a "
     "certificate",
     Access::kMember, 2, 2},
};

const Command kAccess[] = {
    {"access", "APP", "List an app's owner and members", Access::kMember, 1, 1},
    {"access:add", "APP KEYNAME", "Let a key name use the app", Access::kOwner, 2, 2},
    {"access:remove", "APP KEYNAME", "Stop a key name using the app", Access::kOwner, 2, 2},
};

const Command kAudit[] = {
    {"audit", "[APP] [-n N]",
     "Show who changed what, when and from where, newest first (default 50 lines; members see "
     "their apps', admins everything)",
     Access::kAnyone, 0, 3},
};

const Command kDashboard[] = {
    {"dashboard", "", "Print a link that signs you in to the web dashboard (once, within 10 minutes)",
     Access::kAnyone, 0, 0},
};

const Command kAddons[] = {
    {"addons", "[APP]", "List add-ons: an app's, or every one you may see, with the apps they are attached to",
     Access::kAnyone, 0, 1},
    {"addons:create", "APP postgres|redis [--name NAME] [--as NAME] [--size MB] [--policy P]",
     "Make a Postgres 15 (DATABASE_URL) or a Redis 7 (REDIS_URL; --size MB of maxmemory, default 256, --policy "
     "its maxmemory-policy, default noeviction) for the app, in a new release",
     Access::kMember, 2, 2, {"--name=", "--as=", "--size=", "--policy="}},
    {"addons:info", "APP ADDON", "Show an add-on: kind, service, volume, node, attachments, backups",
     Access::kMember, 2, 2},
    {"addons:destroy", "APP ADDON --confirm ADDON [--no-backup]",
     "Destroy an add-on and its data; a last backup is kept (pg:backups)", Access::kOwner, 2, 2,
     {"--confirm=", "--no-backup"}},
    {"addons:attach", "ADDON --app APP [--as NAME]",
     "Give another app the add-on's URL as NAME_URL (default DATABASE_URL); member of both apps",
     Access::kAnyone, 1, 1, {"--app=", "--as="}},
    {"addons:detach", "ADDON --app APP", "Take the add-on's URL away from an app it was attached to",
     Access::kAnyone, 1, 1, {"--app="}},
};

const Command kRedis[] = {
    {"redis:info", "APP", "Show the app's Redis: version, memory used of its maxmemory, policy, clients, keys",
     Access::kMember, 1, 1},
    {"redis:cli", "APP", "redis-cli on the app's Redis (ssh -t for a terminal), or the commands on stdin",
     Access::kMember, 1, 1},
};

const Command kStorage[] = {
    {"storage:mount", "APP NAME:/path",
     "Mount a volume at /path in the app's processes; data there outlives deploys (the app is pinned to its node "
     "and rolled stop-first)",
     Access::kMember, 2, 2},
    {"storage:list", "APP", "List the app's storage: name, path, volume, node", Access::kMember, 1, 1},
    {"storage:unmount", "APP NAME", "Take a storage out of the app's processes (its volume and data stay)",
     Access::kMember, 2, 2},
};

const Command kPg[] = {
    {"pg:info", "APP", "Show the app's database: version, size, connections, tables", Access::kMember, 1, 1},
    {"pg:psql", "APP", "psql on the app's database (ssh -t for a terminal), or the SQL on stdin",
     Access::kMember, 1, 1},
    {"pg:credentials:rotate", "APP", "Give the app's database a new password; its apps get a new release",
     Access::kOwner, 1, 1},
    {"pg:backups", "APP", "List the backups of the app's database and of its destroyed ones: id, time, size, status", Access::kMember, 1,
     1},
    {"pg:backups:capture", "APP", "Back up the app's database now (pg_dump -Fc)", Access::kMember, 1, 1},
    {"pg:backups:download", "APP [ID]",
     "Write a backup (default: the newest) to stdout: ... > dump.pgdump", Access::kMember, 1, 2},
    {"pg:backups:restore", "APP [ID|-] --confirm APP",
     "Restore a backup (default: the newest; -: a pg_dump -Fc dump on stdin) into the app's database, replacing "
     "what it holds",
     Access::kOwner, 1, 2, {"--confirm="}},
    {"pg:backups:schedule", "APP --at HH:MM",
     "Back up the app's database every day at HH:MM (UTC), keeping the last backups_keep", Access::kMember, 1, 1,
     {"--at="}},
    {"pg:backups:unschedule", "APP", "Stop the daily backups of the app's database", Access::kMember, 1, 1},
};

const Command kNodes[] = {
    {"nodes", "", "List the Swarm nodes and the tasks each runs", Access::kAdmin, 0, 0},
    {"nodes:join-command", "", "Print the command that joins a new node", Access::kAdmin, 0, 0},
};
// clang-format on

const Namespace kNamespaces[] = {
    {"apps", "create and manage apps", kApps},
    {"builds", "build history and logs", kBuilds},
    {"buildpacks", "which buildpacks build an app", kBuildpacks},
    {"config", "environment variables of an app", kConfig},
    {"access", "who may use an app", kAccess},
    {"audit", "the record of every change", kAudit},
    {"keys", "SSH keys and roles (admin only)", kKeys},
    {"tokens", "API tokens (HTTP API: Authorization: Bearer TOKEN)", kTokens},
    {"dashboard", "the web dashboard", kDashboard},
    {"stack", "build and run images", kStack},
    {"system", "help and version", kSystem},
    {"releases", "release history and rollback", kReleases},
    {"ps", "an app's processes", kPs},
    {"logs", "an app's output", kLogs},
    {"run", "one-off processes", kRun},
    {"checks", "health checks of new processes", kChecks},
    {"domains", "custom domains the proxy routes to an app", kDomains},
    {"certs", "https certificates of an app", kCerts},
    {"http", "http and https of an app", kHttp},
    {"addons", "databases of apps (add-ons)", kAddons},
    {"pg", "an app's Postgres and its backups", kPg},
    {"redis", "an app's Redis", kRedis},
    {"storage", "directories that outlive deploys", kStorage},
    {"nodes", "the machines apps run on", kNodes},
};

}  // namespace

std::span<const Namespace> AllNamespaces() { return kNamespaces; }

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kAnyone: return "anyone";
    case Access::kMember: return "member";
    case Access::kOwner: return "owner";
    case Access::kAdmin: return "admin";
  }
  return "admin";
}

const Namespace* FindNamespace(std::string_view name) {
  for (const Namespace& ns : kNamespaces) {
    if (ns.name == name) return &ns;
  }
  return nullptr;
}

const Command* FindCommand(std::string_view name) {
  for (const Namespace& ns : kNamespaces) {
    for (const Command& c : ns.commands) {
      if (c.name == name) return &c;
    }
  }
  return nullptr;
}

std::vector<std::string> CanonicalWords(std::vector<std::string> words) {
  static constexpr std::pair<std::string_view, std::string_view> kWildcardForms[] = {
      {"certs", "certs:wildcard"},
      {"certs:add", "certs:wildcard:add"},
      {"certs:remove", "certs:wildcard:remove"},
  };
  if (words.empty()) return words;
  auto flag = std::find(words.begin() + 1, words.end(), "--wildcard");
  if (flag == words.end()) return words;
  for (const auto& [name, canonical] : kWildcardForms) {
    if (words[0] == name) {
      words.erase(flag);
      words[0] = std::string(canonical);
      break;
    }
  }
  return words;
}

std::string UsageLine(const Command& command) {
  return fmt::format("usage: {}{}{}", command.name, command.usage.empty() ? "" : " ",
                     command.usage);
}

std::string HelpText() {
  std::string out =
      "Mothership: git push to deploy.\n\n"
      "Usage: ssh -p PORT git@HOST COMMAND [ARGS...]   (or: mothership COMMAND ...)\n"
      "Every command takes --json for scripts. 'help NAMESPACE' shows one namespace.\n";
  for (const Namespace& ns : kNamespaces) {
    out += fmt::format("\n{}: {}\n", ns.name, ns.summary);
    for (const Command& c : ns.commands) {
      std::string head = fmt::format("{} {}", c.name, c.usage);
      out += fmt::format("  {:<44} {}\n", head, c.summary);
    }
  }
  out +=
      "\nDeploy: git remote add mothership ssh://git@HOST:PORT/APP && git push mothership main\n";
  return out;
}

Result<std::string> HelpText(std::string_view topic) {
  if (const Namespace* ns = FindNamespace(topic)) {
    std::string out = fmt::format("{}: {}\n\n", ns->name, ns->summary);
    for (const Command& c : ns->commands) {
      std::string_view who = c.access == Access::kAdmin   ? " (admin)"
                             : c.access == Access::kOwner ? " (owner)"
                                                          : "";
      out += fmt::format("  {:<44} {}{}\n", fmt::format("{} {}", c.name, c.usage), c.summary, who);
    }
    return out;
  }
  if (const Command* c = FindCommand(topic)) {
    return fmt::format("{}\n\n{}\n", UsageLine(*c), c->summary);
  }
  return InvalidArgument(
      fmt::format("'{}' is neither a namespace nor a command; run 'help'", topic.substr(0, 64)));
}

std::string CommandTableMarkdown() {
  auto cell = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      if (c == '|') out += '\\';
      out += c;
    }
    return out;
  };
  std::string out = "| command | what it does | who |\n| --- | --- | --- |\n";
  for (const Namespace& ns : kNamespaces) {
    for (const Command& c : ns.commands) {
      std::string head =
          c.usage.empty() ? std::string(c.name) : fmt::format("{} {}", c.name, c.usage);
      out += fmt::format("| `{}` | {} | {} |\n", cell(head), cell(c.summary), AccessName(c.access));
    }
  }
  return out;
}

}  // namespace ms
