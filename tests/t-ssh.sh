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
cat >"$S/sshd_config" <<EOC
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
StrictModes no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
Subsystem sftp internal-sftp
SetEnv HOME=$RHOME
EOC
start_sshd()
{
	"$SSHD" -D -f "$S/sshd_config" -E "$S/sshd.log" &
	SSHD_PID=$!
	track "$SSHD_PID"
	wait_for 10 sh -c "grep -q 'listening on' '$S/sshd.log'"
}
start_sshd || diag "sshd did not start: $(cat "$S/sshd.log")"

fails 1 "an unknown host key is refused" ufo rover add \
    "ssh://$ME@localhost:$PORT" --name unknown
like "$err" "host key of localhost:$PORT is unknown" "the error says so"
fp=$(ssh-keygen -lf "$S/host.pub" | cut -d' ' -f2)
check "it shows the key type and SHA256 fingerprint" sh -c \
    "printf '%s' \"\$1\" | grep -qF 'ssh-ed25519 $fp'" sh "$err"

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

fails 2 "a bad target" ufo rover add "http://x"
like "$err" "ssh://\\[USER@\\]HOST" "the form is named"

ok "rover add over SSH" ufo rover add "ssh://$ME@127.0.0.1:$PORT" \
    --name remote --accept-new --tag far
ROVER=$out
like "$ROVER" '^rov_' "it prints the rover id"
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
kill -TERM $SESS
check "the session is gone" wait_for 20 sh -c \
    "for p in $SESS; do kill -0 \$p 2>/dev/null && exit 1; done; exit 0"
check "the rover outlives the connection" kill -0 "$RPID"
ssh_not_online() { ! ssh_state_is online; }
check "ufod notices" wait_for 30 ssh_not_online
check "ufod reconnects by itself" wait_for 60 ssh_state_is online ||
    diag "$("$UFO_BIN" --socket "$SOCK" rover list)"
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
ok "an operation for the direct rover" ufo op create -m SSH -t "direct" \
    -a pilot:shell "echo direct > direct.txt"
op3_is_review() { ufo op show SSH-3 | grep -q in_review; }
check "it reaches in_review" wait_for 60 op3_is_review
ok "its run" ufo --json run list -o SSH-3
RUN=$(jget 0.id "$out")
ok "its run's rover" ufo --json run show "$RUN"
like "$out" "$ROVER" "the direct rover ran it"
ok "rover remove --direct" ufo rover remove "$ROVER"
check "the direct rover stops" wait_for 20 gone "$RPID"
check "its files are gone too" wait_for 20 sh -c "! test -e $RHOME/.ufo"

stop_ufod
echo garbage >"$KEY"
start_ufod -D "$DB" || bail_out "ufod did not restart"
fails 1 "a damaged key" ufo ssh-key
like "$err" "is not an unencrypted OpenSSH Ed25519 key" "the error names it"
like "$err" "ssh_ed25519" "and the file"
stop_ufod

done_testing
