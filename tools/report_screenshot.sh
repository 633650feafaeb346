#!/bin/sh
# Remake docs/report.png: the al-Qaim report's first screen and figures, drawn by headless
# Chromium with the network off (a proxy to nowhere), as the README shows it.
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
.venv/bin/timeline --db "$work/al-qaim.db" import fixtures/al_qaim_2017.jsonl >/dev/null
.venv/bin/timeline --db "$work/al-qaim.db" report al-qaim-2017 -o "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --no-first-run --hide-scrollbars \
    --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' --virtual-time-budget=10000 \
    --window-size=1280,2250 --screenshot=docs/report.png "file://$work/report.html" 2>/dev/null
ls -l docs/report.png
