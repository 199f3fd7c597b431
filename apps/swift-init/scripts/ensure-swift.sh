#!/usr/bin/env bash
# For `pnpm test:swift`: Debian's real Swift (the swift, swift-object,
# swift-proxy, swift-account and swift-container packages, and python3-swift,
# whose swift/common/manager.py the conformance harness drives). Installs
# what is missing when root with apt; otherwise says why the tests will skip.
# Idempotent: nothing happens when everything is there. Never fails.
#
# The packages' maintainer scripts try to start their services; under
# policy-rc.d (containers) or without systemd they do not, and where they
# would, the services are stopped again so that nothing listens on Swift's
# ports when the tests start.
set -u
PACKAGES=(swift swift-object swift-proxy swift-account swift-container python3-swift)
BINARIES=(swift-object-server swift-proxy-server swift-account-server swift-container-server)

have_all() {
  for b in "${BINARIES[@]}"; do
    [ -x "/usr/bin/$b" ] || return 1
  done
  /usr/bin/python3 -c 'import swift.common.manager' 2>/dev/null
}

if have_all; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test:swift: Debian's Swift packages are not installed and I cannot apt-get them (not root, or no apt); the Swift tests will skip" >&2
  exit 0
fi
echo "test:swift: installing Debian's ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >&2; then
  apt-get update -qq >&2 || true
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >&2 ||
    echo "test:swift: apt-get install failed; the Swift tests will skip" >&2
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl stop 'swift-*' >/dev/null 2>&1 || true
fi
have_all || echo "test:swift: still missing some of ${BINARIES[*]} or python3-swift; the Swift tests will skip" >&2
exit 0
