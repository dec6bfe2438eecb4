# Sourced by tests/check.sh and tests/selftests/run.sh: stopping the
# jobs they start with setsid, each its own session and process group.
# stop_group PGID [inner]: stops a job started by setsid (its own
# session and process group): SIGTERM to the group, then up to 30 s for
# all of it to finish cleaning up (lab.sh deletes its namespaces), then
# SIGKILL. With "inner", the process groups that its programs made for
# themselves in its session go first, while its own group is held still
# (SIGSTOP): timeout(1) makes one, and kselftest's runner runs each test
# under it, its output read by the runner's group, which must still read
# what the test writes as it cleans up.
stop_group() {
	kill -0 -"$1" 2>/dev/null || return 0
	if [ "${2:-}" = inner ]; then
		kill -STOP -"$1" 2>/dev/null
		for g in $(inner "$1"); do
			kill -TERM -"$g" 2>/dev/null
		done
		i=0
		while [ -n "$(inner "$1")" ] && [ $i -lt 150 ]; do
			sleep 0.2
			i=$((i + 1))
		done
	fi
	kill -TERM -"$1" 2>/dev/null
	kill -CONT -"$1" 2>/dev/null
	wait "$1" 2>/dev/null	# the leader, when it is our child
	i=0
	while kill -0 -"$1" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -KILL -"$1" 2>/dev/null
}
# inner SID: the process groups of session SID but its leader's, their
# zombies left out (a stopped parent cannot reap them).
inner() {
	ps -eo pgid=,sid=,stat= |
		awk -v s="$1" '$2 == s && $1 != s && $3 !~ /^Z/ { print $1 }' | sort -u
}
# grouped PID: returns once the job PID (started by setsid) leads its
# own process group, or is gone.
grouped() {
	while kill -0 "$1" 2>/dev/null && ! kill -0 -"$1" 2>/dev/null; do
		sleep 0.1
	done
}
