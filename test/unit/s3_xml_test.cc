#include "server/backups/s3_xml.h"

#include <catch2/catch.hpp>

#include <string>

namespace {

constexpr std::string_view kListPage = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>mothership-backups</Name>
  <Prefix>app/</Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents>
    <Key>app/2024-05-01T03:00:00Z.pgdump</Key>
    <LastModified>2024-05-01T03:00:12.000Z</LastModified>
    <ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>
    <Size>20971520</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>app/a &amp; b &lt;c&gt; &#233;&#x20AC;.pgdump</Key>
    <LastModified>2024-05-02T03:00:12.000Z</LastModified>
    <Size>73400320</Size>
  </Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";

}  // namespace

TEST_CASE("s3 xml: a ListObjectsV2 page gives its keys (entities decoded), sizes, times, truncation and "
          "continuation token", "[s3]") {
  auto page = ms::ParseListObjectsV2(kListPage);
  REQUIRE(page);
  REQUIRE(page->objects.size() == 2);
  CHECK(page->objects[0].key == "app/2024-05-01T03:00:00Z.pgdump");
  CHECK(page->objects[0].size == 20971520);
  CHECK(page->objects[0].last_modified == "2024-05-01T03:00:12.000Z");
  CHECK(page->objects[1].key == "app/a & b <c> \xc3\xa9\xe2\x82\xac.pgdump");
  CHECK(page->objects[1].size == 73400320);
  CHECK(page->truncated);
  CHECK(page->next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_CASE("s3 xml: an empty last page, a <Key/>, and a page's fields are not taken from inside a Contents",
          "[s3]") {
  auto empty = ms::ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>");
  REQUIRE(empty);
  CHECK(empty->objects.empty());
  CHECK_FALSE(empty->truncated);
  CHECK(empty->next_continuation_token.empty());

  auto odd = ms::ParseListObjectsV2(
      "<ListBucketResult><Contents><Key/><Size> 0 </Size><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>inner</NextContinuationToken></Contents></ListBucketResult>");
  REQUIRE(odd);
  REQUIRE(odd->objects.size() == 1);
  CHECK(odd->objects[0].key.empty());
  CHECK(odd->objects[0].size == 0);
  CHECK_FALSE(odd->truncated);
  CHECK(odd->next_continuation_token.empty());
}

TEST_CASE("s3 xml: a page that is not S3's is refused - no root, a Contents without a Key or a number for "
          "its Size, an unclosed element", "[s3]") {
  CHECK_FALSE(ms::ParseListObjectsV2(""));
  CHECK_FALSE(ms::ParseListObjectsV2("<html><body>502 Bad Gateway</body></html>"));
  CHECK_FALSE(ms::ParseListObjectsV2("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>"));
  CHECK_FALSE(ms::ParseListObjectsV2(
      "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>"));
  CHECK_FALSE(ms::ParseListObjectsV2(
      "<ListBucketResult><Contents><Key>k</Key><Size>99999999999999999999999</Size></Contents></ListBucketResult>"));
  CHECK_FALSE(ms::ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>1</Size>"));
  CHECK_FALSE(ms::ParseListObjectsV2("<ListBucketResult"));
  CHECK_FALSE(ms::ParseListObjectsV2("<ListBucketResultX></ListBucketResultX>"));
}

TEST_CASE("s3 xml: a page of more objects than S3 ever sends is refused", "[s3]") {
  std::string many = "<ListBucketResult>";
  for (size_t i = 0; i <= ms::kS3ListMaxObjectsPerPage; ++i) many += "<Contents><Key>k</Key><Size>1</Size></Contents>";
  many += "</ListBucketResult>";
  CHECK_FALSE(ms::ParseListObjectsV2(many));
}

TEST_CASE("s3 xml: an Error gives its Code, Message, Region and Endpoint", "[s3]") {
  auto e = ms::ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
      "signature we calculated does not match the signature you provided. Check your key and signing method."
      "</Message><AWSAccessKeyId>AK</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256&#10;x</StringToSign></Error>");
  REQUIRE(e);
  CHECK(e->code == "SignatureDoesNotMatch");
  CHECK(e->message.starts_with("The request signature we calculated"));
  auto region = ms::ParseS3Error(
      "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting "
      "'eu-west-1'</Message><Region>eu-west-1</Region></Error>");
  REQUIRE(region);
  CHECK(region->region == "eu-west-1");
  CHECK(region->message == "the region 'us-east-1' is wrong; expecting 'eu-west-1'");
  auto moved = ms::ParseS3Error(
      "<Error><Code>PermanentRedirect</Code><Message>m</Message>"
      "<Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint></Error>");
  REQUIRE(moved);
  CHECK(moved->endpoint == "b.s3.eu-west-1.amazonaws.com");
  CHECK_FALSE(ms::ParseS3Error("<Error><Message>no code</Message></Error>"));
  CHECK_FALSE(ms::ParseS3Error("<Error><Code>  </Code></Error>"));
  CHECK_FALSE(ms::ParseS3Error("Internal Server Error"));
}

TEST_CASE("s3 xml: InitiateMultipartUploadResult gives its UploadId", "[s3]") {
  auto id = ms::ParseInitiateMultipartUpload(
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket>"
      "<Key>k</Key><UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
      "</InitiateMultipartUploadResult>");
  REQUIRE(id);
  CHECK(*id == "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  CHECK_FALSE(ms::ParseInitiateMultipartUpload("<InitiateMultipartUploadResult><UploadId></UploadId>"
                                               "</InitiateMultipartUploadResult>"));
  CHECK_FALSE(ms::ParseInitiateMultipartUpload("<Error><Code>AccessDenied</Code></Error>"));
}

TEST_CASE("s3 xml: references that stand for nothing stay as they are - hostile input ends quickly", "[s3]") {
  auto e = ms::ParseS3Error("<Error><Code>C</Code><Message>&bogus; &#0; &#xD800; &#1114112; &#12345678901; &#x41"
                            "</Message></Error>");
  REQUIRE(e);
  CHECK(e->message == "&bogus; &#0; &#xD800; &#1114112; &#12345678901; &#x41");
  // Megabytes of openings with no end: linear, no crash.
  std::string hostile;
  for (int i = 0; i < 200000; ++i) hostile += "<Contents><Key>&#";
  CHECK_FALSE(ms::ParseListObjectsV2("<ListBucketResult>" + hostile));
  CHECK_FALSE(ms::ParseS3Error("<Error>" + hostile));
  CHECK_FALSE(ms::ParseS3Error(std::string(ms::kS3XmlMaxBytes + 1, '<')));
}

TEST_CASE("s3 xml: XmlEscape makes text safe inside an element", "[s3]") {
  CHECK(ms::XmlEscape("\"etag\" & <x> 'y'") == "&quot;etag&quot; &amp; &lt;x&gt; &apos;y&apos;");
}
