# The mmcontract image: one static binary on distroless, run as a non-root
# user. Build it from the repository root:
#
#   docker build --build-arg VERSION=v1.2.3 -t mmcontract:v1.2.3 .
#
# Only the two images named below are pulled. The build stage keeps .git in
# its context (see .dockerignore) so Go stamps the commit into the binary,
# which `mmcontract --version` prints; VERSION becomes main.version.

FROM golang:1.26 AS build
WORKDIR /src
# The SQLite driver (modernc.org/sqlite) is pure Go: no C toolchain, no libc.
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/mmcontract ./cmd/mmcontract
# The store's folder, owned by the image's non-root user (distroless nonroot
# is 65532), so a fresh volume mounted there is writable.
RUN mkdir -p /out/var/lib/mmcontract && chown 65532:65532 /out/var/lib/mmcontract

# distroless static: CA certificates, /etc/passwd with nonroot, tzdata; no
# shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mmcontract /usr/local/bin/mmcontract
COPY --from=build --chown=65532:65532 /out/var/lib/mmcontract /var/lib/mmcontract
USER 65532:65532
# The monitor's default SQLite store (mmcontract-history.db) and its run
# folders land in the working directory.
WORKDIR /var/lib/mmcontract
VOLUME ["/var/lib/mmcontract"]
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/mmcontract"]
CMD ["--help"]
