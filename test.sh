#!/usr/bin/env bash
# Runs every test: first installs what the tests need and a fresh Debian machine with only the .NET SDK
# lacks, then `dotnet test Surplus.sln` with this script's arguments (e.g. --filter Name~Refusal).
#
# Installed only when missing (one `apt-get update`, then one `apt-get install`, as root or through sudo):
#   postgresql                       the API tests start a throwaway server from /usr/lib/postgresql/*/bin
#   chromium                         the dashboard's browser tests drive /usr/bin/chromium headless
#   npm                              the OpenAPI lint test runs Spectral (tools/spectral, pinned by its lock file)
#   clang-14 lld-14 wasi-libc        programs/build.sh compiles the agent's sample and hostile programs
#   libclang-rt-14-dev-wasm32        to WASI modules (and to native executables)
# then Spectral with `npm ci --prefix tools/spectral` and Kiota with `dotnet tool restore`.
set -euo pipefail
cd "$(dirname "$0")"

fail() { echo "test.sh: $*" >&2; exit 1; }

command -v dotnet >/dev/null || fail "the .NET SDK 10 must be installed first (dotnet is not on PATH)"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
for pkg in clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32; do
  installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing ${missing[*]}, and there is no apt-get to install them: install them by hand"
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    fail "missing ${missing[*]}: run this script as root, or install them with apt-get as root"
  fi
  echo "test.sh: installing ${missing[*]}" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || fail "could not install ${missing[*]} with apt-get${as_root:+ through sudo}; install them as root and run again"
fi

# npm ci starts from an empty node_modules, so only when the lock file is newer than what it installed.
if [ ! -f tools/spectral/node_modules/.package-lock.json ] || [ tools/spectral/package-lock.json -nt tools/spectral/node_modules/.package-lock.json ]; then
  npm ci --prefix tools/spectral --no-audit --no-fund || fail "npm ci --prefix tools/spectral failed (Spectral, for the OpenAPI lint test)"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null || fail "dotnet tool restore failed (Kiota, for the generated client's test)"

exec dotnet test Surplus.sln "$@"
