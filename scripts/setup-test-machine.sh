#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian bookworm machine (as
# root, or through sudo): the Go toolchains that build the fixtures, the
# oracles (file, readelf, ldd, go version -m), musl for static cgo fixtures,
# the container tools later tests read images with, and script(1) for a
# terminal. Idempotent.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(golang-go golang-1.23-go file binutils gcc libc6-dev musl-tools zstd
  qemu-user-static skopeo umoci runc docker-registry pigz gzip hyperfine time apache2-utils openssl python3
  debootstrap bsdutils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all test packages present"
  exit 0
fi

# Go 1.23 comes from bookworm-backports; Debian's own golang-go is 1.19.
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  as_root tee /etc/apt/sources.list.d/fromscratch-backports.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
echo "setup: installing ${missing[*]}"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
