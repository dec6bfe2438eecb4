#!/bin/bash
# flowpicd's JSON lines, `flowpic flows --json` and `flowpic stats --json`
# from a live run, with class names that need escaping (a space, a
# quote, a backslash, a control character, a tab): every record parses
# with python3's json module, validates against docs/json-schema.json
# (tests/json_validate.py), and gives back the exact names. Each flow of
# `flowpic flows --json` has its state: in-progress before a window is
# labelled, labelled, or unknown below the threshold, with confidence.
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup
command -v python3 >/dev/null || skip_all "python3 is not installed"
VALIDATE="python3 $ROOT/tests/json_validate.py"

NAMES=$'say "hi",back\\slash,bell\x07tab\tend'
WEIRD=$'bell\x07tab\tend'
printf '%s\n' "$NAMES" | tr , '\n' >"$LAB_DIR/names"
printf '%s' "$WEIRD" >"$LAB_DIR/weird"
printf 'default pass\nunknown drop\n' >"$LAB_DIR/p.policy"

# jcheck FILE PYTHON-CONDITION DESCRIPTION: the condition holds for the
# JSON lines of FILE (recs: the records; names: the class names; weird:
# the favoured one).
jcheck() {
	python3 - "$1" "$LAB_DIR/names" "$LAB_DIR/weird" "$2" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], "rb") if l.strip()]
names = open(sys.argv[2], "rb").read().decode().split("\n")[:-1]
weird = open(sys.argv[3], "rb").read().decode()
ok = bool(recs) and eval(sys.argv[4])
if not ok:
    print("# records: %r" % recs[:3])
sys.exit(0 if ok else 1)
PY
	ok $? "$3"
}

# flows_state PORT STATE: flowpic flows --json shows the UDP flow of PORT
# in STATE (its line into $LAB_DIR/flows.json).
flows_state() {
	"$FLOWPIC" flows --json --pin-dir "$PIN" --state-dir "$STATE" \
		>"$LAB_DIR/flows.all" 2>/dev/null || return 1
	grep -F "\"flow\":\"UDP $LAB_SIP:$1 <-> $LAB_CIP:$1\"" \
		"$LAB_DIR/flows.all" >"$LAB_DIR/flows.json" || return 1
	grep -qF "\"state\":\"$2\"" "$LAB_DIR/flows.json"
}

# A model that always says the name with the control characters, 0.97.
make_model "$LAB_DIR/m.fpm" "$NAMES" 2 4
LIVE=$((WINDOW_MS / 1000 + 20))

# 1. Labelled.
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
	--threshold 0.5 || { ok 1 "flowpicd starts"; tap_end; }
ok 0 "flowpicd starts with class names holding \", \\, space, BEL, tab"
udp_stream 6001 $LIVE 50
wait_for $((LIVE - 4)) flows_state 6001 labelled
ok $? "flowpic flows --json: the flow is labelled after its first window"
$VALIDATE flows "$LAB_DIR/flows.all" >"$LAB_DIR/v.log" 2>&1
ok $? "flowpic flows --json: valid against the schema ($(tail -1 "$LAB_DIR/v.log"))"
jcheck "$LAB_DIR/flows.json" 'all(r["label"] == weird and r["class_id"] == 2 and abs(r["confidence"] - 0.9647) < 2e-4 and r["label_window"] >= 0 and r["action"] == "pass" for r in recs)' \
	"flowpic flows --json: the exact class name, class 2, confidence 0.9647, its window, pass"
wait_for 10 first_label 6001
$VALIDATE flowpicd "$OUT" >"$LAB_DIR/v.log" 2>&1
ok $? "flowpicd's lines: valid against the schema ($(tail -1 "$LAB_DIR/v.log"))"
jcheck "$OUT" 'all(r["label"] == weird and abs(r["confidence"] - 0.9647) < 2e-4 and r["interface"] for r in recs)' \
	"flowpicd's lines: the exact class name and the confidence"
# flowpicd writes its counters once a second: the label can be out
# before the counters that count it.
stats_counted() {
	"$FLOWPIC" stats --json --pin-dir "$PIN" --state-dir "$STATE" \
		>"$LAB_DIR/stats.json" 2>/dev/null &&
		grep -Eq '"flowpicd_windows_classified": *[1-9]' "$LAB_DIR/stats.json"
}
wait_for 5 stats_counted
$VALIDATE stats "$LAB_DIR/stats.json" >"$LAB_DIR/v.log" 2>&1
ok $? "flowpic stats --json: valid against the schema ($(tail -1 "$LAB_DIR/v.log"))"
jcheck "$LAB_DIR/stats.json" 'recs[0]["backend"] == "bpf" and recs[0]["packets"] > 0 and recs[0]["flowpicd_windows_classified"] >= 1' \
	"flowpic stats --json: kernel and flowpicd counters"
fpd_stop

# 2. Unknown: the same model under a threshold above its confidence.
: >"$OUT"
fpd_start --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy" \
	--threshold 0.99 || { ok 1 "flowpicd starts again"; tap_end; }
udp_stream 6002 $LIVE 50
wait_for $((LIVE - 4)) flows_state 6002 unknown
ok $? "flowpic flows --json: below the threshold the flow is unknown"
jcheck "$LAB_DIR/flows.json" 'all(r["label"] == "unknown" and r["class_id"] == 64 and abs(r["confidence"] - 0.9647) < 2e-4 and r["action"] == "drop" for r in recs)' \
	"flowpic flows --json: unknown keeps its confidence and the unknown action"
$VALIDATE flows "$LAB_DIR/flows.all" >/dev/null 2>&1
ok $? "flowpic flows --json: unknown flows valid against the schema"
fpd_stop

# 3. In progress: windows longer than the test, so none completes.
WINDOW_MS=600000 make_model "$LAB_DIR/long.fpm" "$NAMES" 2 4
fpd_start --model "$LAB_DIR/long.fpm" --policy "$LAB_DIR/p.policy" ||
	{ ok 1 "flowpicd starts a third time"; tap_end; }
udp_stream 6003 10 50
wait_for 8 flows_state 6003 in-progress
ok $? "flowpic flows --json: before any window completes the flow is in-progress"
jcheck "$LAB_DIR/flows.json" 'all(r["label"] is None and r["class_id"] is None and r["confidence"] is None and r["label_window"] is None and r["action"] is None and sum(r["packets"]) > 0 for r in recs)' \
	"flowpic flows --json: in-progress has no label, class, confidence or action"
$VALIDATE flows "$LAB_DIR/flows.all" >/dev/null 2>&1
ok $? "flowpic flows --json: in-progress flows valid against the schema"
fpd_stop
tap_end
