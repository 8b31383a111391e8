#!/bin/sh
# Brings a fresh clone (or a stale node_modules) to a runnable state, so that `npm start`, `npm test`,
# `npm run bench` and `npm run package` each work as the first command on a new machine.
#   sh scripts/setup.sh          what `pullwatch run` needs: runtime packages only (npm ci --omit=dev), which
#                                keeps a newcomer's first `npm start` short
#   sh scripts/setup.sh --dev    every npm package (tests, benchmarks, packaging tools)
#   sh scripts/setup.sh --test   --dev, and the Debian packages the integration tests run for real
set -eu
cd "$(dirname "$0")/.."

want_dev=0
want_test=0
case "${1:-}" in
  --dev) want_dev=1 ;;
  --test) want_dev=1; want_test=1 ;;
  "") ;;
  *) echo "usage: sh scripts/setup.sh [--dev|--test]" >&2; exit 2 ;;
esac

# The stamp holds the hash of the lock installed from and whether dev packages are in: a changed lock
# (git pull, branch switch) or a first need for dev packages reinstalls.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.pullwatch-installed
installed=$(cat "$stamp" 2>/dev/null || true)
if [ "$want_dev" = 1 ]; then wanted="$lock_hash full"; else wanted="$lock_hash"; fi
if [ ! -x node_modules/.bin/node ] || [ "${installed#"$wanted"}" = "$installed" ]; then
  if [ "$want_dev" = 1 ]; then
    echo "pullwatch setup: installing npm packages (npm ci)…" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$lock_hash full" > "$stamp"
  else
    echo "pullwatch setup: installing runtime npm packages (npm ci --omit=dev)…" >&2
    npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2
    echo "$lock_hash" > "$stamp"
  fi
fi

if [ "$want_test" = 1 ]; then
  # The registry tests run Debian's docker-registry (CNCF distribution) with htpasswd and TLS made by openssl.
  missing=""
  command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || missing="$missing docker-registry"
  command -v htpasswd >/dev/null 2>&1 || missing="$missing apache2-utils"
  command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "pullwatch setup: installing Debian packages:$missing" >&2
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >&2
    else
      echo "pullwatch setup: the tests need these Debian packages:$missing" >&2
      echo "  install them with: sudo apt-get install -y$missing" >&2
      exit 1
    fi
  fi
fi
