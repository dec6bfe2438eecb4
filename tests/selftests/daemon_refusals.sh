#!/bin/bash
# flowpicd refuses to start, naming the cause, exit status 1: not root,
# BPF unavailable, interface missing, model invalid, policy invalid (bad
# line, class the model lacks), and a root qdisc it did not create.
. "$(dirname "$0")/lib_daemon.sh"
fpd_setup

make_model "$LAB_DIR/m.fpm" "a,b" 0 0
printf 'a pass\nb drop\n' >"$LAB_DIR/p.policy"

run_fpd() {
	nsenter --net="/run/netns/$LAB_SRV" "$FPD" --pin-dir "$PIN" \
		--state-dir "$STATE" "$@"
}

refused "flowpicd: must run as root" "not root" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$FPD" -i lo --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy"

refused "interface 'nosuch0' does not exist" "interface missing" -- \
	run_fpd -i nosuch0 --model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy"

refused "$LAB_DIR/none.fpm" "model file missing" -- \
	run_fpd -i "$LAB_SIF" --model "$LAB_DIR/none.fpm" \
	--policy "$LAB_DIR/p.policy"

head -c 300 "$LAB_DIR/m.fpm" >"$LAB_DIR/cut.fpm"
refused "$LAB_DIR/cut.fpm" "model file truncated" -- \
	run_fpd -i "$LAB_SIF" --model "$LAB_DIR/cut.fpm" \
	--policy "$LAB_DIR/p.policy"

printf 'a pass\n\nb shpe 1mbit\n' >"$LAB_DIR/bad.policy"
refused "$LAB_DIR/bad.policy:3: unknown action 'shpe' for class 'b'" \
	"policy with a bad line names the line" -- \
	run_fpd -i "$LAB_SIF" --model "$LAB_DIR/m.fpm" \
	--policy "$LAB_DIR/bad.policy"

printf 'a pass\nvideo drop\n' >"$LAB_DIR/cls.policy"
refused "$LAB_DIR/cls.policy:2: class 'video' is not one of the model's classes (a, b)" \
	"policy naming a class the model lacks" -- \
	run_fpd -i "$LAB_SIF" --model "$LAB_DIR/m.fpm" \
	--policy "$LAB_DIR/cls.policy"

# BPF unavailable: no bpffs where the maps are to be pinned.
refused "not on a BPF filesystem" "BPF unavailable (no bpffs)" -- \
	nsenter --net="/run/netns/$LAB_SRV" "$FPD" -i "$LAB_SIF" \
	--pin-dir "$LAB_DIR/notbpf" --state-dir "$STATE" \
	--model "$LAB_DIR/m.fpm" --policy "$LAB_DIR/p.policy"

lab_srv tc qdisc add dev "$LAB_SIF" root handle 1: htb default 1
printf 'a shape 1mbit\n' >"$LAB_DIR/shape.policy"
refused "root qdisc 'htb 1:' was not made by flowpic" \
	"shape over someone else's root qdisc" -- \
	run_fpd -i "$LAB_SIF" --model "$LAB_DIR/m.fpm" \
	--policy "$LAB_DIR/shape.policy"
lab_srv tc qdisc del dev "$LAB_SIF" root
# And a refused start leaves nothing attached or pinned.
lab_srv tc filter show dev "$LAB_SIF" ingress | grep -q bpf
ok $((! $?)) "a refused start leaves no tc program attached"
[ ! -e "$PIN/labels" ]
ok $? "and nothing pinned"

out=$("$FPD" --model x --policy y 2>&1)
rc=$?
[ "$rc" = 2 ] && printf '%s' "$out" | grep -q -- "-i IFACE is required"
ok $? "missing -i is a usage error (exit 2)"

tap_end
