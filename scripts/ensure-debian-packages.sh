#!/usr/bin/env bash
# Install the named Debian packages when missing, so `make` works on a fresh machine. Without
# root or a usable sudo (or without apt-get), it names the missing packages in one line on
# stderr and exits 1: installing them is then an administrator's one command.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
refuse() {
  echo "error: $1; install these Debian packages first: apt-get install ${missing[*]}" >&2
  exit 1
}
command -v apt-get >/dev/null || refuse "no apt-get on this machine"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || refuse "not root and no sudo"
  # sudo -n never prompts; a terminal may still answer sudo's password prompt once.
  sudo -n true 2>/dev/null || { [ -t 0 ] && sudo -v; } || refuse "not root and sudo is not allowed"
  sudo=(sudo)
fi
echo "installing Debian packages: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
