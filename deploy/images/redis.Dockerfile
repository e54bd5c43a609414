# redis-server and redis-cli from Debian's package, with the shared libraries
# they load copied at their own paths. No persistence: the match cache is
# rebuilt from JetStream, so an empty Redis after a restart is a normal state.
# Its users are those of the ACL file `clinjobs secrets init` makes, mounted
# at /etc/redis/secrets: without it Redis does not start. Unauthenticated
# clients may PING (the health check) and nothing else.
FROM scratch
COPY . /
USER 65532:65532
EXPOSE 6379
HEALTHCHECK --interval=2s --timeout=2s --retries=30 CMD ["/usr/bin/redis-cli", "ping"]
ENTRYPOINT ["/usr/bin/redis-server"]
CMD ["--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no", "--dir", "/data", "--aclfile", "/etc/redis/secrets/users.acl"]
