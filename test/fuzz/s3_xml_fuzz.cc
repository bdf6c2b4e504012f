// The XML of S3's answers as the S3 client reads it (server/backups/s3_xml.h),
// from an endpoint that may be anyone's: no parser throws or reads past the
// input, what they give comes from it (decoding never grows text), a page
// keeps to its limit, and any text escaped by XmlEscape comes back as it was
// from an Error's Message and from a listed Key.

#include <cstdint>
#include <string>
#include <string_view>

#include "server/backups/s3_xml.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto page = ms::ParseListObjectsV2(input)) {
    FUZZ_CHECK(page->objects.size() <= ms::kS3ListMaxObjectsPerPage);
    FUZZ_CHECK(page->next_continuation_token.size() <= size);
    for (const auto& object : page->objects) {
      FUZZ_CHECK(object.key.size() <= size && object.last_modified.size() <= size);
    }
  }
  if (auto error = ms::ParseS3Error(input)) {
    FUZZ_CHECK(!error->code.empty());
    for (const auto* text : {&error->code, &error->message, &error->region, &error->endpoint}) {
      FUZZ_CHECK(text->size() <= size);
    }
  }
  if (auto id = ms::ParseInitiateMultipartUpload(input)) FUZZ_CHECK(!id->empty() && id->size() <= size);

  const std::string escaped = ms::XmlEscape(input);
  auto message = ms::ParseS3Error("<Error><Code>C</Code><Message>" + escaped + "</Message></Error>");
  FUZZ_CHECK(message && message->message == input);
  auto listed = ms::ParseListObjectsV2("<ListBucketResult><Contents><Key>" + escaped +
                                       "</Key><Size>1</Size></Contents></ListBucketResult>");
  FUZZ_CHECK(listed && listed->objects.size() == 1 && listed->objects[0].key == input);
  return 0;
}
