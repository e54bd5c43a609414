# One image per service: a static Go binary, the CA bundle and the health probe.
# No shell, no package manager, nothing but what the service runs.
FROM scratch
COPY etc /etc
COPY probe /probe
COPY @SERVICE@ /@SERVICE@
COPY --chown=65532:65532 data /data
USER 65532:65532
ENV DATA_DIR=/data
ENTRYPOINT ["/@SERVICE@"]
