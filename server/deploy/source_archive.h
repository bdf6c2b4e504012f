#pragma once
// Deploys from an archive (POST /api/v1/apps/APP/builds): the .tar.gz of an
// app's source becomes a commit on the app's deploy branch, built and released
// by the same DeployStep as a push, under the same app lock; the branch moves
// only when the deploy succeeds, so `git pull` sees what runs. Any thread.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/common/tar_reader.h"
#include "server/keys/caller.h"
#include "server/services.h"

namespace ms {

// The files of a .tar.gz, cleaned: "./" and one top-level directory holding
// everything (a GitHub archive) are stripped, .git is left out. InvalidArgument
// errors a client can act on: not gzip or tar, over max_bytes unpacked, a path
// that leaves the tree (absolute, ".."), no files.
Result<std::vector<TarEntry>> UnpackSource(std::string_view tar_gz, size_t max_bytes);

struct SourceCommit {
  std::string app;
  std::string ref;     // refs/heads/BRANCH: the app's deploy branch (main for a new one)
  std::string commit;  // on no branch until the deploy succeeds
};

// Writes the entries as a commit on top of the app's deploy branch. The app
// must exist; one never deployed gets main as its deploy branch.
Result<SourceCommit> CommitSource(Services& services, const Caller& caller, const std::string& app,
                                  const std::vector<TarEntry>& entries);

// Runs the deploy step for the commit as a push of it would (the caller holds
// the app's lock), records it in the audit log, and moves the branch when it
// succeeds. on_started gets the deploy's id once it is recorded.
Result<void> DeploySource(Services& services, const Caller& caller, const SourceCommit& source, Output& out,
                          std::function<bool()> cancelled, std::function<void(int64_t)> on_started);

}  // namespace ms
