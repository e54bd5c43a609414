# nats-server built from the Go module proxy (the version pkg/go.mod pins),
# static, with the cluster configuration the compose stack uses.
FROM scratch
COPY etc /etc
COPY probe /probe
COPY nats-server /nats-server
COPY *.conf /etc/nats/
COPY --chown=65532:65532 data /data
USER 65532:65532
EXPOSE 4222 6222 8222
HEALTHCHECK --interval=2s --timeout=2s --retries=30 CMD ["/probe", "http://127.0.0.1:8222/healthz?js-enabled-only=true"]
ENTRYPOINT ["/nats-server"]
CMD ["--jetstream", "--store_dir", "/data", "--http_port", "8222"]
