// What a pushed Dockerfile may ask the engine to fetch (issue 15, item 2):
// the images it names, remote ADD refused, and the images an app may build on.

#include "server/builder/dockerfile.h"

#include <catch2/catch.hpp>

#include "server/builder/base_image_check.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/test_helpers.h"

using ms::DockerfileImage;
using ms::ReadDockerfile;
using ms_test::Contains;

namespace {

std::vector<DockerfileImage> Images(std::string_view text) {
  auto r = ReadDockerfile(text);
  INFO((r ? "" : r.error().message));
  REQUIRE(r.has_value());
  return *r;
}

std::string ErrorOf(std::string_view text) {
  auto r = ReadDockerfile(text);
  return r ? "" : r.error().message;
}

}  // namespace

TEST_CASE("dockerfile: FROM and COPY --from images, stages and global ARGs") {
  auto images = Images(
      "# syntax comment\n"
      "ARG NODE=20\n"
      "ARG BASE=node:${NODE}\n"
      "FROM --platform=linux/amd64 $BASE AS build\n"
      "RUN npm ci\n"
      "from Build As second\n"
      "FROM debian:bookworm-slim\n"
      "COPY --from=build /app /app\n"
      "COPY --from=second /x /x\n"
      "COPY --from=0 /y /y\n"
      "COPY --from=alpine:3 /etc/os-release /os\n");
  CHECK(images == std::vector<DockerfileImage>{{4, "FROM", "node:20"},
                                               {7, "FROM", "debian:bookworm-slim"},
                                               {11, "COPY --from", "alpine:3"}});
}

TEST_CASE("dockerfile: continuations, the escape directive, CRLF and ONBUILD") {
  CHECK(Images("FROM \\\n  busybox\r\nRUN a \\\n\n  b\nONBUILD COPY --from=redis:7 / /\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "busybox"}, {6, "COPY --from", "redis:7"}});
  CHECK(Images("# escape=`\nFROM `\n  mcr.example/img:1\nRUN dir c:\\\n") ==
        std::vector<DockerfileImage>{{2, "FROM", "mcr.example/img:1"}});
  CHECK(Contains(ErrorOf("# escape=x\nFROM a\n"), "escape directive"));
}

TEST_CASE("dockerfile: a remote ADD is refused with the RUN curl to use instead") {
  for (const char* text : {"FROM busybox\nADD http://169.254.169.254/latest/meta-data /m\n",
                           "FROM busybox\nADD --chown=1:1 [\"https://example.com/a.tgz\", \"/a.tgz\"]\n",
                           "FROM busybox\nadd git@github.com:o/r.git /r\n",
                           "FROM busybox\nONBUILD ADD HTTP://127.0.0.1:5000/v2/ /r\n"}) {
    INFO(text);
    auto e = ErrorOf(text);
    CHECK(Contains(e, "line 2: ADD"));
    CHECK(Contains(e, "RUN curl"));
  }
  CHECK(ErrorOf("FROM busybox\nADD app.tgz /app\nADD [\"a b\", \"/c\"]\n").empty());
}

TEST_CASE("dockerfile: images through variables, empty names and bytes that are not UTF-8 are refused") {
  CHECK(Contains(ErrorOf("FROM busybox\nCOPY --from=$IMG / /\n"), "line 2: COPY --from=$IMG names its image through a variable"));
  CHECK(Contains(ErrorOf("FROM busybox\nCOPY --from= / /\n"), "line 2: COPY --from names no stage or image"));
  CHECK(Contains(ErrorOf("FROM $NOTHING\n"), "line 1: FROM $NOTHING names no image"));
  CHECK(Contains(ErrorOf("FROM --platform=x\n"), "FROM names no image"));
  CHECK(Contains(ErrorOf("FROM busybox\nRUN echo \xff\n"), "line 2 is not UTF-8"));
}

TEST_CASE("base image check: domains and this machine's registries") {
  CHECK(ms::ImageDomain("localhost:5000/shop:v1") == "localhost:5000");
  CHECK(ms::ImageDomain("localhost/shop") == "localhost");
  CHECK(ms::ImageDomain("ghcr.io/o/r:1") == "ghcr.io");
  CHECK(ms::ImageDomain("library/node:20").empty());
  CHECK(ms::ImageDomain("node:20").empty());
  const std::string registry = "registry.internal:5000";
  for (const char* local : {"localhost:5000", "LOCALHOST", "x.localhost:1", "127.0.0.1:5000", "127.1.2.3",
                            "[::1]:5000", "0.0.0.0:5000", "169.254.169.254", "registry.internal:5000",
                            "registry.internal:6000"}) {
    INFO(local);
    CHECK(ms::IsLocalRegistry(local, registry));
  }
  CHECK_FALSE(ms::IsLocalRegistry("ghcr.io", registry));
  CHECK_FALSE(ms::IsLocalRegistry("registry-1.docker.io", registry));
}

TEST_CASE("base image check: an app builds on public images and its own, never another app's") {
  ms::test::FakeDockerClient docker;
  const std::string registry = "localhost:5000";
  auto check = [&](const std::string& name) {
    auto r = ms::CheckBuildImage({3, "FROM", name}, "shop", registry, docker);
    return r ? std::string() : r.error().message;
  };
  // Public images, held or not, and scratch.
  docker.AddImage("node:20", ms::ImageInfo{"sha256:aaa", {"node:20"}, {}, {}, {}, {}, {}});
  CHECK(check("node:20").empty());
  CHECK(check("ghcr.io/o/r:1").empty());
  CHECK(check("scratch").empty());
  // Its own images in this installation's registry.
  docker.AddImage("localhost:5000/shop:v2", ms::ImageInfo{"sha256:bbb", {"localhost:5000/shop:v2"}, {}, {}, {}, {}, {}});
  CHECK(check("localhost:5000/shop:v2").empty());
  // Another app's, by name in any spelling of a registry on this machine.
  for (const char* other : {"localhost:5000/blog:v1", "127.0.0.1:5000/blog:v1", "localhost:5001/shop:v1",
                            "[::1]:5000/shop:v1", "localhost:5000/shop/../blog:v1"}) {
    INFO(other);
    CHECK_FALSE(check(other).empty());
  }
  CHECK(Contains(check("localhost:5000/blog:v1"),
                 "Dockerfile line 3: FROM localhost:5000/blog:v1 names an image in a registry on this server that "
                 "is not this app's"));
  // By ID, and by a name the engine resolves to another app's image (a
  // digest that is an image ID, or a public-looking tag on it).
  CHECK(Contains(check("sha256:0123456789abcdef"), "names an image by its ID"));
  CHECK(Contains(check("0123456789ab"), "names an image by its ID"));
  docker.AddImage("localhost:5000/shop@sha256:ccc", ms::ImageInfo{"sha256:ccc", {"localhost:5000/blog:v4"}, {"localhost:5000/blog@sha256:ddd"}, {}, {}, {}, {}});
  CHECK(Contains(check("localhost:5000/shop@sha256:ccc"), "finds an image on this server that belongs to another app"));
  docker.AddImage("busybox:evil", ms::ImageInfo{"sha256:eee", {}, {}, {{"mothership.app", "blog"}}, {}, {}, {}});
  CHECK(Contains(check("busybox:evil"), "belongs to another app"));
  docker.AddImage("busybox@sha256:fff", ms::ImageInfo{"sha256:fff", {}, {}, {}, {}, {}, {}});
  CHECK(Contains(check("busybox@sha256:fff"), "belongs to another app"));
  // Names that are not image references never reach the engine's URL.
  for (const char* bad : {"a b", "../../containers/json", "x?y", "", "/abs", "a//b"}) {
    INFO(bad);
    CHECK(Contains(check(bad), "is not an image name"));
  }
}

TEST_CASE("dockerfile: read as the engine reads it - no instruction hides from the check") {
  // A continuation at the end of the file still ends its instruction.
  CHECK(Images("FROM alpine\nCOPY --from=localhost:5000/other:v3 / /x \\\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "alpine"}, {2, "COPY --from", "localhost:5000/other:v3"}});
  // Continued lines join with nothing between them.
  CHECK(Images("FROM busybox\nCOPY --fr\\\nom=localhost:5000/other:v3 / /x\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "busybox"}, {2, "COPY --from", "localhost:5000/other:v3"}});
  CHECK(Images("FROM localhost\\\n:5000/other:v3\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "localhost:5000/other:v3"}});
  CHECK(Contains(ErrorOf("FROM busybox\nADD http:/\\\n/169.254.169.254/ /m\n"), "line 2: ADD http://169.254.169.254/"));
  // An escaped escape character is not a continuation; comments and blank
  // lines inside one are dropped.
  CHECK(Images("FROM busybox\nRUN echo \\\\\nCOPY --from=redis:7 / /\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "busybox"}, {3, "COPY --from", "redis:7"}});
  CHECK(Images("FROM busybox\nRUN a \\\n# note\n\n  b\nCOPY --from=redis:7 / /\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "busybox"}, {6, "COPY --from", "redis:7"}});
  // Only spaces and tabs may follow a continuing escape.
  CHECK(Images("FROM busybox\nRUN a \\\f\nCOPY --from=redis:7 / /\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "busybox"}, {3, "COPY --from", "redis:7"}});
  // Directives: syntax keeps the parser reading them; a byte order mark is skipped.
  CHECK(Images("# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\nRUN echo \\\nCOPY --from=redis:7 / /\n") ==
        std::vector<DockerfileImage>{{3, "FROM", "busybox"}, {5, "COPY --from", "redis:7"}});
  CHECK(Images("\xef\xbb\xbf# escape=`\nFROM busybox\nRUN echo \\\nCOPY --from=redis:7 / /\n") ==
        std::vector<DockerfileImage>{{2, "FROM", "busybox"}, {4, "COPY --from", "redis:7"}});
  CHECK(Contains(ErrorOf("FROM busybox\n\xc2\xa0" "COPY --from=localhost:5000/other:v3 / /x\n"),
                 "line 2 starts with a Unicode space"));
}

TEST_CASE("dockerfile: flags, ADD sources and ARGs the engine could read differently are refused") {
  CHECK(Contains(ErrorOf("FROM busybox\nCOPY --\\from=localhost:5000/other:v3 / /x\n"),
                 "write flags without quotes or escapes"));
  CHECK(Contains(ErrorOf("FROM busybox\nCOPY --\"from\"=localhost:5000/other:v3 / /x\n"),
                 "write flags without quotes or escapes"));
  CHECK(Contains(ErrorOf("FROM busybox\nENV U=http://169.254.169.254/\nADD $U /m\n"),
                 "line 3: ADD $U: an ADD source cannot use variables"));
  CHECK(Contains(ErrorOf("FROM busybox\nADD http:\\/\\/169.254.169.254/ /m\n"), "cannot use variables, quotes or escapes"));
  CHECK(Contains(ErrorOf("FROM busybox\nADD [\"http:\\/\\/169.254.169.254/\",\"/m\"] junk\n"),
                 "one JSON array of strings with nothing after it"));
  CHECK(Contains(ErrorOf("ARG A=x\nARG A?x=alpine\nFROM ${A?x}\n"), "line 2: ARG A?x"));
  CHECK(Contains(ErrorOf("ARG A=x\nFROM ${A?x}\n"), "line 2: FROM ${A?x}: use $NAME"));
  CHECK(Contains(ErrorOf("ARG 1=localhost:5000/other:\nFROM $1v3\n"), "line 1: ARG 1"));
  CHECK(Images("ARG A=redis\nFROM ${A:-x}:7\nFROM ${B:+y}z\n") ==
        std::vector<DockerfileImage>{{2, "FROM", "redis:7"}, {3, "FROM", "z"}});
  // A stage's name stands for it only after the stage: within it, the engine
  // reads it as an image.
  CHECK(Images("FROM alpine AS e3\nCOPY --from=e3 / /loot\nFROM busybox\nCOPY --from=e3 / /ok\n") ==
        std::vector<DockerfileImage>{{1, "FROM", "alpine"}, {2, "COPY --from", "e3"}, {3, "FROM", "busybox"}});
}

TEST_CASE("base image check: ID prefixes, untagged images and ONBUILD are refused") {
  ms::test::FakeDockerClient docker;
  auto check = [&](const std::string& name) {
    auto r = ms::CheckBuildImage({1, "FROM", name}, "shop", "localhost:5000", docker);
    return r ? std::string() : r.error().message;
  };
  docker.AddImage("3fa9c1", ms::ImageInfo{"sha256:3fa9c1d2e3", {"node:20"}, {}, {}, {}, {}, {}});
  CHECK(Contains(check("3fa9c1"), "names an image by a prefix of its ID"));
  docker.AddImage("e3", ms::ImageInfo{"sha256:ffee", {}, {}, {}, {}, {}, {}});
  CHECK(Contains(check("e3"), "belongs to another app"));
  docker.AddImage("evil/base:1", ms::ImageInfo{"sha256:bb", {"evil/base:1"}, {}, {}, {"ADD http://169.254.169.254/ /m"}, {}, {}});
  CHECK(Contains(check("evil/base:1"), "has ONBUILD instructions (ADD http://169.254.169.254/ /m)"));
  CHECK(ms::IsLocalRegistry("localhost.:5000", "registry.internal:5000"));
}
