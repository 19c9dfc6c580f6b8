# Multi-stage build of svcdns: compilers and -dev packages in the first
# stage, only the shared libraries it links in the second.
#   docker build -t svcdns:0.1.0 .
FROM debian:bookworm-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential autoconf automake pkg-config \
        libldns-dev libssl-dev libevent-dev libcurl4-openssl-dev libyajl-dev liburcu-dev \
        libyaml-dev libcap2-bin ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN autoreconf -fi && ./configure --prefix=/usr && make -j"$(nproc)" svcdns svcdns-env \
    && install -D -m 0755 svcdns /out/usr/bin/svcdns \
    && install -D -m 0755 svcdns-env /out/usr/bin/svcdns-env \
    && setcap cap_net_bind_service=+ep /out/usr/bin/svcdns

FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libldns3 libssl3 libevent-2.1-7 libevent-core-2.1-7 libevent-pthreads-2.1-7 libcurl4 libyajl2 liburcu8 \
        libyaml-0-2 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /
# 65532: the conventional "nonroot" uid; the deployment sets it too.
USER 65532:65532
EXPOSE 53/udp 53/tcp 9153/tcp
ENTRYPOINT ["/usr/bin/svcdns"]
