// ParseCertBundle (server/certs/cert_bundle.h): what certs:add accepts and the
// reasons it gives for what it refuses; NameCovers.

#include <catch2/catch.hpp>

#include <ctime>

#include "server/certs/cert_bundle.h"
#include "test/support/test_certs.h"

using ms::NameCovers;
using ms::ParseCertBundle;
using ms::test::MakeSelfSigned;

namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

bool Says(const ms::Result<ms::CertBundle>& r, const std::string& text) {
  return !r && r.error().message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("ParseCertBundle: a key and its certificate in either order - names, issuer, expiry, key type, clean PEM",
          "[certs]") {
  auto ec = MakeSelfSigned({"Shop.Example.com", "*.shop.example.com"});
  for (const std::string& text : {ec.key_pem + ec.cert_pem, ec.cert_pem + ec.key_pem,
                                  "junk before\n" + ec.cert_pem + "between\n" + ec.key_pem + "after"}) {
    auto b = ParseCertBundle(text, Now());
    REQUIRE(b);
    CHECK(b->names == std::vector<std::string>{"shop.example.com", "*.shop.example.com"});
    CHECK(b->issuer == "Shop.Example.com");
    CHECK(b->key_type == "ECDSA P-256");
    CHECK(b->not_after > Now() + 89 * 86400);
    CHECK(b->not_after < Now() + 91 * 86400);
    CHECK(b->pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    CHECK(b->pem.find(ec.cert_pem) != std::string::npos);
    CHECK(b->pem.find("junk") == std::string::npos);
  }
  auto rsa = ParseCertBundle(MakeSelfSigned({"rsa.example"}, true).Bundle(), Now());
  REQUIRE(rsa);
  CHECK(rsa->key_type == "RSA 2048");
}

TEST_CASE("ParseCertBundle: refused with the reason", "[certs]") {
  auto a = MakeSelfSigned({"a.example"});
  auto b = MakeSelfSigned({"b.example"});
  CHECK(Says(ParseCertBundle("", Now()), "no PEM found"));
  CHECK(Says(ParseCertBundle("hello\n", Now()), "no PEM found"));
  CHECK(Says(ParseCertBundle(a.cert_pem, Now()), "no private key"));
  CHECK(Says(ParseCertBundle(a.key_pem, Now()), "no certificate found"));
  CHECK(Says(ParseCertBundle(a.key_pem + b.key_pem + a.cert_pem, Now()), "more than one private key"));
  CHECK(Says(ParseCertBundle(b.key_pem + a.cert_pem, Now()), "belongs to none of the certificates"));
  CHECK(Says(ParseCertBundle(a.Bundle() + b.cert_pem, Now()), "is not in the leaf's chain"));
  CHECK(Says(ParseCertBundle(MakeSelfSigned({"old.example"}, false, -1).Bundle(), Now()), "has expired"));
  CHECK(Says(ParseCertBundle(a.Bundle(), Now() - 86400), "not valid yet"));
  std::string damaged = a.key_pem + a.cert_pem;
  damaged[damaged.find("-----BEGIN CERTIFICATE-----") + 40] = '!';
  CHECK_FALSE(ParseCertBundle(damaged, Now()));
}

TEST_CASE("NameCovers: exact names and one-label wildcards", "[certs]") {
  CHECK(NameCovers("shop.example.com", "shop.example.com"));
  CHECK_FALSE(NameCovers("shop.example.com", "www.shop.example.com"));
  CHECK(NameCovers("*.example.com", "shop.example.com"));
  CHECK_FALSE(NameCovers("*.example.com", "example.com"));
  CHECK_FALSE(NameCovers("*.example.com", "a.shop.example.com"));
  CHECK_FALSE(NameCovers("*.example.com", ".example.com"));
  CHECK(NameCovers("*.example.com", "*.example.com"));  // a wildcard custom domain
}
