#!/usr/bin/env bash
# Waits until every container of the compose project is running and, where
# it has a health check, healthy (docker-compose 1.x has no --wait).
# Usage: deploy/wait-healthy.sh [timeout seconds, default 180]
set -euo pipefail
timeout=${1:-180}
deadline=$((SECONDS + timeout))
while :; do
  ids=$(docker-compose ps -q)
  pending=""
  for id in $ids; do
    state=$(docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
    case "$state" in
      *" running healthy"|*" running none") ;;
      *) pending="$pending\n  $state" ;;
    esac
  done
  if [ -n "$ids" ] && [ -z "$pending" ]; then
    echo "every container is up and healthy"
    exit 0
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo -e "not healthy after ${timeout}s:$pending" >&2
    docker-compose ps >&2
    exit 1
  fi
  sleep 2
done
