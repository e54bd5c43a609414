# nats-server built from the Go module proxy (the version pkg/go.mod pins),
# static, with the configurations the compose stack (cluster.conf) and a
# single node (single.conf) use. Both need the secrets mounted at
# /etc/nats/secrets (`clinjobs secrets init`): without them it does not start.
FROM scratch
COPY etc /etc
COPY probe /probe
COPY nats-server /nats-server
COPY *.conf /etc/nats/
COPY --chown=65532:65532 data /data
USER 65532:65532
EXPOSE 4222 6222
HEALTHCHECK --interval=2s --timeout=2s --retries=30 CMD ["/probe", "http://127.0.0.1:8222/healthz?js-enabled-only=true"]
ENTRYPOINT ["/nats-server"]
CMD ["--config", "/etc/nats/single.conf"]
