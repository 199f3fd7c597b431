#!/usr/bin/env bash
# For `pnpm test:swift`: Debian's real Swift object server (swift-object, and
# python3-swift for the Python swift-init driver of the bench). Installs them
# when root and absent; otherwise says why the test will skip. Never fails.
set -u
if command -v swift-object-server >/dev/null 2>&1 && /usr/bin/python3 -c 'import swift' 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test:swift: swift-object-server is not installed and I cannot apt-get it (not root, or no apt); the Swift test will skip" >&2
  exit 0
fi
echo "test:swift: installing Debian's swift-object and python3-swift" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
apt-get install -y -qq --no-install-recommends swift-object python3-swift >&2 ||
  echo "test:swift: apt-get install failed; the Swift test will skip" >&2
exit 0
