#!/usr/bin/env bash
# Build the one-folder desktop bundle into dist/writer-app/ (run from anywhere).
#
#   packaging/build_bundle.sh
#   dist/writer-app/writer-app --version
#
# Uses the project's .venv (created by `make setup` when missing) and installs
# PyInstaller into it (the `package` extra; it is not a run-time dependency).
# WRITER_APP_BUNDLE_DIST / WRITER_APP_BUNDLE_WORK choose other output folders, and
# WRITER_APP_BUNDLE_PYTHON another Python environment to build from.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${WRITER_APP_BUNDLE_PYTHON:-$root/.venv/bin/python}
if [ -z "${WRITER_APP_BUNDLE_PYTHON:-}" ] && [ ! -x "$python" ]; then
  make setup
fi
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  "$python" -m pip install -q "pyinstaller>=6.5"
fi
dist=${WRITER_APP_BUNDLE_DIST:-$root/dist}
work=${WRITER_APP_BUNDLE_WORK:-$root/build/pyinstaller}
"$python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$dist" --workpath "$work" packaging/writer-app.spec
echo "Built $dist/writer-app ($(du -sh "$dist/writer-app" | cut -f1)); run $dist/writer-app/writer-app"
