# The Mothership image (daemon and tools). No registry is reachable on the
# project's machines, so BASE defaults to a Debian image made locally from
# Debian's packages (see README, "Docker images"); any bookworm image works.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      libssh-dev libgit2-dev libboost1.81-dev libboost-filesystem1.81-dev libssl-dev zlib1g-dev libfmt-dev \
      libyaml-cpp-dev libcurl4-openssl-dev libsqlite3-dev nlohmann-json3-dev catch2
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      -DMOTHERSHIP_WERROR=OFF \
 && cmake --build /build \
 && cmake --install /build --prefix /opt/mothership

FROM ${BASE}
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libssh-4 libgit2-1.5 libfmt9 libyaml-cpp0.7 libcurl4 libsqlite3-0 libssl3 zlib1g \
      libboost-filesystem1.81.0 git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/mothership /usr/local
VOLUME /var/lib/mothership
EXPOSE 2222
ENTRYPOINT ["mothershipd", "--data-dir", "/var/lib/mothership"]
