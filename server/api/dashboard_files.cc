#include "server/api/dashboard_files.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <string>

#include "server/common/gzip.h"
#include "server/common/sha256.h"

namespace ms {
namespace {

struct Served {
  std::string content_type;
  std::string plain;
  std::string gzipped;
  std::string etag;
};

std::string_view ContentType(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  return "application/octet-stream";
}

std::string Digest(std::string_view data) {
  Sha256 sha;
  sha.Update(data);
  return sha.HexDigest().substr(0, 16);
}

// Every file, ready to send; the page names the others with their digest.
const std::map<std::string, Served, std::less<>>& Files() {
  static const auto* files = [] {
    auto* out = new std::map<std::string, Served, std::less<>>;
    std::map<std::string, std::string> digests;
    for (const auto& f : DashboardFiles()) digests[std::string(f.path)] = Digest(f.data);
    for (const auto& f : DashboardFiles()) {
      std::string plain(f.data);
      if (f.path == "/index.html") {
        for (const auto& [path, digest] : digests) {
          std::string placeholder = fmt::format("{}?v=DIGEST", path);
          for (auto at = plain.find(placeholder); at != std::string::npos; at = plain.find(placeholder)) {
            plain.replace(at, placeholder.size(), fmt::format("{}?v={}", path, digest));
          }
        }
      }
      std::string etag = "\"" + Digest(plain) + "\"";
      (*out)[std::string(f.path)] = Served{std::string(ContentType(f.path)), plain, Gzip(plain), etag};
    }
    return out;
  }();
  return *files;
}

}  // namespace

ApiReply DashboardFile(std::string_view path, bool accepts_gzip) {
  if (path == "/") path = "/index.html";
  const auto& files = Files();
  auto it = files.find(path);
  if (it == files.end()) {
    ApiReply reply;
    reply.status = 404;
    reply.content_type = "text/html; charset=utf-8";
    reply.text = "<!doctype html><title>Not found</title><p>No such page. <a href=\"/\">The dashboard</a>.</p>\n";
    return reply;
  }
  const Served& file = it->second;
  ApiReply reply;
  reply.content_type = file.content_type;
  reply.text = accepts_gzip ? file.gzipped : file.plain;
  if (accepts_gzip) reply.headers.emplace_back("Content-Encoding", "gzip");
  reply.headers.emplace_back("Vary", "Accept-Encoding");
  reply.headers.emplace_back("ETag", file.etag);
  // The page is checked each time (it names the current files); the files it
  // names by digest never change.
  reply.headers.emplace_back("Cache-Control", it->first == "/index.html" ? "no-cache" : "public, max-age=31536000, immutable");
  reply.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                             "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Referrer-Policy", "no-referrer");
  return reply;
}

}  // namespace ms
