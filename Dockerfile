# Loket in a container: docker build -t loket . && docker run -p 8080:8080 -v loket-data:/data loket
# See README.md, "Deployment", and deploy/ for compose and systemd.

# 1. The agent web app and the website widget, embedded into the binary.
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/agent/package.json web/agent/package-lock.json agent/
COPY web/widget/package.json web/widget/package-lock.json widget/
RUN cd agent && npm ci --no-audit --no-fund && cd ../widget && npm ci --no-audit --no-fund
COPY web/agent agent
COPY web/widget widget
RUN cd agent && npm run build && cd ../widget && npm run build

# 2. One static binary: pure-Go SQLite, no cgo.
FROM golang:1.26-bookworm AS go
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/agent/build web/agent/build
COPY --from=web /src/web/widget/build web/widget/build
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/loket ./cmd/loket && mkdir -p /out/data

# 3. Nothing but the binary, run as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=go /out/loket /usr/local/bin/loket
COPY --from=go --chown=65532:65532 /out/data /data
ENV LOKET_DATA=/data LOKET_ADDR=:8080
VOLUME /data
# HTTP; 2525 only when LOKET_SMTP_ADDR=:2525 turns the SMTP receiver on.
EXPOSE 8080 2525
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["/usr/local/bin/loket", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/loket"]
CMD ["serve"]
