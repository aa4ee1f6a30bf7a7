#!/bin/sh
# SSH reach: ufod's own key (ufo ssh-key), and `ufo rover add` against a
# real sshd on a loopback port with its own host key and authorized_keys:
# host key checks, auth errors, a rover installed, started and tunnelled
# that runs a shell operation to in_review, and its removal. The remote
# "host" is this machine; sshd's SetEnv gives logins their own HOME so the
# remote rover's files never mix with ufod's.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
command -v ssh-keygen >/dev/null 2>&1 || skip_all "ssh-keygen is not installed"

start_ufod -D "$DB" || bail_out "ufod did not start"
KEY=$(dirname "$DB")/ssh_ed25519

# --- ufod's own key ----------------------------------------------------------

ok "ssh-key" ufo ssh-key
line=$out
like "$line" '^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+ ufod@' \
    "an authorized_keys line of an Ed25519 key"
check "the key file exists" test -f "$KEY"
is "$(stat -c %a "$KEY")" 600 "the key file is 0600"
head1=$(head -n 1 "$KEY")
is "$head1" "-----BEGIN OPENSSH PRIVATE KEY-----" "in OpenSSH's format"
run ssh-keygen -y -f "$KEY"
is "$rc" 0 "ssh-keygen reads the key"
is "$(printf '%s\n' "$out" | cut -d' ' -f1-2)" \
    "$(printf '%s\n' "$line" | cut -d' ' -f1-2)" \
    "ssh-keygen derives the same public key"
ok "ssh-key again" ufo ssh-key
is "$out" "$line" "the key is made once"
ok "ssh-key --json" ufo --json ssh-key
like "$out" '"authorized_key"' "--json has authorized_key"
fails 2 "ssh-key takes no argument" ufo ssh-key x

# --- A real sshd -------------------------------------------------------------

SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || { stop_ufod; done_testing; exit 0; }
unset SSH_AUTH_SOCK
S=$HOME/sshd
RHOME=$HOME/remote
mkdir -p "$S" "$RHOME" "$HOME/.ssh"
chmod 700 "$HOME/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" </dev/null >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$S/host2" </dev/null >/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$HOME/wrongkey" </dev/null >/dev/null
printf '%s\n' "$line" >"$S/authorized_keys"
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd
PORT=$(free_port)
ME=$(id -un)
# sshd_config NAME PORT ADDRESS RHOME: $HOME/NAME/sshd_config, an sshd on
# ADDRESS:PORT with the host key and authorized_keys of $S whose logins
# have RHOME as their home.
sshd_config()
{
	mkdir -p "$HOME/$1" "$4"
	cat >"$HOME/$1/sshd_config" <<EOC
Port $2
ListenAddress $3
HostKey $S/host
PidFile $HOME/$1/sshd.pid
AuthorizedKeysFile $S/authorized_keys
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
Subsystem sftp internal-sftp
SetEnv HOME=$4
EOC
}
# start_sshd NAME [PREFIX...]: starts that sshd (through PREFIX, e.g.
# "ip netns exec NS", which execs it: the same pid) and waits until it
# listens; its pid in SSHD_PID.
start_sshd()
{
	_d=$HOME/$1
	shift
	: >"$_d/sshd.log"
	"$@" "$SSHD" -D -f "$_d/sshd_config" -E "$_d/sshd.log" &
	SSHD_PID=$!
	track "$SSHD_PID"
	wait_for 10 sh -c "grep -q 'listening on' '$_d/sshd.log' ||
	    ! kill -0 $SSHD_PID" &&
	    grep -q 'listening on' "$_d/sshd.log"
}
# Another process may take the port between free_port and sshd's bind:
# then another port.
_try=0
while :; do
	sshd_config sshd "$PORT" 127.0.0.1 "$RHOME"
	start_sshd sshd && break
	_try=$((_try + 1))
	if [ $_try -ge 5 ] ||
	    ! grep -q "Address already in use" "$S/sshd.log"; then
		bail_out "sshd did not start: $(cat "$S/sshd.log")"
	fi
	PORT=$(free_port)
done

# op_on_rover OP ROVER TITLE: a new operation OP for the shell pilot, the
# only rover online being ROVER, reaches in_review, run by ROVER.
op_on_rover()
{
	ok "an operation \"$3\"" ufo op create -m SSH -t "$3" -a pilot:shell \
	    "echo $3 > $3.txt"
	_op=$1
	op_in_review() { ufo op show "$_op" | grep -q in_review; }
	check "it reaches in_review" wait_for 60 op_in_review
	ok "its run" ufo --json run list -o "$1"
	ok "its run's rover" ufo --json run show "$(jget 0.id "$out")"
	like "$out" "$2" "the rover \"$3\" was for ran it"
}

# The id of the newest event.
newest_event() { jget id "$("$UFO_BIN" --socket "$SOCK" events | tail -n 1)"; }
# event_values SINCE KIND PATH: PATH of each KIND event after SINCE, on one
# line, a value repeated in a row once.
event_values() {
	"$UFO_BIN" --socket "$SOCK" events --since "$1" >"$T/events"
	grep -F "\"kind\":\"$2\"" "$T/events" | while IFS= read -r _l; do
		jget "$3" "$_l"
	done | uniq | tr '\n' ' '
}

EV=$(newest_event)
fails 1 "an unknown host key is refused" ufo rover add \
    "ssh://$ME@localhost:$PORT" --name unknown
like "$err" "host key of localhost:$PORT is unknown" "the error says so"
fp=$(ssh-keygen -lf "$S/host.pub" | cut -d' ' -f2)
check "it shows the key type and SHA256 fingerprint" sh -c \
    "printf '%s' \"\$1\" | grep -qF 'ssh-ed25519 $fp'" sh "$err"
is "$(event_values "$EV" ssh_host.created data.name)" "unknown " \
    "an event says it was added"
is "$(event_values "$EV" ssh_host.updated data.state)" "failed " \
    "an event says it failed, once: no retry"
ok "rover list" ufo rover list
like "$out" \
    "unknown .* pending .*ssh $ME@localhost:$PORT failed: the host key" \
    "rover list shows the failed host and why"

printf '[localhost]:%s %s\n' "$PORT" "$(cut -d' ' -f1-2 "$S/host2.pub")" \
    >"$HOME/.ssh/known_hosts"
fails 1 "a changed host key is refused" ufo rover add \
    "ssh://$ME@localhost:$PORT" --name changed --accept-new
like "$err" "HOST KEY OF localhost:$PORT HAS CHANGED" "loudly"

: >"$S/authorized_keys"
fails 1 "a wrong key is an auth error" ufo rover add \
    "ssh://$ME@127.0.0.1:$PORT" --name wrong --accept-new -i "$HOME/wrongkey"
like "$err" "refused every key: tried ssh-agent" "it says what was tried"
like "$err" "wrongkey" "the -i key is named"
like "$err" "ufod's own key" "and ufod's own key"
printf '%s\n' "$line" >"$S/authorized_keys"

# The board's rovers view has a row for it, live: it goes when removed.
board_start 160x30
board_settle
board_act generic view-rovers
check "the board's rovers view" board_wait "Rovers"
check "has the failed host, in its connection's state" \
    board_wait_re "unknown +localhost +failed +- "
board_act generic search
board_type "unknown"
board_keys Enter
board_settle
board_act generic enter
check "enter on it says why it failed" board_wait "the host key"

ok "a failed host is given up with rover remove" ufo rover remove unknown
host_row_gone() { ! board_has_re "unknown +localhost +failed +- "; }
check "the board drops its row as it goes" \
    board_poll "the host's row to go" host_row_gone
board_stop
ok "rover list" ufo rover list
unlike "$out" "^unknown " "it is gone"
is "$(event_values "$EV" ssh_host.removed data.name)" "unknown " \
    "an event says so"
fails 1 "rover remove of neither a rover nor a host" ufo rover remove nosuch
like "$err" "rover nosuch not found" "the error names it"

fails 2 "a bad target" ufo rover add "http://x"
like "$err" "ssh://\\[USER@\\]HOST" "the form is named"
fails 2 "a bad port" ufo rover add "ssh://$ME@127.0.0.1:0"
like "$err" 'bad port "0"' "the error names it"
fails 2 "an IPv6 address without brackets" ufo rover add "ssh://::1:$PORT"
like "$err" "goes in brackets" "the error says how"

EV=$(newest_event)
ok "rover add over SSH" ufo rover add "ssh://$ME@127.0.0.1:$PORT" \
    --name remote --accept-new --tag far
ROVER=$out
like "$ROVER" '^rov_' "it prints the rover id"
is "$(event_values "$EV" ssh_host.updated data.rover_id |
    awk '{ print $NF }')" "$ROVER" \
    "an event says which rover the host serves, once it does"
check "ufod recorded the host key" grep -q "127.0.0.1" \
    "$(dirname "$DB")/known_hosts"
check "the rover was uploaded" test -x "$RHOME/.ufo/bin/ufo-rover"
check "its registration is 0600" sh -c \
    "stat -c %a $RHOME/.ufo/ssh_*.json | grep -qx 600"
RPID=$(cat "$RHOME"/.ufo/ssh_*.pid)
check "the rover runs" kill -0 "$RPID"
wait_for 20 sh -c "'$UFO_BIN' --socket '$SOCK' rover list | grep remote |
    grep -q online"
ok "rover list" ufo rover list
like "$out" "remote .*ssh .*@127.0.0.1:$PORT online" "the rover is online over ssh"

ok "a mission" ufo mission create SSH "Over SSH"
ok "an operation for the shell pilot" ufo op create -m SSH -t "hello" \
    -a pilot:shell "echo hello > hello.txt"
op_is_review() { ufo op show SSH-1 | grep -q in_review; }
check "the operation reaches in_review" wait_for 60 op_is_review

# --- The SSH connection killed mid-run ---------------------------------------

# The sshd session processes serving ufod's connection: the children of
# the listening sshd (ufod's is the only connection now).
sshd_sessions() { pgrep -P "$SSHD_PID"; }
# The connection's state, as rover list shows it: ssh USER@HOST:PORT STATE.
ssh_state_is() {
	"$UFO_BIN" --socket "$SOCK" rover list | grep '^remote ' |
	    grep -Eq "ssh [^ ]*@127\.0\.0\.1:$PORT $1"
}
run_has() { ufo run logs "$1" 2>/dev/null | grep -q "$2"; }
ok "a slow operation" ufo op create -m SSH -t "slow" -a pilot:shell \
    'for i in 1 2 3 4 5 6; do echo line $i; sleep 1; done'
run_listed() {
	"$UFO_BIN" --socket "$SOCK" --json run list -o SSH-2 >"$T/runs" &&
	    [ -n "$(jget 0.id "$(cat "$T/runs")")" ]
}
check "it has a run" wait_for 30 run_listed
RUN=$(jget 0.id "$(cat "$T/runs")")
check "the run has printed its first line" wait_for 30 run_has "$RUN" \
    "line 1"
SESS=$(sshd_sessions | tr '\n' ' ')
isnt "$SESS" "" "sshd serves ufod's connection"
EV=$(newest_event)
kill -TERM $SESS
check "the session is gone" wait_for 20 sh -c \
    "for p in $SESS; do kill -0 \$p 2>/dev/null && exit 1; done; exit 0"
check "the rover outlives the connection" kill -0 "$RPID"
ssh_not_online() { ! ssh_state_is online; }
check "ufod notices" wait_for 30 ssh_not_online
check "ufod reconnects by itself" wait_for 60 ssh_state_is online ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
is "$(event_values "$EV" ssh_host.updated data.state)" "reconnecting online " \
    "ssh_host.updated events: reconnecting, then online"
like "$(event_values "$EV" ssh_host.updated data.last_error)" \
    "^the connection broke|^keepalive failed" "the reconnecting one says why"
is "$(event_values "$EV" rover.updated data.ssh.state)" "reconnecting online " \
    "rover.updated events carry the connection's state for the board"
SESS2=$(sshd_sessions | tr '\n' ' ')
isnt "$SESS2" "" "a new session"
isnt "$SESS2" "$SESS" "not the old one"
op2_is_review() { ufo op show SSH-2 | grep -q in_review; }
check "the slow operation reaches in_review" wait_for 90 op2_is_review
ok "its run" ufo --json run show "$RUN"
is "$(jget status "$out")" succeeded "the run completed"
ok "its logs" ufo run logs "$RUN"
got=$(printf '%s\n' "$out" | grep -o 'line [0-9]*' | tr '\n' ' ')
is "$got" "line 1 line 2 line 3 line 4 line 5 line 6 " \
    "every line once, in order"
[ "$got" = "line 1 line 2 line 3 line 4 line 5 line 6 " ] ||
    diag "logs:" "$out" "rover log:" "$(tail -n 30 "$RHOME"/.ufo/ssh_*.log)"
check "the rover kept running" kill -0 "$RPID"

# A rover that is gone when ufod reconnects is started again.
kill -TERM "$RPID"
check "the rover is stopped" wait_for 20 gone "$RPID"
# Another process gets the rover's old pid, as on a busy host whose pids
# wrap around: where the test can choose the next pid (root, ns_last_pid)
# a sleep takes it once the rover is reaped, and ufod must not take it for
# the rover. Other processes may fork first: a few tries, each sleep left
# to the cleanup (one killed at once could still be the shell forked for
# it, which would run this test's traps).
take_pid()
{
	[ -w /proc/sys/kernel/ns_last_pid ] || return 1
	wait_for 30 sh -c "! test -e /proc/$1" || return 1
	_i=0
	while [ $_i -lt 20 ] && ! test -e "/proc/$1"; do
		echo $(($1 - 1)) 2>/dev/null >/proc/sys/kernel/ns_last_pid ||
		    return 1
		sleep 600 &
		track "$!"
		[ "$!" != "$1" ] || return 0
		_i=$((_i + 1))
	done
	return 1
}
if take_pid "$RPID"; then
	check "another process has the rover's old pid" alive "$RPID"
else
	skip "the test could not give the rover's old pid to another process"
fi
SESS=$(sshd_sessions | tr '\n' ' ')
kill -TERM $SESS
check "ufod notices again" wait_for 30 ssh_not_online
check "and reconnects" wait_for 60 ssh_state_is online
new_rover() {
	_p=$(cat "$RHOME"/.ufo/ssh_*.pid 2>/dev/null) && [ -n "$_p" ] &&
	    [ "$_p" != "$RPID" ] && kill -0 "$_p"
}
check "the rover is started again" wait_for 30 new_rover ||
    diag "old pid $RPID, pid file: $(cat "$RHOME"/.ufo/ssh_*.pid)" \
    "$(ps -eo pid,ppid,stat,args | grep '[u]fo-rover')" \
    "$(tail -n 4 "$RHOME"/.ufo/ssh_*.log)" \
    "$(grep "ssh remote" "$UFOD_LOG" | tail -n 4)"
RPID=$(cat "$RHOME"/.ufo/ssh_*.pid)
remote_online() {
	"$UFO_BIN" --socket "$SOCK" rover list | grep -Eq \
	    "^remote +[^ ]+ +online .*ssh [^ ]*@127\.0\.0\.1:$PORT online"
}
check "it comes online" wait_for 30 remote_online ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"

ok "rover remove" ufo rover remove "$ROVER"
check "the remote rover stops" wait_for 20 gone "$RPID"
check "its files are gone" wait_for 20 sh -c "! test -e $RHOME/.ufo" || find "$RHOME" >&2

# --- --direct: the rover reaches ufod itself ---------------------------------

# ufod also listens on TCP; the rover on the host is given that URL (and
# its token) instead of a forwarded port.
stop_ufod
UPORT=$(free_port)
start_ufod -D "$DB" -l "127.0.0.1:$UPORT" || bail_out "ufod did not restart"
fails 2 "--direct wants an http(s) URL" ufo rover add \
    "ssh://$ME@127.0.0.1:$PORT" --name near --direct "ftp://x"
like "$err" "invalid --direct" "the error says so"
ok "rover add --direct" ufo rover add "ssh://$ME@127.0.0.1:$PORT" \
    --name near --direct "http://127.0.0.1:$UPORT"
ROVER=$out
like "$ROVER" '^rov_' "it prints the rover id"
RPID=$(cat "$RHOME"/.ufo/ssh_*.pid)
check "the rover runs" kill -0 "$RPID"
check "its registration names the direct URL" grep -qF \
    "127.0.0.1:$UPORT\"" "$RHOME"/.ufo/ssh_*.json
near_online() {
	"$UFO_BIN" --socket "$SOCK" rover list | grep '^near ' |
	    grep -Eq "^near +[^ ]+ +online .*ssh [^ ]*@127\.0\.0\.1:$PORT online"
}
check "the rover is online" wait_for 20 near_online ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
check "the rover talks to ufod's TCP listener" wait_for 20 grep -qF \
    "serving http://127.0.0.1:$UPORT" "$RHOME"/.ufo/ssh_*.log
op_on_rover SSH-3 "$ROVER" direct
ok "rover remove --direct" ufo rover remove "$ROVER"
check "the direct rover stops" wait_for 20 gone "$RPID"
check "its files are gone too" wait_for 20 sh -c "! test -e $RHOME/.ufo"

# --- A second host in a network namespace ------------------------------------

# Where the test may make network namespaces (root and ip(8)), a host of its
# own address: a veth pair on a random 10.X.Y.0/24, the far end (.2) in the
# namespace, and an sshd there listening on it alone. The namespace, the
# veth pair and whatever runs inside go at exit, failed or not.
NS=
NS_WHY=
ns_cleanup()
{
	[ -n "$NS" ] || return 0
	for _p in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$_p" 2>/dev/null
	done
	ip link del "${NS}a" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
byte() { od -An -N1 -tu1 /dev/urandom | tr -d ' \n'; }
ns_setup()
{
	if [ "$(id -u)" != 0 ]; then
		NS_WHY="network namespaces need root"
		return 1
	fi
	if ! command -v ip >/dev/null 2>&1; then
		NS_WHY="ip(8) is not installed"
		return 1
	fi
	_i=0
	while :; do
		NS_NET=10.$(byte).$(byte)
		ip -4 addr | grep -qF "inet $NS_NET." || break
		_i=$((_i + 1))
		if [ $_i -ge 20 ]; then
			NS_WHY="no free 10.X.Y.0/24"
			return 1
		fi
	done
	NS=ufo$$
	LIB_CLEANUP_HOOKS="$LIB_CLEANUP_HOOKS ns_cleanup"
	if ! ip netns add "$NS" 2>"$T/ns.err"; then
		NS_WHY="ip netns add failed: $(cat "$T/ns.err")"
		NS=
		return 1
	fi
	if ! { ip link add "${NS}a" type veth peer name "${NS}b" &&
	    ip link set "${NS}b" netns "$NS" &&
	    ip addr add "$NS_NET.1/24" dev "${NS}a" &&
	    ip link set "${NS}a" up &&
	    ip -n "$NS" addr add "$NS_NET.2/24" dev "${NS}b" &&
	    ip -n "$NS" link set "${NS}b" up &&
	    ip -n "$NS" link set lo up; } 2>"$T/ns.err"; then
		NS_WHY="cannot make a veth pair: $(cat "$T/ns.err")"
		return 1
	fi
	RHOME2=$HOME/remote2
	PORT3=$(free_port)
	sshd_config sshd-ns "$PORT3" "$NS_NET.2" "$RHOME2"
	if ! start_sshd sshd-ns ip netns exec "$NS"; then
		NS_WHY="sshd did not start in the namespace: $(cat \
		    "$HOME/sshd-ns/sshd.log")"
		return 1
	fi
}
ns_online() {
	"$UFO_BIN" --socket "$SOCK" rover list | grep -Eq \
	    "^ns +[^ ]+ +online .*ssh $ME@$NS_NET\.2:$PORT3 online"
}
if ns_setup; then
	ok "rover add over SSH to the namespace's host" ufo rover add \
	    "ssh://$ME@$NS_NET.2:$PORT3" --name ns --accept-new
	NSROVER=$out
	like "$NSROVER" '^rov_' "it prints the rover id"
	NSPID=$(cat "$RHOME2"/.ufo/ssh_*.pid)
	is "$(ip netns identify "$NSPID")" "$NS" \
	    "the rover runs in the namespace"
	check "it is online" wait_for 30 ns_online ||
	    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
	op_on_rover SSH-4 "$NSROVER" namespaced
else
	skip "$NS_WHY" 9
fi

# --- A host not up yet: retried until it is ----------------------------------

# Its first connection is refused: ufod retries with the reconnects'
# backoff, and rover add waits, until an sshd listens there.
PORT2=$(free_port)
RHOME3=$HOME/remote3
sshd_config sshd-later "$PORT2" 127.0.0.1 "$RHOME3"
EV=$(newest_event)
background "$T/later" ufo rover add "ssh://$ME@127.0.0.1:$PORT2" \
    --name later --accept-new
LATER_PID=$BG_PID
later_is() {
	"$UFO_BIN" --socket "$SOCK" rover list | grep -Eq "^later +[^ ]+ +$1"
}
REFUSED2="cannot connect to 127\.0\.0\.1 port $PORT2: Connection refused"
check "a host whose sshd is not up is retried" wait_for 30 later_is \
    "pending .*ssh $ME@127\.0\.0\.1:$PORT2 retrying: $REFUSED2" ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
is "$(event_values "$EV" ssh_host.updated data.state)" "retrying " \
    "an event says it is retrying"
like "$(event_values "$EV" ssh_host.updated data.last_error)" \
    "Connection refused" "with the error"
check "rover add goes on waiting" alive "$LATER_PID"
start_sshd sshd-later || diag "sshd did not start: $(cat \
    "$HOME/sshd-later/sshd.log")"
check "rover add returns once the host answers" wait_exit "$LATER_PID" 90
is "$rc" 0 "it succeeds"
like "$(cat "$T/later")" '^rov_' "it prints the rover id" ||
    diag "$(cat "$T/later.err")"
LATER=$(cat "$T/later")
check "the rover comes online without being added again" wait_for 30 \
    later_is "online .*ssh $ME@127\.0\.0\.1:$PORT2 online"
is "$(event_values "$EV" ssh_host.updated data.state)" "retrying online " \
    "then an event says it is online"
api GET /ssh-hosts >/dev/null
is "$status" 200 "GET /ssh-hosts"
is "$(jget items.*.name | grep -cx later)" 1 "lists the host"
api GET /ssh-hosts/later >/dev/null
is "$(jget rover_id)" "$LATER" "GET /ssh-hosts/{name} names its rover"
api DELETE /ssh-hosts/later >/dev/null
is "$status" 409 "a host serving a rover is not given up by itself"
like "$(jget error.message)" "serves rover $LATER: remove the rover" \
    "the error says what to do"
api DELETE /ssh-hosts/nosuch >/dev/null
is "$status" 404 "DELETE /ssh-hosts of no host"
is "$(jget error.code)" not_found "answers not_found"

# The host's sshd goes away for a while: the board's rovers view shows the
# connection reconnecting as it happens, rover list says why, and both
# show it up again once sshd is back.
board_start 160x48 || bail_out "the board did not start"
board_keys 4
check "the board shows the rover" board_wait_re "later +127\.0\.0\.1"
LSESS=$(pgrep -P "$SSHD_PID" | tr '\n' ' ')
kill -TERM "$SSHD_PID"
check "sshd is down" wait_for 20 gone "$SSHD_PID"
kill -TERM $LSESS
check "the board shows the connection reconnecting" board_wait_re \
    "later +reconnecting"
check "rover list says why" wait_for 60 later_is \
    "[a-z]+ .*ssh $ME@127\.0\.0\.1:$PORT2 reconnecting: $REFUSED2" ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
start_sshd sshd-later || diag "sshd did not start again"
check "rover list shows it online again" wait_for 60 later_is \
    "online .*ssh $ME@127\.0\.0\.1:$PORT2 online"
check "and so does the board" board_wait_re "later +127\.0\.0\.1"
board_stop
if [ -n "$NS" ] && [ -z "$NS_WHY" ]; then
	ok "rover list" ufo rover list
	like "$out" "ns .*ssh $ME@$NS_NET\.2:$PORT3 online" \
	    "it lists the namespace's rover with its host"
	like "$out" "later .*ssh $ME@127\.0\.0\.1:$PORT2 online" \
	    "and the other with its own"
	ok "rover remove in the namespace" ufo rover remove "$NSROVER"
	check "that rover stops" wait_for 20 gone "$NSPID"
	check "its files are gone" wait_for 20 sh -c "! test -e $RHOME2/.ufo"
else
	skip "$NS_WHY" 6
fi
ok "rover remove" ufo rover remove "$LATER"
check "its files are gone" wait_for 20 sh -c "! test -e $RHOME3/.ufo"

# A host given up while it is retrying: on the IPv6 loopback where there
# is one (ssh://[::1]:PORT), else IPv4's.
PORT4=$(free_port)
if ip -6 addr show lo 2>/dev/null | grep -q 'inet6 ::1/'; then
	ADDR4=::1
	TARGET4="[::1]"
else
	ADDR4=127.0.0.1
	TARGET4=127.0.0.1
fi
background "$T/never" ufo rover add "ssh://$ME@$TARGET4:$PORT4" --name never
NEVER_PID=$BG_PID
never_retrying() {
	"$UFO_BIN" --socket "$SOCK" rover list | grep -Fq "ssh \
$ME@$TARGET4:$PORT4 retrying: cannot connect to $ADDR4 port $PORT4: \
Connection refused"
}
check "another host not up is retried" wait_for 30 never_retrying ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
ok "rover remove gives it up" ufo rover remove never
check "rover add stops waiting" wait_exit "$NEVER_PID" 30
is "$rc" 1 "it fails"
like "$(cat "$T/never.err")" "no rover host" "saying the host is gone"
ok "rover list" ufo rover list
unlike "$out" "^never " "the host is not listed"

stop_ufod
echo garbage >"$KEY"
start_ufod -D "$DB" || bail_out "ufod did not restart"
fails 1 "a damaged key" ufo ssh-key
like "$err" "is not an unencrypted OpenSSH Ed25519 key" "the error names it"
like "$err" "ssh_ed25519" "and the file"
stop_ufod

done_testing
