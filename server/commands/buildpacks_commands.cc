// buildpacks:* — choosing an app's buildpacks instead of detecting them.

#include <fmt/format.h>

#include "server/builder/builder.h"
#include "server/builder/buildpack_source.h"
#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/json.h"

namespace ms {
namespace {

Result<void> ValidateBuildpack(CommandContext& ctx, const std::string& spec) {
  auto source = ParseBuildpackSource(spec, Builder::BundledBuildpacks(), ctx.services.settings.local_buildpacks);
  if (!source) return std::unexpected(source.error());
  return CheckBuildpackHost(*source);
}

Result<void> Show(CommandContext& ctx, const std::string& app) {
  auto packs = ctx.services.store.GetBuildpacks(app);
  if (!packs) return std::unexpected(packs.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine(*packs));
  } else if (packs->empty()) {
    ctx.out.Write(fmt::format(
        "{} has no buildpacks set: they are detected at each build (order: {}).\n", app,
        fmt::join(Builder::BundledBuildpacks(), ", ")));
  } else {
    std::string text = fmt::format("=== {} buildpacks\n", app);
    for (size_t i = 0; i < packs->size(); ++i) text += fmt::format("{}. {}\n", i + 1, (*packs)[i]);
    ctx.out.Write(text);
  }
  return {};
}

Result<void> List(CommandContext& ctx, const Args& args) { return Show(ctx, args.positional[0]); }

Result<void> SetAll(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  if (auto r = ValidateBuildpack(ctx, args.positional[1]); !r) return r;
  if (auto r = ctx.services.store.SetBuildpacks(app, {args.positional[1]}); !r) return r;
  Audit(ctx, app, args.positional[1]);
  if (!ctx.json) ctx.out.Write("Buildpack set. The next push uses it.\n");
  return Show(ctx, app);
}

Result<void> Add(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& spec = args.positional[1];
  if (auto r = ValidateBuildpack(ctx, spec); !r) return r;
  auto packs = ctx.services.store.GetBuildpacks(app);
  if (!packs) return std::unexpected(packs.error());
  if (std::find(packs->begin(), packs->end(), spec) != packs->end()) {
    return AlreadyExists(fmt::format("{} already uses {}", app, spec));
  }
  size_t index = packs->size();
  if (auto text = args.Option("--index"); !text.empty()) {
    char* end = nullptr;
    long n = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > static_cast<long>(packs->size()) + 1) {
      return InvalidArgument(fmt::format("--index must be 1 to {}", packs->size() + 1));
    }
    index = static_cast<size_t>(n - 1);
  }
  packs->insert(packs->begin() + static_cast<long>(index), spec);
  if (auto r = ctx.services.store.SetBuildpacks(app, *packs); !r) return r;
  Audit(ctx, app, spec);
  return Show(ctx, app);
}

Result<void> Remove(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto packs = ctx.services.store.GetBuildpacks(app);
  if (!packs) return std::unexpected(packs.error());
  auto it = std::find(packs->begin(), packs->end(), args.positional[1]);
  if (it == packs->end()) return NotFound(fmt::format("{} does not use {}", app, args.positional[1]));
  packs->erase(it);
  if (auto r = ctx.services.store.SetBuildpacks(app, *packs); !r) return r;
  Audit(ctx, app, args.positional[1]);
  return Show(ctx, app);
}

Result<void> Clear(CommandContext& ctx, const Args& args) {
  if (auto r = ctx.services.store.SetBuildpacks(args.positional[0], {}); !r) return r;
  Audit(ctx, args.positional[0], "");
  return Show(ctx, args.positional[0]);
}

const HandlerEntry kHandlers[] = {
    {"buildpacks:list", List},
    {"buildpacks:set", SetAll},
    {"buildpacks:add", Add},
    {"buildpacks:remove", Remove},
    {"buildpacks:clear", Clear},
};

}  // namespace

std::span<const HandlerEntry> BuildpacksHandlers() { return kHandlers; }

}  // namespace ms
