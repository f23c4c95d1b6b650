#!/usr/bin/env bash
# Validates docker-compose.yml and the image pins without a Docker engine (CI has none), so the
# compose file cannot rot unnoticed:
#  - `docker-compose config -q` (Debian's docker-compose package, Compose v1.29) checks the file
#    against the Compose schema (unknown keys, bad depends_on conditions, bad healthchecks) and
#    needs no engine; installed here when missing;
#  - every image (compose `image:`, Dockerfile `FROM`/`ARG NODE_IMAGE`) names a version, never
#    `latest` or a bare major;
#  - the compose file's Redis is a version CI runs the tests against.
set -euo pipefail

cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "need root (or sudo) to run: $*" >&2; return 1
  fi
}

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "--- installing docker-compose (Debian package) to validate docker-compose.yml"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi

docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml: valid"

status=0
images=$( (grep -E '^\s*image:' docker-compose.yml | sed -E 's/^\s*image:\s*//'; grep -E '^ARG NODE_IMAGE=' Dockerfile | sed 's/^ARG NODE_IMAGE=//') | tr -d '"' )
for image in $images; do
  tag=${image##*:}
  if [ "$tag" = "$image" ] || [ "$tag" = latest ] || ! [[ "$tag" =~ [0-9]+\.[0-9]+ ]]; then
    echo "image $image is not pinned to a version (major.minor at least)" >&2
    status=1
  fi
done
# The demo's Redis is one CI tests: Debian's 7.0.15 (the full suite) or a version
# scripts/test-server-versions.sh builds (redis-7.2.6: routing, pub/sub, failover, ...).
tested="7.0.15 $(grep -oE '\bredis-[0-9]+\.[0-9]+\.[0-9]+\b' scripts/test-server-versions.sh | sed 's/^redis-//' | sort -u | tr '\n' ' ')"
for image in $images; do
  case $image in
    redis:*)
      if ! [[ " $tested " == *" ${image#redis:} "* ]]; then
        echo "image $image is a Redis CI does not test (tested: $tested)" >&2
        status=1
      fi
      ;;
  esac
done
if grep -E '^FROM ' Dockerfile | grep -vE '^FROM \$\{NODE_IMAGE\}' >/dev/null; then
  echo "Dockerfile: every FROM should use \${NODE_IMAGE}, the one pinned base image" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "images pinned: $(echo $images)"
exit "$status"
