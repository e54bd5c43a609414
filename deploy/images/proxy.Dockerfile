# Caddy, built from the Go module proxy (the version tools/go.mod pins), as
# the reverse proxy in front of every service of the compose stack.
FROM scratch
COPY etc /etc
COPY probe /probe
COPY caddy /caddy
COPY Caddyfile /etc/caddy/Caddyfile
COPY --chown=65532:65532 data /data
USER 65532:65532
ENV XDG_DATA_HOME=/data XDG_CONFIG_HOME=/data
EXPOSE 8000 8443
HEALTHCHECK --interval=2s --timeout=2s --retries=30 CMD ["/probe", "http://127.0.0.1:8000/proxy/healthz"]
ENTRYPOINT ["/caddy"]
CMD ["run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
