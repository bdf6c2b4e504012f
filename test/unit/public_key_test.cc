#include "server/keys/public_key.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using ms_test::Contains;
using ms_test::GenerateKey;

namespace {

// Made once with `ssh-keygen -t ed25519`; `ssh-keygen -l` printed the fingerprint.
constexpr const char* kFixedEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFBl4i81c/L02HOsq2aKN8MEQprmZgYc6QrA5jqceGHB fixed@test";
constexpr const char* kFixedEd25519Fingerprint = "SHA256:sawUsqt7dX7xzPO7llSIXfTLTXz3RJwHYTkVWWCcSs4";
constexpr const char* kFixedEcdsa =
    "ecdsa-sha2-nistp256 "
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHkKVtUJKP6A/O9YZYqy/"
    "ySmZ8A0PoGGMHz5NMSuEjAMUi4T49JIo+3FEEMN4b5HgsshFyb2Ggtbm4fs6U+EZ9I= e@test";
constexpr const char* kFixedEcdsaFingerprint = "SHA256:u6y/qbJz8Avw6DxbKjE0ROuuvS2CIrd9r/WvF1dXbH4";

}  // namespace

TEST_CASE("ParsePublicKey of a generated key matches Fingerprint()", "[public_key]") {
  auto gen = GenerateKey();
  auto fp = ms::Fingerprint(gen.key.get());
  REQUIRE_OK(fp);
  CHECK(fp->starts_with("SHA256:"));
  CHECK(fp->size() == 7 + 43);  // 32 bytes of SHA-256, unpadded base64

  auto parsed = ms::ParsePublicKey(gen.PublicLine("alice@laptop"));
  REQUIRE_OK(parsed);
  CHECK(parsed->type == "ssh-ed25519");
  CHECK(parsed->base64 == gen.base64);
  CHECK(parsed->comment == "alice@laptop");
  CHECK(parsed->fingerprint == *fp);
  CHECK(parsed->Line() == "ssh-ed25519 " + gen.base64);
}

TEST_CASE("ParsePublicKey matches ssh-keygen's fingerprints", "[public_key]") {
  auto ed = ms::ParsePublicKey(kFixedEd25519);
  REQUIRE_OK(ed);
  CHECK(ed->fingerprint == kFixedEd25519Fingerprint);
  CHECK(ed->comment == "fixed@test");

  auto ec = ms::ParsePublicKey(kFixedEcdsa);
  REQUIRE_OK(ec);
  CHECK(ec->type == "ecdsa-sha2-nistp256");
  CHECK(ec->fingerprint == kFixedEcdsaFingerprint);
}

TEST_CASE("ParsePublicKey accepts other key types", "[public_key]") {
  auto gen = GenerateKey(SSH_KEYTYPE_ECDSA_P256);
  auto parsed = ms::ParsePublicKey(gen.PublicLine());
  REQUIRE_OK(parsed);
  CHECK(parsed->type == "ecdsa-sha2-nistp256");
  CHECK(parsed->comment.empty());
  CHECK(parsed->fingerprint == ms::Fingerprint(gen.key.get()).value());
}

TEST_CASE("ParsePublicKey skips blank lines and comments and takes the first key",
          "[public_key]") {
  auto first = GenerateKey();
  auto second = GenerateKey();
  std::string text = "\n   \n# my keys\n\t# indented comment\n\n" + first.PublicLine("one") +
                     "\n" + second.PublicLine("two") + "\n";
  auto parsed = ms::ParsePublicKey(text);
  REQUIRE_OK(parsed);
  CHECK(parsed->base64 == first.base64);
  CHECK(parsed->comment == "one");
  CHECK(parsed->fingerprint == ms::Fingerprint(first.key.get()).value());
}

TEST_CASE("ParsePublicKey tolerates CRLF / leading blanks and multi-word comments",
          "[public_key]") {
  auto gen = GenerateKey();
  auto parsed = ms::ParsePublicKey("  " + gen.type + "   " + gen.base64 + "  Alice Smith's laptop\r\n");
  REQUIRE_OK(parsed);
  CHECK(parsed->base64 == gen.base64);
  CHECK(parsed->comment == "Alice Smith's laptop");

  auto no_newline = ms::ParsePublicKey(gen.PublicLine());
  REQUIRE_OK(no_newline);
  CHECK(no_newline->comment.empty());
}

TEST_CASE("ParsePublicKey refuses garbage with a helpful message", "[public_key]") {
  const std::vector<std::string> garbage = {
      "hello",
      "ssh-ed25519",
      "ssh-ed25519 !!!not-base64!!!",
      "ssh-ed25519 AAAA",
      "foo-key AAAAC3NzaC1lZDI1NTE5AAAAIFBl4i81c/L02HOsq2aKN8MEQprmZgYc6QrA5jqceGHB",
      std::string(5000, 'x'),
  };
  for (const auto& text : garbage) {
    INFO("text: " << text.substr(0, 80));
    auto r = ms::ParsePublicKey(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "ssh-ed25519 AAAAC3Nza"));
    CHECK(Contains(r.error().message, ".pub"));
    CHECK(r.error().message.size() < 400);
  }
  CHECK(Contains(ms::ParsePublicKey("foo-key AAAA").error().message, "unknown key type 'foo-key'"));
  CHECK(Contains(ms::ParsePublicKey("ssh-ed25519 AAAA").error().message, "not a valid ssh-ed25519"));
}

TEST_CASE("ParsePublicKey refuses empty input", "[public_key]") {
  for (std::string text : {"", "\n\n", "# just a comment\n", "   \t  "}) {
    auto r = ms::ParsePublicKey(text);
    REQUIRE_FALSE(r.has_value());
    CHECK(Contains(r.error().message, "no public key given"));
  }
}

TEST_CASE("ParsePublicKey refuses a private key and says not to share it", "[public_key]") {
  auto gen = GenerateKey();
  std::string priv = gen.PrivateText();
  REQUIRE(Contains(priv, "PRIVATE KEY"));
  auto r = ms::ParsePublicKey(priv);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(Contains(r.error().message, "private key"));
  CHECK(Contains(r.error().message, "never share"));
  // The message does not echo the secret.
  CHECK_FALSE(Contains(r.error().message, priv.substr(40, 20)));
}

TEST_CASE("ParsePublicKey refuses a key whose type name does not match its data",
          "[regression][public_key]") {
  auto p256 = GenerateKey(SSH_KEYTYPE_ECDSA_P256);
  auto r = ms::ParsePublicKey("ecdsa-sha2-nistp384 " + p256.base64);
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "ecdsa-sha2-nistp256"));
}
