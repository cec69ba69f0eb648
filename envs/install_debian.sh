#!/usr/bin/env bash
# Debian packages the pipeline needs besides the Python environment (run by `make report`,
# `make test` and .ci/run): Chromium prints the report and the briefs to PDF (driven by
# Playwright, never a downloaded browser); fonts-noto-core holds Noto Sans Lao, embedded (subset)
# in the pages; DejaVu and fontconfig serve the browser tests; poppler-utils (pdftoppm,
# pdftotext) lets the print tests measure the PDF pages.
set -euo pipefail
packages=(chromium fonts-dejavu-core fontconfig fonts-noto-core poppler-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: Debian packages missing: ${missing[*]}" >&2
  echo "  how to fix: sudo apt-get install ${missing[*]}   (then run make again)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
