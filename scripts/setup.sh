#!/bin/sh
# Brings a fresh clone (or a stale node_modules) to a runnable state, so that `npm start`, `npm test` and
# `npm run bench` each work as the first command on a new machine.
#   sh scripts/setup.sh          npm packages (npm ci when node_modules does not match package-lock.json)
#   sh scripts/setup.sh --test   also the Debian packages the integration tests run for real
set -eu
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# npm writes the hash of the lock it installed from; a changed lock (git pull, branch switch) reinstalls.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.pullwatch-installed
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "pullwatch setup: installing npm packages (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$lock_hash" > "$stamp"
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
