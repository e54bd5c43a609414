#!/usr/bin/env bash
# Builds every image the system needs, offline and from scratch: no registry is
# reachable on the machines we run on, so nothing is pulled. Go programs are built
# here as static binaries; redis-server comes from Debian's package together with
# the shared libraries it links. Each image gets a Dockerfile under deploy/images/.
#
# Usage: deploy/images/build.sh [name ...]   (default: every image)
# Env:   CLINJOBS_IMAGE_TAG (default: local), OUT (build contexts, default: build/images)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
tag=${CLINJOBS_IMAGE_TAG:-local}
out=${OUT:-$root/build/images}
services=(ingest matching notification dashboard web clinjobs)
all=(nats redis proxy "${services[@]}")
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${all[@]}")

export CGO_ENABLED=0 GOOS=linux GOFLAGS=-trimpath
version=$(git -C "$root" describe --always --dirty 2>/dev/null || echo dev)
ldflags="-s -w -X github.com/clinjobs/clinjobs/pkg/buildinfo.Revision=$version"

# The probe that health checks run: the images have no shell, so no curl or
# wget either. Built once, copied into each image.
mkdir -p "$out"
(cd "$root/pkg" && go build -ldflags "$ldflags" -o "$out/.probe" ./cmd/probe)

# context NAME: a fresh build context holding the CA bundle and the probe.
context() {
  local dir=$out/$1
  rm -rf "$dir" && mkdir -p "$dir/etc/ssl/certs" "$dir/data"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/"
  cp "$out/.probe" "$dir/probe"
  echo "$dir"
}

# copy_with_libs DIR BIN...: copies dynamically linked binaries and every shared
# library they load (and the loader) into DIR at the same paths.
copy_with_libs() {
  local dir=$1 bin lib
  shift
  for bin in "$@"; do
    mkdir -p "$dir/usr/bin"
    cp -L "$bin" "$dir/usr/bin/$(basename "$bin")"
    for lib in $(ldd "$bin" | grep -oE '/[^ ]+\.so[^ ]*'); do
      mkdir -p "$dir$(dirname "$lib")"
      cp -L "$lib" "$dir$lib"
    done
  done
}

ensure_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return
  echo "redis-server is not installed; installing Debian's redis-server and redis-tools" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null
}

build() {
  local name=$1 dir
  dir=$(context "$name")
  case $name in
    nats)
      # The server version is the one pkg/go.mod pins for the embedded server.
      (cd "$root/pkg" && go build -ldflags "-s -w" -o "$dir/nats-server" github.com/nats-io/nats-server/v2)
      cp "$root/deploy/nats/"*.conf "$dir/"
      ;;
    proxy)
      # The Caddy version is the one tools/go.mod pins.
      (cd "$root/tools" && GOWORK=off go build -ldflags "-s -w" -o "$dir/caddy" github.com/caddyserver/caddy/v2/cmd/caddy)
      cp "$root/deploy/caddy/Caddyfile" "$dir/"
      ;;
    redis)
      ensure_redis
      copy_with_libs "$dir" "$(command -v redis-server)" "$(command -v redis-cli)"
      ;;
    *)
      (cd "$root/services/$name" && go build -ldflags "$ldflags" -o "$dir/$name" "./cmd/$name")
      ;;
  esac
  local dockerfile=$root/deploy/images/$name.Dockerfile
  [ -f "$dockerfile" ] || dockerfile=$root/deploy/images/service.Dockerfile
  sed "s/@SERVICE@/$name/g" "$dockerfile" >"$dir/Dockerfile"
  # The legacy builder warns of its own deprecation on every build; the
  # log is shown only when a build fails.
  if ! docker build -q -t "clinjobs/$name:$tag" "$dir" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    return 1
  fi
  echo "built clinjobs/$name:$tag"
}

for name in "${wanted[@]}"; do
  build "$name"
done
