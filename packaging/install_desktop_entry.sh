#!/usr/bin/env bash
# Install (or remove) writer-app's Linux desktop entry and icons for the current user.
#
#   packaging/install_desktop_entry.sh                  # Exec = writer-app found on PATH, in .venv, or in dist/
#   packaging/install_desktop_entry.sh --exec /path/to/writer-app
#   packaging/install_desktop_entry.sh --uninstall
#
# Files go under ${XDG_DATA_HOME:-~/.local/share}: applications/writer-app.desktop and
# icons/hicolor/{16x16,...,512x512,scalable}/apps/writer-app.{png,svg}. Nothing needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
apps_dir="$data_home/applications"
icons_dir="$data_home/icons/hicolor"
icon_src="$here/writer_app/resources/icons"
sizes=(16 32 48 64 128 256 512)
exec_path=""
uninstall=0

while [ $# -gt 0 ]; do
  case "$1" in
    --exec) exec_path=${2:?--exec needs a path}; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install_desktop_entry.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

refresh_caches() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps_dir" 2>/dev/null || true
  touch "$icons_dir" 2>/dev/null || true  # a newer folder time tells desktops to rescan the icons
}

if [ "$uninstall" = 1 ]; then
  rm -f "$apps_dir/writer-app.desktop" "$icons_dir/scalable/apps/writer-app.svg"
  for s in "${sizes[@]}"; do rm -f "$icons_dir/${s}x${s}/apps/writer-app.png"; done
  refresh_caches
  echo "Removed the writer-app desktop entry and icons from $data_home"
  exit 0
fi

if [ -z "$exec_path" ]; then
  for candidate in "$(command -v writer-app 2>/dev/null || true)" "$here/.venv/bin/writer-app" "$here/dist/writer-app/writer-app"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then exec_path=$candidate; break; fi
  done
fi
if [ -z "$exec_path" ] || [ ! -x "$exec_path" ]; then
  echo "install_desktop_entry.sh: no runnable writer-app found; install it (make setup) or pass --exec PATH" >&2
  exit 2
fi
exec_path=$(cd "$(dirname "$exec_path")" && pwd)/$(basename "$exec_path")
case "$exec_path" in
  *[\"\`\$\\]*) echo "install_desktop_entry.sh: the path $exec_path has characters a desktop entry cannot quote" >&2; exit 2 ;;
esac

mkdir -p "$apps_dir" "$icons_dir/scalable/apps"
for s in "${sizes[@]}"; do
  mkdir -p "$icons_dir/${s}x${s}/apps"
  install -m 644 "$icon_src/writer-app-$s.png" "$icons_dir/${s}x${s}/apps/writer-app.png"
done
install -m 644 "$icon_src/writer-app.svg" "$icons_dir/scalable/apps/writer-app.svg"

tmp=$(mktemp "$apps_dir/.writer-app.desktop.XXXXXX")
sed -e "s|^Exec=.*|Exec=\"$exec_path\"|" -e "s|^TryExec=.*|TryExec=$exec_path|" \
  "$here/resources/writer-app.desktop" > "$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$apps_dir/writer-app.desktop"  # rename into place: never a half-written entry
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$apps_dir/writer-app.desktop"
fi
refresh_caches
echo "Installed $apps_dir/writer-app.desktop (Exec=$exec_path) and icons under $icons_dir"
