#include "server/backups/s3_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <thread>

#include "server/backups/sigv4.h"
#include "server/common/sha256.h"

namespace ms {
namespace {

constexpr uint64_t kMaxParts = 10000;  // S3's limit
constexpr uint64_t kMiB = uint64_t{1} << 20;
// Idempotent requests are tried this often when the connection breaks or the
// store answers 5xx (S3 asks clients to retry its 500 and 503 SlowDown).
constexpr int kAttempts = 3;
// A transfer slower than 1 KB/s for a minute is given up (then retried).
constexpr long kLowSpeedBytes = 1024;
constexpr long kLowSpeedSeconds = 60;

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, for the error close can report (a full disk, written back late).
  int Close() {
    int rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

// Printable ASCII of text from another machine, blanks folded, at most max
// characters: safe to put in a message a terminal shows.
std::string Clean(std::string_view text, size_t max = 300) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string authority;  // "127.0.0.1:4568": the Host header
  std::string base_path;  // "" or "/prefix"
};

Result<Endpoint> ParseEndpoint(std::string_view text) {
  Endpoint e;
  if (text.starts_with("https://")) e.scheme = "https";
  else if (text.starts_with("http://")) e.scheme = "http";
  if (e.scheme.empty()) {
    return InvalidArgument(fmt::format(
        "the S3 endpoint \"{}\" is not an http:// or https:// URL: set backups_s3_endpoint, for example "
        "https://s3.eu-west-1.amazonaws.com or http://10.0.0.5:9000",
        Clean(text)));
  }
  text.remove_prefix(e.scheme.size() + 3);
  size_t slash = text.find('/');
  e.authority = std::string(text.substr(0, slash));
  if (slash != std::string_view::npos) e.base_path = std::string(text.substr(slash));
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  const bool bad = e.authority.empty() || std::any_of(e.authority.begin(), e.authority.end(), [](unsigned char c) {
                     return c <= ' ' || c >= 0x7f || c == '@' || c == '?' || c == '#' || c == '/';
                   }) ||
                   e.base_path.find_first_of("?# ") != std::string::npos;
  if (bad) {
    return InvalidArgument(fmt::format(
        "the S3 endpoint \"{}\" is not a URL of a host: set backups_s3_endpoint to scheme://host[:port]",
        Clean(text)));
  }
  return e;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One request: what it sends and where its answer goes.
struct Call {
  std::string what;  // for messages: "upload app/a.pgdump"
  std::string method = "GET";
  std::string key;  // empty: the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;  // an XML body (POST)
  // A PUT's body: upload_size bytes of upload_fd from upload_offset, whose
  // SHA-256 is payload_hash.
  int upload_fd = -1;
  uint64_t upload_offset = 0;
  uint64_t upload_size = 0;
  std::string upload_name;  // the file, for messages
  std::string payload_hash;
  // A 2xx answer's body is written here (other answers' bodies are kept in
  // memory for their error).
  int download_fd = -1;
  std::string download_name;
  bool retry = true;  // idempotent: tried again after a broken connection or a 5xx
};

struct Answer {
  long status = 0;
  std::string body;  // unless it went to download_fd
  std::string etag;
};

// The state of one attempt, for curl's callbacks.
struct Transfer {
  const Call* call = nullptr;
  Answer* answer = nullptr;
  uint64_t sent = 0;
  int read_errno = 0;
  bool file_shrank = false;
  int write_errno = 0;
  bool answer_too_big = false;
};

size_t OnHeader(char* data, size_t size, size_t count, void* p) {
  auto* t = static_cast<Transfer*>(p);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {  // a new answer (after a 100 Continue)
    long status = 0;
    size_t space = line.find(' ');
    if (space != std::string_view::npos) {
      std::from_chars(line.data() + space + 1, line.data() + line.size(), status);
    }
    t->answer->status = status;
    t->answer->etag.clear();
  } else if (line.size() > 5 && strncasecmp(line.data(), "etag:", 5) == 0) {
    line.remove_prefix(5);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    t->answer->etag = std::string(line);
  }
  return size * count;
}

size_t OnWrite(char* data, size_t size, size_t count, void* p) {
  auto* t = static_cast<Transfer*>(p);
  const size_t n = size * count;
  if (t->call->download_fd >= 0 && t->answer->status >= 200 && t->answer->status < 300) {
    for (size_t done = 0; done < n;) {
      ssize_t w = write(t->call->download_fd, data + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        t->write_errno = w < 0 ? errno : EIO;
        return 0;
      }
      done += static_cast<size_t>(w);
    }
    return n;
  }
  // Past what the XML parser takes it cannot be S3's answer.
  if (t->answer->body.size() + n > kS3XmlMaxBytes) {
    t->answer_too_big = true;
    return 0;
  }
  t->answer->body.append(data, n);
  return n;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* p) {
  auto* t = static_cast<Transfer*>(p);
  const Call& call = *t->call;
  const size_t want = static_cast<size_t>(std::min<uint64_t>(call.upload_size - t->sent, size * count));
  if (want == 0) return 0;
  ssize_t r;
  do {
    r = pread(call.upload_fd, buffer, want, static_cast<off_t>(call.upload_offset + t->sent));
  } while (r < 0 && errno == EINTR);
  if (r <= 0) {
    if (r < 0) t->read_errno = errno;
    else t->file_shrank = true;
    return CURL_READFUNC_ABORT;
  }
  t->sent += static_cast<uint64_t>(r);
  return static_cast<size_t>(r);
}

// curl rewinds the body to send it again on a new connection.
int OnSeek(void* p, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(p);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > t->call->upload_size) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The hex SHA-256 of size bytes of fd from offset, read in 1 MiB pieces.
Result<std::string> HashRange(int fd, uint64_t offset, uint64_t size, const std::string& name) {
  Sha256 hash;
  std::string buffer(kMiB, '\0');
  for (uint64_t done = 0; done < size;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(size - done, buffer.size()));
    ssize_t r = pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Failed(fmt::format("reading {} failed: {}", name, std::strerror(errno)));
    if (r == 0) return Failed(fmt::format("{} got shorter while it was being uploaded", name));
    hash.Update(std::string_view(buffer.data(), static_cast<size_t>(r)));
    done += static_cast<uint64_t>(r);
  }
  return hash.HexDigest();
}

// The requests of one operation, on one curl handle (its connection is kept
// from one request to the next: the parts of an upload share it).
class Session {
 public:
  Session(const S3Settings& settings, Endpoint endpoint)
      : settings_(settings), endpoint_(std::move(endpoint)), curl_(curl_easy_init()) {}

  // The answer, when its HTTP status is one of ok; else the error of S3's
  // answer (S3AnswerError), or of a request that got none.
  Result<Answer> Send(const Call& call, std::initializer_list<long> ok = {200}) {
    auto answer = Exchange(call);
    if (answer && std::find(ok.begin(), ok.end(), answer->status) == ok.end()) {
      return std::unexpected(S3AnswerError(settings_, call.what, answer->status, answer->body));
    }
    return answer;
  }

 private:
  // An answer of any HTTP status (a 5xx after the retries), or the error of a
  // request that got none.
  Result<Answer> Exchange(const Call& call) {
    if (!curl_) return Failed("cannot initialise libcurl");
    for (int attempt = 1;; ++attempt) {
      bool retryable = false;
      auto answer = SendOnce(call, retryable);
      if (answer && answer->status >= 500) retryable = true;
      if (!call.retry || !retryable || attempt == kAttempts) return answer;
      if (call.download_fd >= 0 &&
          (ftruncate(call.download_fd, 0) != 0 || lseek(call.download_fd, 0, SEEK_SET) != 0)) {
        return answer;
      }
      std::this_thread::sleep_for(std::chrono::seconds(attempt));  // back off: 1 s, then 2 s
    }
  }

  Result<Answer> SendOnce(const Call& call, bool& retryable) {
    const S3Settings& s = settings_;
    CURL* c = curl_.get();
    curl_easy_reset(c);
    // Path-style: /bucket/key on the endpoint's host; else /key on bucket.host.
    std::string path = endpoint_.base_path;
    if (s.path_style) path += "/" + s.bucket;
    if (!call.key.empty() || !s.path_style) path += "/" + call.key;
    const std::string host = s.path_style ? endpoint_.authority : s.bucket + "." + endpoint_.authority;
    const std::string payload_hash = call.upload_fd >= 0 ? call.payload_hash : sigv4::HexSha256(call.body);
    const std::string amz_date = sigv4::AmzDate(std::chrono::system_clock::now());
    const sigv4::Request request{call.method, path, call.query,
                                 {{"host", host}, {"x-amz-content-sha256", payload_hash}, {"x-amz-date", amz_date}},
                                 payload_hash};
    const sigv4::Credentials keys{s.access_key, s.secret_key, s.region.empty() ? "us-east-1" : s.region, "s3"};
    // The URL carries the path and query exactly as they were signed.
    std::string url = endpoint_.scheme + "://" + host + sigv4::CanonicalUri(path);
    if (std::string query = sigv4::CanonicalQuery(call.query); !query.empty()) url += "?" + query;

    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
    add_header("Host: " + host);
    add_header("x-amz-content-sha256: " + payload_hash);
    add_header("x-amz-date: " + amz_date);
    add_header("Authorization: " + sigv4::Authorization(request, keys, amz_date));
    if (!call.body.empty()) add_header("Content-Type: application/xml");

    Answer answer;
    Transfer t{&call, &answer};
    char error_text[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);  // a key's "/../" is sent as signed, not squashed
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s.connect_timeout_seconds > 0 ? s.connect_timeout_seconds : 10L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, kLowSpeedSeconds);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!s.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnWrite);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    if (call.upload_fd >= 0) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);  // a PUT
      curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, OnSeek);
      curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(call.upload_size));
    } else if (call.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, call.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
    } else if (call.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call.method.c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    const CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) return answer;
    const std::string detail = error_text[0] ? error_text : curl_easy_strerror(rc);
    if (t.read_errno) {
      return Failed(fmt::format("reading {} failed: {}", call.upload_name, std::strerror(t.read_errno)));
    }
    if (t.file_shrank) return Failed(fmt::format("{} got shorter while it was being uploaded", call.upload_name));
    if (t.write_errno) {
      return Failed(fmt::format("writing {} failed: {}", call.download_name, std::strerror(t.write_errno)));
    }
    if (t.answer_too_big) {
      return Failed(fmt::format("the S3 endpoint {} answered the request to {} with more than {} MB: that is not "
                                "S3's answer; check backups_s3_endpoint",
                                s.endpoint, call.what, kS3XmlMaxBytes >> 20));
    }
    curl_off_t connected_at = 0;
    curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected_at);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        (rc == CURLE_OPERATION_TIMEDOUT && connected_at == 0)) {
      return Unavailable(fmt::format("the S3 endpoint {} does not answer ({}): check backups_s3_endpoint, and that "
                                     "the server is up and reachable from this machine",
                                     s.endpoint, detail));
    }
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE ||
        rc == CURLE_SSL_CERTPROBLEM) {
      return Unavailable(fmt::format("the S3 endpoint {} cannot be trusted over TLS ({}): set backups_s3_ca_file to "
                                     "the PEM bundle of the authority that signed its certificate",
                                     s.endpoint, detail));
    }
    retryable = true;
    return Unavailable(fmt::format("talking to the S3 endpoint {} to {} failed ({})", s.endpoint, call.what, detail));
  }

  const S3Settings& settings_;
  Endpoint endpoint_;
  std::unique_ptr<CURL, CurlDeleter> curl_;
};

// "the bucket NAME at ENDPOINT", the place most messages name.
std::string BucketAt(const S3Settings& s) { return fmt::format("the bucket {} at {}", s.bucket, s.endpoint); }

// The answer is 2xx but not the XML S3 gives.
Error NotS3(const S3Settings& s, std::string_view what, std::string_view body) {
  return Error{ErrorCode::kFailed,
               fmt::format("the S3 endpoint {} answered the request to {} with something other than S3's XML "
                           "(\"{}\"): check backups_s3_endpoint{}",
                           s.endpoint, what, Clean(body, 120), s.path_style ? "" : " and backups_s3_path_style")};
}

Result<void> CheckKey(const std::string& key) {
  if (key.empty() || key.size() > 1024) {
    return InvalidArgument(fmt::format("an S3 key has 1 to 1024 bytes, not {}", key.size()));
  }
  return {};
}

// The parts of a multipart upload that Initiate started as upload_id, then
// its completion.
Result<void> UploadParts(Session& session, const S3Settings& s, const std::string& key, int fd, uint64_t size,
                         const std::string& name, const std::string& upload_id) {
  // At least kPartSize, in whole MiB, and few enough for S3's 10,000 parts.
  uint64_t part_size = std::max(S3Client::kPartSize, (size + kMaxParts - 1) / kMaxParts);
  part_size = (part_size + kMiB - 1) / kMiB * kMiB;
  const uint64_t parts = (size + part_size - 1) / part_size;
  std::string complete = "<CompleteMultipartUpload>";
  for (uint64_t number = 1, offset = 0; offset < size; ++number, offset += part_size) {
    Call part;
    part.what = fmt::format("upload part {} of {} of {}", number, parts, key);
    part.method = "PUT";
    part.key = key;
    part.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    part.upload_fd = fd;
    part.upload_offset = offset;
    part.upload_size = std::min(part_size, size - offset);
    part.upload_name = name;
    auto hash = HashRange(fd, part.upload_offset, part.upload_size, name);
    if (!hash) return std::unexpected(hash.error());
    part.payload_hash = *hash;
    auto answer = session.Send(part);
    if (!answer) return std::unexpected(answer.error());
    if (answer->etag.empty()) {
      return Failed(fmt::format("the S3 endpoint {} gave no ETag for part {} of {}: it does not do multipart "
                                "uploads as S3 does",
                                s.endpoint, number, key));
    }
    complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", number,
                            XmlEscape(answer->etag));
  }
  complete += "</CompleteMultipartUpload>";
  Call call;
  call.what = "complete the multipart upload of " + key;
  call.method = "POST";
  call.key = key;
  call.query = {{"uploadId", upload_id}};
  call.body = complete;
  call.retry = false;
  auto answer = session.Send(call);
  if (!answer) return std::unexpected(answer.error());
  // S3 may answer 200 and put an Error in the body.
  if (ParseS3Error(answer->body)) return std::unexpected(S3AnswerError(s, call.what, answer->status, answer->body));
  return {};
}

// Removes a file unless told to keep it.
class RemoveUnlessKept {
 public:
  explicit RemoveUnlessKept(std::string path) : path_(std::move(path)) {}
  ~RemoveUnlessKept() {
    if (!kept_) unlink(path_.c_str());
  }
  void Keep() { kept_ = true; }

 private:
  std::string path_;
  bool kept_ = false;
};

}  // namespace

S3Client::S3Client(S3Settings settings) : settings_(std::move(settings)) {
  GlobalInit();
  if (auto endpoint = ParseEndpoint(settings_.endpoint); !endpoint) {
    invalid_ = endpoint.error();
  } else if (settings_.bucket.empty()) {
    invalid_ = Error{ErrorCode::kInvalidArgument, "no S3 bucket is set: set backups_s3_bucket"};
  } else if (settings_.access_key.empty() || settings_.secret_key.empty()) {
    invalid_ = Error{ErrorCode::kInvalidArgument,
                     "the S3 keys are not set: set backups_s3_access_key and backups_s3_secret_key"};
  }
}

// The body of every PUT is signed (its SHA-256 computed in a pass over the
// file, or over each part just before it goes), not sent as UNSIGNED-PAYLOAD:
// the store then refuses bytes other than those read here
// (XAmzContentSHA256Mismatch), over plain http too, and a backup is worth
// keeping only as the dump's exact bytes. The cost is one more read of data
// the page cache usually still holds, at SHA-256's hundreds of MB/s: small
// beside the upload itself. Memory stays at one 1 MiB buffer and curl's.
Result<void> S3Client::PutFile(const std::string& key, const std::filesystem::path& local_path) {
  if (invalid_) return std::unexpected(*invalid_);
  if (auto ok = CheckKey(key); !ok) return ok;
  const std::string name = local_path.string();
  Fd fd(open(name.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int e = errno;
    return Fail(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailed,
                fmt::format("cannot read {}: {}", name, std::strerror(e)));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return InvalidArgument(fmt::format("{} is not a regular file: only files go to S3", name));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  Session session(settings_, *ParseEndpoint(settings_.endpoint));

  if (size <= kMultipartThreshold) {
    Call put;
    put.what = "upload " + key;
    put.method = "PUT";
    put.key = key;
    put.upload_fd = fd.get();
    put.upload_size = size;
    put.upload_name = name;
    auto hash = HashRange(fd.get(), 0, size, name);
    if (!hash) return std::unexpected(hash.error());
    put.payload_hash = *hash;
    auto answer = session.Send(put);
    if (!answer) return std::unexpected(answer.error());
    return {};
  }

  Call initiate;
  initiate.what = "start a multipart upload of " + key;
  initiate.method = "POST";
  initiate.key = key;
  initiate.query = {{"uploads", ""}};
  initiate.retry = false;  // each try would start another upload
  auto answer = session.Send(initiate);
  if (!answer) return std::unexpected(answer.error());
  auto upload_id = ParseInitiateMultipartUpload(answer->body);
  if (!upload_id) return std::unexpected(NotS3(settings_, initiate.what, answer->body));

  auto uploaded = UploadParts(session, settings_, key, fd.get(), size, name, *upload_id);
  if (uploaded) return {};
  // Abort, so that the parts sent so far do not stay in the bucket (and on the bill).
  Call abort;
  abort.what = "abort the multipart upload of " + key;
  abort.method = "DELETE";
  abort.key = key;
  abort.query = {{"uploadId", *upload_id}};
  if (auto aborted = session.Send(abort, {204, 200}); !aborted) {
    uploaded.error().message += fmt::format(
        "; aborting the unfinished multipart upload {} failed too ({}): its parts stay in the bucket until "
        "a lifecycle rule that aborts incomplete multipart uploads removes them",
        Clean(*upload_id, 120), aborted.error().message);
  }
  return uploaded;
}

Result<void> S3Client::GetFile(const std::string& key, const std::filesystem::path& local_path) {
  if (invalid_) return std::unexpected(*invalid_);
  if (auto ok = CheckKey(key); !ok) return ok;
  std::string temporary = local_path.string() + ".download-XXXXXX";
  Fd fd(mkostemp(temporary.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    return Failed(fmt::format("cannot create a file next to {}: {}", local_path.string(), std::strerror(errno)));
  }
  RemoveUnlessKept remove(temporary);
  Session session(settings_, *ParseEndpoint(settings_.endpoint));
  Call get;
  get.what = "download " + key;
  get.key = key;
  get.download_fd = fd.get();
  get.download_name = temporary;
  if (auto answer = session.Send(get); !answer) return std::unexpected(answer.error());
  if (fsync(fd.get()) != 0 || fd.Close() != 0) {
    return Failed(fmt::format("writing {} failed: {}", temporary, std::strerror(errno)));
  }
  if (rename(temporary.c_str(), local_path.c_str()) != 0) {
    return Failed(fmt::format("cannot rename {} to {}: {}", temporary, local_path.string(), std::strerror(errno)));
  }
  remove.Keep();
  return {};
}

Result<std::vector<S3ObjectInfo>> S3Client::List(const std::string& prefix) {
  if (invalid_) return std::unexpected(*invalid_);
  Session session(settings_, *ParseEndpoint(settings_.endpoint));
  std::vector<S3ObjectInfo> objects;
  std::string token;
  for (;;) {
    Call list;
    list.what = prefix.empty() ? "list " + BucketAt(settings_)
                               : fmt::format("list the keys under {} in {}", prefix, BucketAt(settings_));
    list.query = {{"list-type", "2"}};
    if (!prefix.empty()) list.query.emplace_back("prefix", prefix);
    if (!token.empty()) list.query.emplace_back("continuation-token", token);
    auto answer = session.Send(list);
    if (!answer) return std::unexpected(answer.error());
    auto page = ParseListObjectsV2(answer->body);
    if (!page) return std::unexpected(NotS3(settings_, list.what, answer->body));
    std::move(page->objects.begin(), page->objects.end(), std::back_inserter(objects));
    if (!page->truncated) return objects;
    // A page that says more follow must say where they start, somewhere new.
    if (page->next_continuation_token.empty() || page->next_continuation_token == token) {
      return Failed(fmt::format("the S3 endpoint {} says its listing of {} goes on but gives no new "
                                "continuation token: it does not list as S3 does",
                                settings_.endpoint, settings_.bucket));
    }
    token = page->next_continuation_token;
  }
}

Result<void> S3Client::Delete(const std::string& key) {
  if (invalid_) return std::unexpected(*invalid_);
  if (auto ok = CheckKey(key); !ok) return ok;
  Session session(settings_, *ParseEndpoint(settings_.endpoint));
  Call remove;
  remove.what = "delete " + key;
  remove.method = "DELETE";
  remove.key = key;
  if (auto answer = session.Send(remove, {204, 200}); !answer) return std::unexpected(answer.error());
  return {};
}

Result<std::string> S3Client::Check() {
  if (invalid_) return std::unexpected(*invalid_);
  Session session(settings_, *ParseEndpoint(settings_.endpoint));
  Call list;
  list.what = "list " + BucketAt(settings_);
  list.query = {{"list-type", "2"}, {"max-keys", "1"}};
  list.retry = false;  // a check answers now
  auto answer = session.Send(list);
  if (!answer) return std::unexpected(answer.error());
  if (!ParseListObjectsV2(answer->body)) return std::unexpected(NotS3(settings_, list.what, answer->body));
  return fmt::format("the S3 endpoint {} answers, the bucket {} exists and the keys of {} may list it",
                     settings_.endpoint, settings_.bucket, settings_.access_key);
}

Error S3AnswerError(const S3Settings& s, std::string_view what, long status, std::string_view body) {
  const auto xml = ParseS3Error(body);
  const std::string code = xml ? Clean(xml->code, 80) : "";
  // What S3 said, for every message: "Code: Message", or the HTTP status.
  std::string said = fmt::format("HTTP {}", status);
  if (xml) said = code + (xml->message.empty() ? "" : ": " + Clean(xml->message));
  else if (!Clean(body).empty()) said += ": " + Clean(body, 120);
  auto error = [](ErrorCode c, std::string m) { return Error{c, std::move(m)}; };

  if (code == "NoSuchBucket" || (!xml && status == 404 && what.starts_with("list "))) {
    return error(ErrorCode::kNotFound, fmt::format("the bucket {} does not exist at {} ({}): create it, or set "
                                                   "backups_s3_bucket",
                                                   s.bucket, s.endpoint, said));
  }
  if (code == "NoSuchKey" || (!xml && status == 404)) {
    return error(ErrorCode::kNotFound, fmt::format("cannot {}: there is no such object in {} ({})", what,
                                                   BucketAt(s), said));
  }
  if (code == "SignatureDoesNotMatch") {
    return error(ErrorCode::kPermissionDenied,
                 fmt::format("the S3 endpoint {} refused the keys ({}): check backups_s3_secret_key", s.endpoint,
                             said));
  }
  if (code == "InvalidAccessKeyId") {
    return error(ErrorCode::kPermissionDenied,
                 fmt::format("the S3 endpoint {} does not know the access key {} ({}): check backups_s3_access_key",
                             s.endpoint, Clean(s.access_key, 128), said));
  }
  if (code == "AccessDenied" || code == "AllAccessDisabled" || code == "AccountProblem" ||
      (!xml && (status == 401 || status == 403))) {
    return error(ErrorCode::kPermissionDenied,
                 fmt::format("the keys of {} may not {} in {} ({}): allow it in the bucket's policy, or check "
                             "backups_s3_access_key and backups_s3_secret_key",
                             Clean(s.access_key, 128), what, BucketAt(s), said));
  }
  if (code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException" ||
      code == "PermanentRedirect" || code == "TemporaryRedirect" || status == 301 || status == 307) {
    std::string fix = xml && !xml->region.empty() ? "set backups_s3_region to " + Clean(xml->region, 64)
                                                  : "check backups_s3_region";
    if (xml && !xml->endpoint.empty()) fix += ", and backups_s3_endpoint to the endpoint it names";
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("the bucket {} is not served from region {} at {} ({}): {}", s.bucket,
                             s.region.empty() ? "us-east-1" : s.region, s.endpoint, said, fix));
  }
  if (code == "InvalidBucketName") {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("\"{}\" is not a valid bucket name at {} ({}): check backups_s3_bucket",
                             Clean(s.bucket, 128), s.endpoint, said));
  }
  if (code == "RequestTimeTooSkewed") {
    return error(ErrorCode::kFailed, fmt::format("the clocks of this machine and of the S3 endpoint {} differ by "
                                                 "more than 15 minutes ({}): set this machine's clock (NTP)",
                                                 s.endpoint, said));
  }
  if (code == "XAmzContentSHA256Mismatch" || code == "BadDigest" || code == "IncompleteBody") {
    return error(ErrorCode::kFailed, fmt::format("the S3 endpoint {} received other bytes than were sent to {} ({}): "
                                                 "the file changed during the upload, or something on the way "
                                                 "altered it",
                                                 s.endpoint, what, said));
  }
  if (status >= 500 || code == "SlowDown" || code == "ServiceUnavailable" || code == "InternalError") {
    return error(ErrorCode::kUnavailable, fmt::format("the S3 endpoint {} failed to {} ({}): try again later",
                                                      s.endpoint, what, said));
  }
  return error(ErrorCode::kFailed, fmt::format("the S3 endpoint {} refused to {} ({})", s.endpoint, what, said));
}

}  // namespace ms
