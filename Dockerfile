# The Mothership image: the daemon (mothershipd), the CLI (mothership) and the
# proxy (mothership-proxy), built over an installed tree, not from source:
#
#   cmake --install build --prefix /tmp/mothership
#   docker build -f Dockerfile -t mothership/mothership /tmp/mothership
#
# `mothershipd setup` and the daemon build it the same way from the files they
# are installed with (share/mothership/Dockerfile is this file) and tag it
# mothership/mothership:<digest of those files>. The proxy services run it
# (entrypoint mothership-proxy); the daemon runs in it with the Docker socket
# and its data directory mounted (README, "Running the daemon in a container").
#
# BASE is the Debian 12 image `mothershipd setup` makes from Debian's packages,
# so no registry has to be reachable; any Debian 12 image works. The binaries
# are Debian 12 builds: build them on Debian 12.
ARG BASE=mothership/debian:bookworm
FROM ${BASE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libssh-4 libgit2-1.5 libfmt9 libyaml-cpp0.7 libcurl4 libsqlite3-0 libssl3 zlib1g \
      libboost-filesystem1.81.0 git openssh-client debootstrap ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY share/ /usr/local/share/
COPY bin/ /usr/local/bin/
VOLUME /var/lib/mothership
EXPOSE 2222
ENTRYPOINT ["mothershipd"]
CMD ["--data-dir", "/var/lib/mothership"]
