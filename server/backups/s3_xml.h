#pragma once
// The XML of S3's answers, read for the few elements the S3 client needs: an
// Error's Code and Message, a ListObjectsV2 page, an initiated multipart
// upload's UploadId. Not a general XML parser: a bounded scan for named
// elements, with the five predefined entities and character references
// decoded. The bytes come from another machine: every function takes any
// input without throwing, in time linear in its size, and refuses input over
// kS3XmlMaxBytes. Pure functions: any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ms {

// A ListObjectsV2 page of 1,000 keys of 1,024 bytes is about 1.5 MB.
inline constexpr size_t kS3XmlMaxBytes = 16 << 20;
inline constexpr size_t kS3ListMaxObjectsPerPage = 10000;

struct S3XmlError {
  std::string code;     // "NoSuchBucket", "SignatureDoesNotMatch"
  std::string message;  // S3's sentence
  std::string region;   // the bucket's region, when S3 names it (AuthorizationHeaderMalformed)
  std::string endpoint; // where the bucket is, when S3 names it (PermanentRedirect)
};

struct S3ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string last_modified;  // as S3 gives it: "2024-05-01T03:00:12.000Z"
};

struct S3ListPage {
  std::vector<S3ObjectInfo> objects;
  bool truncated = false;
  std::string next_continuation_token;  // when truncated
};

// nullopt unless xml is an <Error> with a non-empty <Code>.
std::optional<S3XmlError> ParseS3Error(std::string_view xml);
// nullopt unless xml is a <ListBucketResult> whose every <Contents> has a
// <Key> and a numeric <Size>, with at most kS3ListMaxObjectsPerPage of them.
std::optional<S3ListPage> ParseListObjectsV2(std::string_view xml);
// The UploadId of an <InitiateMultipartUploadResult>; nullopt when missing or empty.
std::optional<std::string> ParseInitiateMultipartUpload(std::string_view xml);

// text with & < > " ' as entities, for the XML the client sends.
std::string XmlEscape(std::string_view text);

}  // namespace ms
