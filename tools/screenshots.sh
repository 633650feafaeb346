#!/bin/sh
# Remake the README's screenshots in docs/, drawn by headless Chromium with the network off (a
# proxy to nowhere) and by `timeline chart` (kaleido):
#   report.png            the al-Qaim report's first screen: what it counts, who held what when
#   report-synthetic.png  the same of a synthetic operation of 324 events (generate.py, seed 1)
#   control-story.png     a town entered, taken on a C3 claim, lost and retaken on B2 claims
#   activity.png          activity per month of 100,000 synthetic events (takes a few minutes)
set -eu
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timeline=.venv/bin/timeline
shoot() {  # shoot PAGE PNG HEIGHT
    mkdir -p "$work/profile"
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$work/profile" --proxy-server=127.0.0.1:9 \
        --virtual-time-budget=15000 --window-size=1300,"$3" --screenshot="$2" "file://$1" \
        2>/dev/null
    rm -rf "$work/profile"
}

$timeline --db "$work/al-qaim.db" import fixtures/al_qaim_2017.jsonl >/dev/null
$timeline --db "$work/al-qaim.db" report al-qaim-2017 -o "$work/al-qaim.html" --plotlyjs directory
shoot "$work/al-qaim.html" docs/report.png 1250

.venv/bin/python benchmarks/generate.py --events 1000 --seed 1 -o "$work/synthetic.jsonl"
$timeline --db "$work/synthetic.db" import "$work/synthetic.jsonl" >/dev/null
$timeline --db "$work/synthetic.db" report op-0002-souq-al-taka-2018 -o "$work/synthetic.html" \
    --plotlyjs directory
shoot "$work/synthetic.html" docs/report-synthetic.png 1100

cat > "$work/story.jsonl" <<'RECORDS'
{"id": "ak/launched", "type": "operation_launched", "operation": "abu-kamal-2017", "occurred": "2017-11-08", "sources": [{"outlet": "SANA", "reliability": "D", "credibility": "3", "published": "2017-11-08"}]}
{"id": "ak/entered", "type": "place_entered", "operation": "abu-kamal-2017", "occurred": "2017-11-08", "place": {"name": "Abu Kamal", "lat": 34.4506, "lon": 40.9186, "kind": "town", "aliases": ["al-Bukamal"]}, "actors": [{"force": "Syrian Arab Army", "side": "Syria", "role": "attacker"}, {"force": "Islamic State", "side": "ISIS", "role": "defender"}], "sources": [{"outlet": "SANA", "reliability": "D", "credibility": "3", "published": "2017-11-08"}]}
{"id": "ak/airport", "type": "place_captured", "operation": "abu-kamal-2017", "occurred": "2017-11-07~", "place": {"name": "Hamdan airport", "lat": 34.48, "lon": 40.88, "kind": "facility"}, "actors": [{"force": "Syrian Arab Army", "side": "Syria", "role": "attacker"}, {"force": "Islamic State", "side": "ISIS", "role": "defender"}], "sources": [{"outlet": "Reuters", "reliability": "B", "credibility": "2", "published": "2017-11-08"}]}
{"id": "ak/captured", "type": "place_captured", "operation": "abu-kamal-2017", "occurred": "2017-11-09", "place": "Abu Kamal", "actors": [{"force": "Syrian Arab Army", "side": "Syria", "role": "attacker"}, {"force": "Islamic State", "side": "ISIS", "role": "defender"}], "sources": [{"outlet": "AFP", "reliability": "C", "credibility": "3", "published": "2017-11-09"}]}
{"id": "ak/lost", "type": "place_lost", "operation": "abu-kamal-2017", "occurred": "2017-11-11", "place": "Abu Kamal", "actors": [{"force": "Islamic State", "side": "ISIS", "role": "attacker"}, {"force": "Syrian Arab Army", "side": "Syria", "role": "defender"}], "sources": [{"outlet": "Reuters", "reliability": "B", "credibility": "2", "published": "2017-11-11"}]}
{"id": "ak/retaken", "type": "place_liberated", "operation": "abu-kamal-2017", "occurred": "2017-11-19", "place": "Abu Kamal", "actors": [{"force": "Syrian Arab Army", "side": "Syria", "role": "attacker"}, {"force": "Islamic State", "side": "ISIS", "role": "defender"}], "sources": [{"outlet": "Reuters", "reliability": "B", "credibility": "2", "published": "2017-11-19"}, {"outlet": "AFP", "reliability": "B", "credibility": "1", "published": "2017-11-19"}]}
{"id": "ak/concluded", "type": "operation_concluded", "operation": "abu-kamal-2017", "occurred": "2017-11-19", "sources": [{"outlet": "Reuters", "reliability": "B", "credibility": "2", "published": "2017-11-19"}]}
RECORDS
$timeline --db "$work/story.db" import "$work/story.jsonl" >/dev/null
$timeline --db "$work/story.db" chart control abu-kamal-2017 -o docs/control-story.png \
    --width 1200 --height 380

.venv/bin/python benchmarks/generate.py --events 100000 --seed 1 -o "$work/large.jsonl"
$timeline --db "$work/large.db" import "$work/large.jsonl" >/dev/null
$timeline --db "$work/large.db" chart activity -o docs/activity.png --width 1200
ls -l docs/*.png
