// stack:* — the build and run images apps are built on (admin only).

#include <fmt/format.h>

#include "server/builder/builder.h"
#include "server/commands/command.h"

namespace ms {
namespace {

Result<void> Rebuild(CommandContext& ctx, const Args&) {
  if (!ctx.services.engine) {
    return Failed("this server does not build images (deploy_step: record in config.yaml)");
  }
  ctx.out.Write("-----> Rebuilding the stack images; apps pick them up at their next push\n");
  PrefixedOutput progress(ctx.out, "       ");
  return ctx.services.engine->builder.EnsureStackImages(true, progress);
}

Result<void> Info(CommandContext& ctx, const Args&) {
  const Settings& s = ctx.services.settings;
  ctx.out.Write(fmt::format("Base image:  {}\nBuild image: {}\nRun image:   {}\nBuildpacks:  {}\n",
                            s.base_image, s.build_image, s.run_image,
                            fmt::join(Builder::BundledBuildpacks(), ", ")));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"stack:info", Info},
    {"stack:rebuild", Rebuild},
};

}  // namespace

std::span<const HandlerEntry> StackHandlers() { return kHandlers; }

}  // namespace ms
