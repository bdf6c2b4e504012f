#pragma once
// The dashboard's static files (server/dashboard/), built into the daemon by
// embed.cmake, and how the API server answers for them: GET / is the page,
// the other files are fetched with ?v=DIGEST (cached for good, since a new
// build changes the digest). Gzipped for clients that take it; a strict
// Content-Security-Policy (nothing but this origin's scripts, styles and
// requests). Pure after the first call; any thread.

#include <span>
#include <string_view>

#include "server/api/api_reply.h"

namespace ms {

struct EmbeddedFile {
  std::string_view path;  // "/dashboard.js"
  std::string_view data;
};
// Generated (embed.cmake).
std::span<const EmbeddedFile> DashboardFiles();

// The answer to GET (or HEAD) `path` outside /api/: a file, or a 404 page.
ApiReply DashboardFile(std::string_view path, bool accepts_gzip);

}  // namespace ms
