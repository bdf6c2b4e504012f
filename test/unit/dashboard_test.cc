// The dashboard's pieces that need no daemon: its sign-ins and sessions in the
// store, the WebSocket codec of its terminal, the Cookie header, its files.

#include <catch2/catch.hpp>

#include <ctime>
#include <string>
#include <vector>

#include "server/api/dashboard_files.h"
#include "server/api/websocket.h"
#include "server/common/cookies.h"
#include "server/common/gzip.h"
#include "server/keys/api_token.h"
#include "server/keys/web_session.h"
#include "test/unit/test_helpers.h"

namespace {

// A client's frame: masked, as browsers send them.
std::string ClientFrame(uint8_t first, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(first));
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

struct Sessions {
  ms_test::TempDir dir;
  std::unique_ptr<ms::Store> store = ms_test::OpenStore(dir.path() / "db.sqlite");
  Sessions() {
    REQUIRE(store->AddKey({0, "dev", "SHA256:dev1", "ssh-ed25519 AAAAdev1", ms::Role::kDeveloper, ""}));
    REQUIRE(store->AddKey({0, "dev", "SHA256:dev2", "ssh-ed25519 AAAAdev2", ms::Role::kDeveloper, ""}));
    REQUIRE(store->AddKey({0, "root", "SHA256:root", "ssh-ed25519 AAAAroot", ms::Role::kAdmin, ""}));
  }
  std::string Link(const std::string& key_name, const std::string& fingerprint) {
    ms::Caller caller{key_name, ms::Role::kDeveloper, "", "", fingerprint};
    auto code = ms::NewSignInLink(*store, caller);
    REQUIRE(code);
    return *code;
  }
  // A new API token of key_name's.
  std::string Token(const std::string& key_name, const std::string& name) {
    auto token = ms::NewApiToken();
    REQUIRE(token);
    ms::ApiToken row;
    row.key_name = key_name;
    row.name = name;
    REQUIRE(store->AddToken(row, ms::ApiTokenHash(*token)));
    return *token;
  }
  bool Valid(const std::string& cookie) {
    auto s = ms::FindSession(*store, cookie);
    REQUIRE(s);
    return s->has_value();
  }
};

}  // namespace

TEST_CASE("dashboard sign-in: a link works once, and its session acts as the key that asked for it until that "
          "key is removed") {
  Sessions t;
  const std::string code = t.Link("dev", "SHA256:dev1");
  CHECK(ms::IsWebSecretShape(code));
  auto in = ms::SignIn(*t.store, code);
  REQUIRE(in);
  CHECK(in->session.key_name == "dev");
  CHECK(in->session.role == ms::Role::kDeveloper);
  CHECK(in->session.key_fingerprint == "SHA256:dev1");
  CHECK(ms::IsWebSecretShape(in->session.csrf));
  CHECK(in->session.csrf != in->cookie);
  CHECK(in->session.expires_at > std::time(nullptr) + ms::kSessionSeconds - 5);
  auto again = ms::SignIn(*t.store, code);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ms::ErrorCode::kPermissionDenied);
  CHECK(again.error().message.find("used already") != std::string::npos);
  CHECK(t.Valid(in->cookie));
  // A session cookie is not a link, nor a link a session.
  CHECK_FALSE(ms::SignIn(*t.store, in->cookie));
  const std::string unused = t.Link("dev", "SHA256:dev1");
  CHECK_FALSE(t.Valid(unused));
  // Removing the other key of the name leaves it; removing this key ends it.
  REQUIRE(t.store->RemoveKey("dev", "SHA256:dev2", "root"));
  CHECK(t.Valid(in->cookie));
  REQUIRE(t.store->RemoveKey("dev", "SHA256:dev1", "root"));
  CHECK_FALSE(t.Valid(in->cookie));
  CHECK_FALSE(ms::SignIn(*t.store, unused));
}

TEST_CASE("dashboard sign-in: a token's session ends with the token, sign-out ends a session, junk is refused") {
  Sessions t;
  const std::string token = t.Token("root", "laptop");
  auto in = ms::SignIn(*t.store, token);
  REQUIRE(in);
  CHECK(in->session.role == ms::Role::kAdmin);
  CHECK(in->session.token_name == "laptop");
  auto out = ms::SignIn(*t.store, token);  // a token signs in as often as it likes
  REQUIRE(out);
  CHECK(t.Valid(in->cookie));
  REQUIRE(ms::SignOut(*t.store, out->cookie));
  CHECK_FALSE(t.Valid(out->cookie));
  CHECK(t.Valid(in->cookie));
  REQUIRE(t.store->RemoveToken("root", "laptop").value());
  CHECK_FALSE(t.Valid(in->cookie));
  CHECK_FALSE(ms::SignIn(*t.store, token));
  for (const std::string& junk : std::vector<std::string>{"", "mst_", std::string(64, 'g'), std::string(64, '0'), std::string(10000, 'a')}) {
    auto r = ms::SignIn(*t.store, junk);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ms::ErrorCode::kPermissionDenied);
    CHECK_FALSE(t.Valid(junk));
  }
}

TEST_CASE("dashboard sign-in: a key name keeps its newest 50 sessions, so signing in again and again cannot "
          "fill the disk") {
  Sessions t;
  const std::string token = t.Token("dev", "loop");
  std::vector<std::string> cookies;
  for (int i = 0; i < ms::Store::kMaxWebSessions + 10; ++i) {
    auto in = ms::SignIn(*t.store, token);
    REQUIRE(in);
    cookies.push_back(in->cookie);
  }
  int valid = 0;
  for (const auto& c : cookies) valid += t.Valid(c) ? 1 : 0;
  CHECK(valid == ms::Store::kMaxWebSessions);
  CHECK_FALSE(t.Valid(cookies.front()));
  CHECK(t.Valid(cookies.back()));
  // Another name's sessions are not touched.
  auto root_link = t.Link("root", "SHA256:root");
  CHECK(ms::SignIn(*t.store, root_link));
}

TEST_CASE("dashboard: the session cookie is read from a Cookie header and written Secure, HttpOnly, "
          "SameSite=Strict") {
  CHECK(ms::CookieValue("a=1; mothership_session=abc; b=2", "mothership_session") == "abc");
  CHECK(ms::CookieValue("mothership_session=abc", "mothership_session") == "abc");
  CHECK(ms::CookieValue("xmothership_session=abc; mothership_session=def", "mothership_session") == "def");
  CHECK(ms::CookieValue("a=1;b", "mothership_session").empty());
  CHECK(ms::CookieValue("", "mothership_session").empty());
  CHECK(ms::CookieValue("mothership_session=" + std::string(500, 'a'), "mothership_session").size() == 128);
  CHECK(ms::SessionCookieHeader("v", 60) == "mothership_session=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Strict");
}

TEST_CASE("websocket: the handshake's accept value and frames as RFC 6455 gives them") {
  // RFC 6455 section 1.3's example.
  CHECK(ms::WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(ms::WebSocketFrame(ms::kWsText, "Hello") == std::string("\x81\x05Hello"));
  std::string big = ms::WebSocketFrame(ms::kWsBinary, std::string(300, 'x'));
  CHECK(big.substr(0, 4) == std::string("\x82\x7e\x01\x2c", 4));
  CHECK(big.size() == 304);
  CHECK(ms::WebSocketFrame(ms::kWsBinary, std::string(70000, 'x')).substr(0, 10) ==
        std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
}

TEST_CASE("websocket: the reader unmasks, joins fragments around control frames, and waits for whole frames") {
  ms::WebSocketReader reader(1024);
  std::vector<ms::WebSocketMessage> out;
  std::string bytes = ClientFrame(0x01, "Hel") + ClientFrame(0x89, "ping") + ClientFrame(0x80, "lo") +
                      ClientFrame(0x82, std::string(200, 'z'));
  // Byte by byte: nothing comes out before a frame is whole.
  for (char c : bytes) REQUIRE(reader.Feed(std::string_view(&c, 1), out));
  REQUIRE(out.size() == 3);
  CHECK(out[0].opcode == ms::kWsPing);
  CHECK(out[0].payload == "ping");
  CHECK(out[1].opcode == ms::kWsText);
  CHECK(out[1].payload == "Hello");
  CHECK(out[2].opcode == ms::kWsBinary);
  CHECK(out[2].payload == std::string(200, 'z'));
}

TEST_CASE("websocket: the reader refuses what breaks the protocol or its limit") {
  auto fails = [](const std::string& bytes, size_t limit = 1024) {
    ms::WebSocketReader reader(limit);
    std::vector<ms::WebSocketMessage> out;
    auto r = reader.Feed(bytes, out);
    return !r && r.error().code == ms::ErrorCode::kInvalidArgument;
  };
  CHECK(fails(std::string("\x81\x02hi", 4)));                 // not masked
  CHECK(fails(ClientFrame(0xc1, "x")));                         // a reserved bit
  CHECK(fails(ClientFrame(0x83, "x")));                         // opcode 3
  CHECK(fails(ClientFrame(0x09, "x")));                         // a fragmented ping
  CHECK(fails(ClientFrame(0x89, std::string(126, 'x'))));       // a long ping
  CHECK(fails(ClientFrame(0x80, "x")));                         // a continuation of nothing
  CHECK(fails(ClientFrame(0x01, "a") + ClientFrame(0x81, "b")));  // a new message inside one
  CHECK(fails(ClientFrame(0x82, std::string(200, 'x')), 100));  // over the limit
  CHECK(fails(ClientFrame(0x01, std::string(60, 'x')) + ClientFrame(0x80, std::string(60, 'x')), 100));
  // A length of 2^63 is refused from its head, before any payload comes.
  CHECK(fails(std::string("\x82\xff\x7f\xff\xff\xff\xff\xff\xff\xff", 10)));
}

TEST_CASE("dashboard files: the page names its script and stylesheet by digest, gzipped when asked, with a strict "
          "Content-Security-Policy") {
  ms::ApiReply page = ms::DashboardFile("/", false);
  REQUIRE(page.text);
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.text->find("?v=DIGEST") == std::string::npos);
  auto header = [](const ms::ApiReply& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return std::string();
  };
  CHECK(header(page, "Content-Security-Policy").find("default-src 'none'; script-src 'self'") == 0);
  CHECK(header(page, "Cache-Control") == "no-cache");
  auto at = page.text->find("/dashboard.js?v=");
  REQUIRE(at != std::string::npos);
  std::string script_path = page.text->substr(at, page.text->find('"', at) - at);
  ms::ApiReply script = ms::DashboardFile(script_path.substr(0, script_path.find('?')), true);
  REQUIRE(script.text);
  CHECK(header(script, "Content-Encoding") == "gzip");
  auto plain = ms::Gunzip(*script.text, 1 << 22);
  REQUIRE(plain);
  CHECK(plain->find("\"use strict\"") != std::string::npos);
  CHECK(ms::DashboardFile("/../etc/passwd", false).status == 404);
  CHECK(ms::DashboardFile("/api", false).status == 404);
  // Everything a first load fetches, gzipped, is well under 150 KB.
  size_t total = 0;
  for (const auto& f : ms::DashboardFiles()) total += ms::DashboardFile(f.path, true).text->size();
  CHECK(total < 60 * 1024);
}
