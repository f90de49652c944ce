# The Serin operator image: `serin run`, non-root, on a slim Debian with only the libraries the binary links.
#   docker build -t registry.example.com/serin/serin:0.1.0 .
# Tests/SerinCLITests/ContainerImageTests.swift runs ldd on the built binary and fails when a library it needs is not
# brought by the runtime stage's packages below (no Docker engine runs in CI, so the image itself is not built there).

# Build: the official Swift image, on the same Debian release as the runtime stage, so the -dev packages and the
# runtime libraries below are the same versions.
FROM swift:6.3.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgit2-dev libcurl4-openssl-dev libyaml-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so editing Serin's sources does not fetch them again.
COPY Package.swift Package.resolved ./
RUN swift package resolve
COPY Sources Sources
COPY Tests Tests
# --static-swift-stdlib links the Swift runtime and Foundation (with its ICU data) into the binary, so the runtime
# stage needs no Swift toolchain libraries; C libraries stay dynamic and come from Debian's packages.
RUN swift build -c release --product serin --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/serin" /out/serin

# Run: what `ldd serin` lists, by Debian package. libgit2 and libcurl bring their own dependencies (libssh2, mbedTLS,
# OpenSSL, nghttp2, ...); libstdc++6 and libgcc-s1 are what the statically linked Swift runtime still needs;
# ca-certificates lets libgit2 and libcurl verify HTTPS servers (Git hosts, the API server, Prometheus, webhooks).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libcurl4 \
        libgit2-1.5 \
        libyaml-0-2 \
        libstdc++6 \
        libgcc-s1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 serin \
    && useradd --system --uid 65532 --gid serin --home-dir /var/lib/serin --no-create-home --shell /usr/sbin/nologin serin \
    && install -d -o serin -g serin /var/lib/serin
COPY --from=build /out/serin /usr/local/bin/serin
# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# The mirror and ledger work tree; the Deployment mounts an emptyDir here, since its root filesystem is read-only.
ENV SERIN_STATE_DIR=/var/lib/serin \
    HOME=/var/lib/serin
WORKDIR /var/lib/serin
EXPOSE 8081
ENTRYPOINT ["serin", "run"]
