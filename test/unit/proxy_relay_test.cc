// Relaying one framed body (body_relay.h) and tunnelling an upgrade
// (tunnel.h), with in-memory streams (memory_stream.h) in place of sockets.

#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "proxy/body_relay.h"
#include "proxy/tunnel.h"
#include "test/unit/memory_stream.h"

namespace asio = boost::asio;
using ms::proxy::Buffer;
using ms::proxy::Framing;
using ms::proxy::RelayEnd;
using ms::proxy::RelayResult;
using ms::test::Fill;
using ms::test::MemoryStream;

namespace {

Framing Length(uint64_t n) {
  Framing f;
  f.kind = Framing::kLength;
  f.remaining = n;
  return f;
}

Framing Kind(Framing::Kind kind) {
  Framing f;
  f.kind = kind;
  return f;
}

// Runs RelayBody to its end; reads counts the calls of before_read.
struct Relay {
  asio::io_context io;
  MemoryStream from;
  MemoryStream to{io.get_executor(), ""};
  Buffer buf;
  size_t before_reads = 0;

  explicit Relay(std::string input, size_t max_read = 1 << 20) : from(io.get_executor(), std::move(input), max_read) {}

  RelayResult Run(Framing& framing, std::string_view prefix = "", uint64_t max = ms::proxy::kNoBodyLimit) {
    std::optional<RelayResult> result;
    asio::co_spawn(io, ms::proxy::RelayBody(from, to, buf, framing, prefix, [this](uint64_t) { ++before_reads; }, max),
                   [&](std::exception_ptr e, RelayResult r) {
                     if (e) std::rethrow_exception(e);
                     result = r;
                   });
    io.run();
    REQUIRE(result);
    return *result;
  }
};

std::string RandomBytes(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

TEST_CASE("RelayBody relays exactly Content-Length bytes and leaves a pipelined request in the buffer", "[proxy]") {
  Relay relay("6789NEXT REQUEST");
  Fill(relay.buf, "012345");
  Framing f = Length(10);
  RelayResult r = relay.Run(f, "HEAD\r\n\r\n");
  CHECK(r.end == RelayEnd::kDone);
  CHECK(r.bytes == 10);
  CHECK(relay.to.written == "HEAD\r\n\r\n0123456789");
  CHECK(relay.buf.data() == "NEXT REQUEST");
  CHECK(f.Done());
}

TEST_CASE("RelayBody sends the head with a body already at hand in one write, reading nothing", "[proxy]") {
  Relay relay("never read");
  Fill(relay.buf, "hello world\nGET /next");
  Framing f = Length(12);
  RelayResult r = relay.Run(f, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
  CHECK(r.end == RelayEnd::kDone);
  CHECK(relay.to.written == "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n");
  CHECK(relay.to.writes == 1);
  CHECK(relay.from.reads == 0);
  CHECK(relay.before_reads == 0);
  CHECK(relay.buf.data() == "GET /next");
}

TEST_CASE("RelayBody moves a body many times its buffer's size, in small reads", "[proxy]") {
  const std::string body = RandomBytes(1 << 20);
  Relay relay(body + "after", 1000);
  Framing f = Length(body.size());
  RelayResult r = relay.Run(f, "H");
  CHECK(r.end == RelayEnd::kDone);
  CHECK(r.bytes == body.size());
  REQUIRE(relay.to.written.size() == body.size() + 1);
  CHECK(relay.to.written == "H" + body);
  CHECK(relay.before_reads == relay.from.reads);
  CHECK(relay.from.reads == (body.size() + 999) / 1000);
  CHECK(relay.buf.data() == std::string_view("after").substr(0, relay.buf.size()));
}

TEST_CASE("RelayBody passes a chunked body through byte for byte, extensions and trailers included", "[proxy]") {
  const std::string body = "4;name=\"v\"\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Sum: abc\r\nX-More: 1\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{3}, size_t{7}, body.size() + 4}) {
    Relay relay(body + "NEXT", piece);
    Framing f = Kind(Framing::kChunked);
    RelayResult r = relay.Run(f);
    CHECK(r.end == RelayEnd::kDone);
    CHECK(r.bytes == body.size());
    CHECK(relay.to.written == body);
    // What was read past the body stays for the next message.
    CHECK(std::string(relay.buf.data()) + std::string(relay.from.unread()) == "NEXT");
  }
}

TEST_CASE("RelayBody reports a Content-Length body cut short by the source", "[proxy]") {
  Relay relay(std::string(40, 'x'), 16);
  Framing f = Length(100);
  RelayResult r = relay.Run(f, "HEAD");
  CHECK(r.end == RelayEnd::kTruncated);
  CHECK(r.bytes == 40);
  CHECK(relay.to.written == "HEAD" + std::string(40, 'x'));
  CHECK_FALSE(f.Done());
}

TEST_CASE("RelayBody reports a chunked body cut short, with and without its last chunk", "[proxy]") {
  for (std::string cut : {"5\r\nhel", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n"}) {
    Relay relay(cut);
    Framing f = Kind(Framing::kChunked);
    RelayResult r = relay.Run(f);
    CHECK(r.end == RelayEnd::kTruncated);
    CHECK(relay.to.written == cut);
  }
}

TEST_CASE("RelayBody ends a body without framing when the source closes", "[proxy]") {
  const std::string body = RandomBytes(50000);
  Relay relay(body, 4096);
  Framing f = Kind(Framing::kUntilClose);
  RelayResult r = relay.Run(f, "HTTP/1.0 200 OK\r\n\r\n");
  CHECK(r.end == RelayEnd::kDone);
  CHECK(r.bytes == body.size());
  CHECK(relay.to.written == "HTTP/1.0 200 OK\r\n\r\n" + body);
  CHECK_FALSE(f.Done());  // the task's connection cannot be kept
}

TEST_CASE("RelayBody forwards the well-formed part of a malformed chunked body, then stops", "[proxy]") {
  Relay relay("bc\r\nZZ\r\nmore", 4);
  Fill(relay.buf, "3\r\na");
  Framing f = Kind(Framing::kChunked);
  RelayResult r = relay.Run(f);
  CHECK(r.end == RelayEnd::kMalformed);
  CHECK(relay.to.written == "3\r\nabc\r\n");
  CHECK(f.Failed());
}

TEST_CASE("RelayBody stops before a body grows over its limit", "[proxy]") {
  Relay relay(std::string(25, 'b'), 8);
  Framing f = Length(25);
  RelayResult r = relay.Run(f, "", 10);
  CHECK(r.end == RelayEnd::kTooLarge);
  CHECK(relay.to.written == std::string(8, 'b'));
  CHECK(r.bytes == 8);

  Relay exact(std::string(10, 'c'), 8);
  Framing g = Length(10);
  CHECK(exact.Run(g, "", 10).end == RelayEnd::kDone);
  CHECK(exact.to.written == std::string(10, 'c'));
}

TEST_CASE("RelayBody reports a destination that stops taking bytes", "[proxy]") {
  Relay relay(std::string(1000, 'd'), 100);
  relay.to.fail_writes_after = 250;
  Framing f = Length(1000);
  RelayResult r = relay.Run(f, "HEAD");
  CHECK(r.end == RelayEnd::kSinkFailed);
  CHECK(relay.to.written.size() == 250);
  CHECK(relay.from.reads < 10);  // it stopped reading too
}

TEST_CASE("RelayBody with no body writes the head only", "[proxy]") {
  Relay relay("not a body");
  Framing f;  // kNone
  RelayResult r = relay.Run(f, "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(r.end == RelayEnd::kDone);
  CHECK(r.bytes == 0);
  CHECK(relay.to.written == "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(relay.from.reads == 0);
}

TEST_CASE("Tunnel relays both ways, what the client sent early first, until one side closes", "[proxy]") {
  asio::io_context io;
  MemoryStream client(io.get_executor(), "frame-2 frame-3", 7);
  MemoryStream task(io.get_executor(), "reply-1 reply-2", 5);
  client.hold_open = task.hold_open = true;
  Buffer from_client, from_task;
  Fill(from_client, "frame-1 ");
  size_t before_reads = 0;
  bool done = false;
  asio::co_spawn(io, ms::proxy::Tunnel(client, task, from_client, from_task, [&] { ++before_reads; }),
                 [&](std::exception_ptr) { done = true; });
  io.poll();
  CHECK(task.written == "frame-1 frame-2 frame-3");
  CHECK(client.written == "reply-1 reply-2");
  CHECK_FALSE(done);  // both sides are still open
  CHECK(before_reads > 0);

  task.Close();  // the task hangs up: the client's side ends too
  io.run();
  CHECK(done);
}

TEST_CASE("Tunnel ends when the client goes away, and passes nothing more", "[proxy]") {
  asio::io_context io;
  MemoryStream client(io.get_executor(), "bye");
  MemoryStream task(io.get_executor(), "");
  task.hold_open = true;
  Buffer from_client, from_task;
  bool done = false;
  asio::co_spawn(io, ms::proxy::Tunnel(client, task, from_client, from_task, [] {}),
                 [&](std::exception_ptr) { done = true; });
  io.run();
  CHECK(done);
  CHECK(task.written == "bye");
  CHECK(client.written.empty());
}
