#!/usr/bin/env bash
# Builds the Debian package build/rpdns_VERSION_ARCH.deb from debian/ with
# dpkg-buildpackage (a release build, no tests), then checks it with lintian.
# Installs what it needs from Debian's archive first (scripts/setup.sh, then
# debhelper and lintian); idempotent and non-interactive.
#
#   scripts/package.sh           build and check the package
#
# The package: /usr/sbin/rpdns and rpdnsctl, /etc/rpdns/rpdns.yaml (a
# conffile), the systemd unit rpdns.service (enabled, started on install),
# the man pages, the example zones under /usr/share/doc/rpdns/examples, and
# the system user rpdns made on install (removed with /var/lib/rpdns on purge).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh </dev/null

missing=()
for p in debhelper lintian fakeroot; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "package: installing ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=rpdns_${version}_${arch}.deb

# dpkg-buildpackage writes next to the source tree; the files are moved into build/.
dpkg-buildpackage -b -us -uc -j"$(nproc)" >&2
mkdir -p build
for f in "$deb" "rpdns_${version}_${arch}.buildinfo" "rpdns_${version}_${arch}.changes" \
         "rpdns-dbgsym_${version}_${arch}.deb"; do
  [ -e "../$f" ] && mv -f "../$f" build/
done
echo "package: build/$deb" >&2

# Errors fail the build; warnings are shown.
lintian --fail-on error --suppress-tags no-manual-page build/"$deb" >&2
echo "package: lintian reports no error" >&2
