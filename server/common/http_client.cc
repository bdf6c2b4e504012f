#include "server/common/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

namespace ms {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct FileDeleter {
  void operator()(FILE* f) const { std::fclose(f); }
};

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct StreamState {
  const std::function<bool(std::string_view)>* on_data = nullptr;
  std::string* sink = nullptr;
};

size_t OnWrite(char* data, size_t size, size_t count, void* p) {
  auto* state = static_cast<StreamState*>(p);
  size_t n = size * count;
  if (state->on_data) return (*state->on_data)(std::string_view(data, n)) ? n : 0;
  state->sink->append(data, n);
  return n;
}

int OnProgress(void* p, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(p);
  return (*cancelled)() ? 1 : 0;
}

size_t OnHeader(char* data, size_t size, size_t count, void* p) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(p);
  std::string_view line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    (*headers)[name] = std::string(value);
  }
  return size * count;
}

}  // namespace

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  return Stream(request, nullptr);
}

Result<HttpResponse> HttpClient::Stream(const HttpRequest& request,
                                            const std::function<bool(std::string_view)>& on_data) {
  GlobalInit();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Failed("cannot initialise libcurl");
  CURL* c = curl.get();
  HttpResponse response;
  StreamState state{on_data ? &on_data : nullptr, &response.body};
  std::string url = request.path.starts_with("http") ? request.path : base_url_ + request.path;
  if (!socket_path_.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  if (request.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  if (request.timeout_seconds > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT, request.timeout_seconds);
  if (!request.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, request.ca_file.c_str());
  if (request.cancelled) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &request.cancelled);
  }

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  for (const auto& [k, v] : request.headers) add_header(k + ": " + v);
  add_header("Expect:");

  std::unique_ptr<FILE, FileDeleter> file;
  if (!request.body_file.empty()) {
    file.reset(std::fopen(request.body_file.c_str(), "rb"));
    if (!file) return Failed(fmt::format("cannot read {}", request.body_file.string()));
    std::error_code ec;
    auto size = std::filesystem::file_size(request.body_file, ec);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READDATA, file.get());
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl_easy_perform(c);
  if ((rc == CURLE_WRITE_ERROR && on_data) || rc == CURLE_ABORTED_BY_CALLBACK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    return response;  // the caller stopped reading
  }
  // (A client with no base URL is given whole URLs: the request's names the place.)
  const std::string& at = where().empty() ? request.path : where();
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
    return Unavailable(fmt::format("{} does not answer on {}: {}", service_, at, hint_));
  }
  if (rc != CURLE_OK) {
    return Unavailable(fmt::format("talking to {} on {} failed: {}", service_, at, curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace ms
