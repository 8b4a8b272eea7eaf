# One image for every LTM service; compose.yaml picks the binary with
# `command:`. Build: docker compose build   (or: docker build -t ltm:local .)
#
# Stage 1 builds with the compiler and library packages of a local build
# (scripts/install-deps.sh; tests/integration/test_deploy.py checks that every
# lib*-dev listed there is listed here) and runs the unit tests, so a broken
# build never becomes an image. Stage 2 holds only the binaries and the
# shared libraries they link, and runs as an unprivileged user.

# No `# syntax=` line: BuildKit would pull that frontend from a registry.
# The base image is a build arg so that a host without a registry can use the
# one scripts/base-image.sh makes with debootstrap (compose.yaml passes
# LTM_BASE_IMAGE). The release named here is the one that script makes.
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        build-essential cmake pkg-config python3 ca-certificates \
        libpaho-mqtt-dev libcurl4-openssl-dev libcjson-dev libmicrohttpd-dev \
        libsqlite3-dev libcmocka-dev libglib2.0-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Same flags as CI's optimised build (scripts/test.sh), warnings as errors.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLTM_WERROR=ON \
        -DCMAKE_INSTALL_PREFIX=/usr/local \
 && cmake --build /build -j"$(nproc)" \
 && ctest --test-dir /build -R '^unit[.]' --output-on-failure -j"$(nproc)" \
 && cmake --install /build --prefix /out

FROM ${BASE_IMAGE} AS runtime
# The packages of the shared libraries the binaries link (test_deploy.py
# checks them against the built binaries); curl for the gateway's health
# check and for operators; tzdata so TZ and the accounts' IANA time zones
# resolve; ca-certificates for the HTTPS APIs; sqlite3 for online backups
# of the ledger (docs/operations.md).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        libpaho-mqtt1.3 libcurl4 libcjson1 libmicrohttpd12 libsqlite3-0 libssl3 \
        libglib2.0-0 \
        ca-certificates tzdata curl sqlite3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/ltm \
        --shell /usr/sbin/nologin ltm \
 && install -d -o ltm -g ltm -m 0750 /var/lib/ltm
# Only what `install(TARGETS ...)` put in bin/: the services and ltmctl.
COPY --from=build /out/bin/ /usr/local/bin/
COPY deploy/docker/ltm-healthcheck /usr/local/bin/ltm-healthcheck

# A new named volume mounted here starts as a copy of this directory, owned
# by ltm: the services can write their state without running as root.
VOLUME /var/lib/ltm
ENV LTM_DATA_DIR=/var/lib/ltm TZ=UTC
USER ltm:ltm
WORKDIR /var/lib/ltm
# No default service: `docker run ltm:local ltm-poster --help`.
CMD ["ltm-scheduler", "--help"]
