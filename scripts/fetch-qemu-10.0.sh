#!/usr/bin/env bash
# Fetches Debian's QEMU 10.0 (bookworm-backports) into an ignored cache folder, next to the system's
# QEMU 7.2, and writes a wrapper that runs it: .cache/qemu-10.0/bin/qemu-system-x86_64.
#
# - Idempotent: a cache that already holds a working 10.0 is left as it is.
# - The system's apt state is left as it was: a private apt configuration (its own sources file,
#   lists and archives folders under the cache). The sources file for the backports suite is written
#   from the machine's own Debian sources, so no registry's host name is in the repository.
# - QEMU loads its modules from the system's folder too, which holds 7.2's; a 7.2 module loaded into
#   10.0 aborts it ("Only modules from the same build can be loaded", seen on qom-list-types, which
#   libvirt's capability probe runs). So every module package of 10.0 is extracted, the wrapper
#   points QEMU_MODULE_DIR at them, and the smoke test below runs qom-list-types.
# Exit 0: the wrapper works; 1: it could not be fetched or does not work (the reason on stderr).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${MIGSTATE_QEMU_CACHE:-$ROOT/.cache}/qemu-10.0"
SUITE=bookworm-backports
WANT='^QEMU emulator version 10\.0\.'
PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data qemu-system-gui qemu-system-modules-opengl qemu-system-modules-spice qemu-block-extra)
WRAPPER="$CACHE/bin/qemu-system-x86_64"

say() { echo "fetch-qemu-10.0: $*" >&2; }
die() { say "$*"; exit 1; }

# The wrapper answers with 10.0's version and survives qom-list-types (every module loadable).
smoke() {
  local v out
  v="$(timeout 20 "$WRAPPER" --version 2>&1 | head -1)" || return 1
  [[ "$v" =~ $WANT ]] || { say "the wrapper reports '$v', not QEMU 10.0"; return 1; }
  # QMP on stdio reads the three commands before its end of input (no process left behind to hold it open).
  out="$(printf '{"execute":"qmp_capabilities"}\n{"execute":"qom-list-types"}\n{"execute":"quit"}\n' |
    timeout 30 "$WRAPPER" -M pc -m 64 -nodefaults -display none -accel tcg -qmp stdio 2>&1 || true)"
  if ! grep -q '"name": "pc-i440fx-10.0-machine"' <<<"$out" || ! grep -q 'host-qmp-quit' <<<"$out"; then
    say "QEMU 10.0 did not answer qom-list-types and quit:"
    tail -5 <<<"$out" >&2
    return 1
  fi
}

if [ -x "$WRAPPER" ] && smoke; then
  say "already in $CACHE ($(head -1 "$CACHE/VERSION" 2>/dev/null || echo '?'))"
  exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs apt-get and dpkg-deb (a Debian machine)"

# The machine's Debian archive: the deb822 or one-line entry whose suites include plain "bookworm".
uri="" signed=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # One stanza a paragraph; the first one that is the main bookworm archive.
  read -r uri signed < <(awk -v RS= '
    /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ && !/(^|\n)Enabled:[ \t]*no/ {
      u = ""; s = ""
      n = split($0, L, "\n")
      for (i = 1; i <= n; i++) {
        if (L[i] ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", L[i]); split(L[i], W, /[ \t]+/); u = W[1] }
        if (L[i] ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", L[i]); s = L[i] }
      }
      if (u != "") { print u, s; exit }
    }' "$f") || true
  [ -n "$uri" ] && break
done
if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
  uri="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { if ($(i+1) == "bookworm") { print $i; exit } break } }' /etc/apt/sources.list)"
fi
[ -n "$uri" ] || die "no Debian bookworm archive in this machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/*.sources)"
[ -n "$signed" ] || signed=/usr/share/keyrings/debian-archive-keyring.gpg

mkdir -p "${CACHE%/*}"
work="$(mktemp -d "${CACHE%/*}/.qemu-10.0.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$work/apt/parts" "$work/debs" "$work/root" "$work/bin"
cat >"$work/apt/backports.sources" <<EOF
Types: deb
URIs: $uri
Suites: $SUITE
Components: main
Signed-By: $signed
EOF
APT=(-o "Dir::Etc::SourceList=$work/apt/backports.sources" -o "Dir::Etc::SourceParts=$work/apt/parts" -o "Dir::State::Lists=$work/apt/lists"
  -o "Dir::Cache::Archives=$work/apt/archives" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
say "apt-get update ($SUITE, private lists)"
apt-get "${APT[@]}" -q update >"$work/apt.log" 2>&1 || { tail -5 "$work/apt.log" >&2; die "apt-get update of $SUITE failed"; }
say "downloading ${PACKAGES[*]}"
(cd "$work/debs" && apt-get "${APT[@]}" -q download "${PACKAGES[@]/%//$SUITE}") >>"$work/apt.log" 2>&1 || { tail -5 "$work/apt.log" >&2; die "apt-get download failed"; }
for d in "$work"/debs/*.deb; do dpkg-deb -x "$d" "$work/root"; done
dpkg-deb -f "$(ls "$work"/debs/qemu-system-x86_*.deb)" Version >"$work/VERSION"

# The wrapper: exec keeps the pid (the runner ends QEMU by pid). The extracted firmware first, the
# system's seabios and the rest after it.
cat >"$work/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
# QEMU 10.0 from Debian $SUITE, extracted by scripts/fetch-qemu-10.0.sh.
R="\$(cd "\$(dirname "\$0")/../root" && pwd)"
QEMU_MODULE_DIR="\$R/usr/lib/x86_64-linux-gnu/qemu"
export QEMU_MODULE_DIR
exec "\$R/usr/bin/qemu-system-x86_64" -L "\$R/usr/share/qemu" -L /usr/share/qemu "\$@"
EOF
chmod 755 "$work/bin/qemu-system-x86_64"
rm -rf "$work/debs" "$work/apt/archives"

# In place only once it works.
old="$CACHE.old.$$"
[ -e "$CACHE" ] && mv "$CACHE" "$old"
mv "$work" "$CACHE"
trap - EXIT
rm -rf "$old"
smoke || die "the extracted QEMU 10.0 does not work (see above)"
say "QEMU $(head -1 "$CACHE/VERSION") in $CACHE; run it as $WRAPPER"
