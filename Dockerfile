# syntax=docker/dockerfile:1
# The `promoter` daemon in a slim Debian image (README.md, "Deploying").
#
#   docker build -t boomi-promoter .
#   docker run --read-only --tmpfs /tmp -v promoter-state:/state -p 8080:8080 \
#     -e PROMOTER_REPO=... -e PROMOTER_TRUST=... -e BOOMI_TOKEN_FILE=... boomi-promoter
#
# Base images are build arguments (a mirror, a pinned digest, a locally built base):
#   docker build --build-arg RUST_IMAGE=... --build-arg RUNTIME_IMAGE=... .
# The runtime must be the Debian release the builder is based on (glibc).
ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
COPY src ./src
# Registry and target caches survive between builds (BuildKit); the binary leaves the cache.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin promoter \
    && install -m 0755 target/release/promoter /usr/local/bin/promoter

FROM ${RUNTIME_IMAGE}
# git: remote promotions repositories are cloned and fetched with the git CLI (its credential
# helpers); openssh-client: git over ssh with a deploy key; tini: PID 1 that forwards SIGTERM
# to the daemon (graceful stop) and reaps the git and ssh processes it leaves behind.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git openssh-client tini \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 promoter \
    && useradd --system --uid 10001 --gid 10001 --home-dir /state --no-create-home \
       --shell /usr/sbin/nologin promoter \
    && mkdir -p /state \
    && chown 10001:10001 /state
COPY --from=build /usr/local/bin/promoter /usr/local/bin/promoter
# `promoter demo` reads ./examples (the demo keys are public: never use them for anything real).
COPY examples /usr/share/boomi-promoter/examples
WORKDIR /usr/share/boomi-promoter
# Nothing but /state (and /tmp, for `demo`) is written: the root filesystem may be read-only.
ENV PROMOTER_LISTEN=0.0.0.0:8080 \
    PROMOTER_STATE=/state \
    HOME=/state
VOLUME ["/state"]
EXPOSE 8080
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "promoter"]
CMD ["daemon"]
