#!/bin/sh
# TLS on ufod's TCP listener, with a private CA made by openssl: HTTPS with
# tls_cert and tls_key, no plain HTTP on that port, ufo and ufo-rover that
# verify the certificate (refused without the CA, accepted with --ca-file,
# UFO_CA_FILE or ca_file; another host's certificate refused), a rover
# enrolled over HTTPS that runs an operation, a certificate renewed on
# SIGHUP, bad certificate settings that stop ufod naming the file, and the
# warning of plain HTTP on an address that is not loopback.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries
: "${UFO_ROVER_BIN:=$top_builddir/rover/ufo-rover}"
[ -x "$UFO_ROVER_BIN" ] || bail_out "no ufo-rover at $UFO_ROVER_BIN"

tls_ca
tls_ca otherca
tls_cert server "DNS:localhost,IP:127.0.0.1"
tls_cert elsewhere "DNS:elsewhere.example"
tls_cert stranger "DNS:localhost,IP:127.0.0.1" otherca
CA=$PKI/ca.pem

PORT=$(free_port) || bail_out "no free TCP port"
URL=https://127.0.0.1:$PORT

# conf [LINE...]: ufo.conf with the TLS listener, plus the lines given.
conf()
{
	{
		printf 'listen = 127.0.0.1:%s\n' "$PORT"
		printf 'tls_cert = %s\ntls_key = %s\n' "$PKI/server.pem" \
		    "$PKI/server.key"
		for _l in "$@"; do
			printf '%s\n' "$_l"
		done
	} >"$CONF"
}

# served CERT: the listener presents CERT (checked with curl and its CA).
served()
{
	_cacert=$CA
	[ "$1" != stranger ] || _cacert=$PKI/otherca.pem
	curl -sf --max-time 5 --cacert "$_cacert" --resolve \
	    "elsewhere.example:$PORT:127.0.0.1" \
	    "https://$2:$PORT/api/v1/health" >/dev/null
}

remote()
{
	"$UFO_BIN" --server "$URL" --token "$TOKEN" "$@"
}

# --- The listener ------------------------------------------------------------

conf
start_ufod || bail_out "ufod did not start with tls_cert and tls_key"
check "the log says HTTPS" grep -q "listening on 127.0.0.1:$PORT (HTTPS" \
    "$UFOD_LOG"
unlike "$(cat "$UFOD_LOG")" 'warning' "no warning for a loopback HTTPS listener"

run curl -s --max-time 10 --cacert "$CA" "$URL/api/v1/health"
is "$rc" 0 "curl --cacert: /health over HTTPS"
is "$(jget status "$out")" ok "the health is ok"
run curl -s --max-time 10 --cacert "$CA" \
    "https://localhost:$PORT/api/v1/health"
is "$rc" 0 "by the name localhost too"
run curl -s --max-time 10 "$URL/api/v1/health"
is "$rc" 60 "curl without the CA: the certificate does not verify"
run curl -s --max-time 10 "http://127.0.0.1:$PORT/api/v1/health"
isnt "$rc" 0 "plain HTTP to the TLS port fails"
unlike "$out" '"status"' "and gets no answer"
# openssl s_client at security level 0 would speak TLS 1.1 if let.
run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 \
    -cipher DEFAULT@SECLEVEL=0
isnt "$rc" 0 "TLS 1.1 is refused"
run timeout 30 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 \
    -cipher DEFAULT@SECLEVEL=0
is "$rc" 0 "TLS 1.2 is spoken"
api GET /server >/dev/null
is "$(jget tls)" true "GET /server on the socket: tls is true"
ok "ufo server status" ufo server status
like "$out" "listen: +127\\.0\\.0\\.1:$PORT \\(HTTPS\\)" "it says the listener is HTTPS"
check "the socket still speaks plain HTTP" health

# --- ufo ---------------------------------------------------------------------

TOKEN=$(jget token "$(ufo --json token create tls 2>/dev/null)")
like "$TOKEN" '^ufo_' "a token for the TCP listener"

run remote op list
is "$rc" 1 "ufo without the CA exits 1"
like "$err" "^ufo: $URL: certificate verify failed: " \
    "the message names the server and says certificate verify failed"
like "$err" 'SSL certificate problem|certificate' "with curl's reason"
like "$err" '--ca-file' "and says what to give"

run remote --ca-file "$CA" op create -t "Made over HTTPS" "body"
is "$rc" 0 "ufo --ca-file op create"
is "$out" UFO-1 "the operation is made"
run remote --ca-file "$CA" --json op list
is "$(jget 0.title "$out")" "Made over HTTPS" "ufo --ca-file op list"
run env UFO_CA_FILE="$CA" "$UFO_BIN" --server "$URL" --token "$TOKEN" \
    --json op show UFO-1
is "$rc" 0 "UFO_CA_FILE"
is "$(jget title "$out")" "Made over HTTPS" "shows the operation"
conf "ca_file = $CA"
run remote op list
is "$rc" 0 "ca_file in ufo.conf"
conf "ca_file = $CA" "server = $URL"
run env UFO_TOKEN="$TOKEN" "$UFO_BIN" --json op list
is "$(jget 0.code "$out")" UFO-1 "server and ca_file of ufo.conf alone"
run env UFO_CA_FILE="$CA" "$UFO_BIN" --server "$URL" --token "$TOKEN" \
    --ca-file "$PKI/otherca.pem" op list
is "$rc" 1 "--ca-file wins over UFO_CA_FILE (another CA: refused)"
like "$err" 'certificate verify failed' "it is the certificate that fails"
run env UFO_CA_FILE="$PKI/otherca.pem" "$UFO_BIN" --server "$URL" \
    --token "$TOKEN" op list
is "$rc" 1 "UFO_CA_FILE wins over ca_file"
conf
run remote --ca-file "$PKI/nowhere.pem" op list
is "$rc" 1 "a --ca-file that does not exist exits 1"
like "$err" "--ca-file $PKI/nowhere.pem: No such file" "naming the file"
run env UFO_CA_FILE="$HOME/nothing.pem" "$UFO_BIN" --server "$URL" \
    --token "$TOKEN" op list
like "$err" "UFO_CA_FILE $HOME/nothing.pem" "a bad UFO_CA_FILE is named"
run ufo --ca-file "$PKI/nowhere.pem" op list
is "$rc" 0 "the CA file is not needed on the Unix socket"

ok "ufo events over HTTPS" remote --ca-file "$CA" events
like "$out" '"kind":"operation\.created"' "the feed has the operation"
background "$T/follow" "$UFO_BIN" --server "$URL" --token "$TOKEN" \
    --ca-file "$CA" events -f
follow=$BG_PID
ok "another operation" ufo op create -t "Seen live" "body"
check "ufo events -f streams it over HTTPS" wait_for 30 grep -q \
    '"entity_id"' "$T/follow"
check "the stream carries the new operation" wait_for 30 \
    sh -c "grep -c 'operation.created' '$T/follow' | grep -qx 2"
check "ufo events -f keeps running" alive "$follow"
kill "$follow" 2>/dev/null

# --- Certificates that must be refused ---------------------------------------

# A renewed certificate comes with SIGHUP; this one names another host.
printf 'listen = 127.0.0.1:%s\ntls_cert = %s\ntls_key = %s\n' "$PORT" \
    "$PKI/elsewhere.pem" "$PKI/elsewhere.key" >"$CONF"
kill -HUP "$UFOD_PID"
check "SIGHUP: the new certificate is served" wait_for 30 served \
    elsewhere elsewhere.example
run remote --ca-file "$CA" op list
is "$rc" 1 "a certificate for another host name is refused"
like "$err" "certificate verify failed: .*(host ?name|subject name)" \
    "because of the host name"
unlike "$err" "private CA" "no talk of a CA file, which would not help"
printf 'listen = 127.0.0.1:%s\ntls_cert = %s\ntls_key = %s\n' "$PORT" \
    "$PKI/stranger.pem" "$PKI/stranger.key" >"$CONF"
kill -HUP "$UFOD_PID"
check "SIGHUP: a certificate of another CA is served" wait_for 30 served \
    stranger 127.0.0.1
run remote --ca-file "$CA" op list
is "$rc" 1 "a certificate our CA did not sign is refused"
like "$err" "certificate verify failed" "as one that does not verify"
like "$err" "checked against the CA file $CA" "naming the CA file it tried"

# A bad certificate on SIGHUP is logged and the running one kept.
printf 'listen = 127.0.0.1:%s\ntls_cert = %s\ntls_key = %s\n' "$PORT" \
    "$PKI/server.pem" "$PKI/stranger.key" >"$CONF"
kill -HUP "$UFOD_PID"
check "SIGHUP with a key of another certificate: logged" wait_for 30 grep -q \
    "reload: tls_key $PKI/stranger.key is not the key" "$UFOD_LOG"
check "the running certificate is kept" served stranger 127.0.0.1
conf
kill -HUP "$UFOD_PID"
check "SIGHUP: back to the good certificate" wait_for 30 served server \
    127.0.0.1
ok "ufo works again" remote --ca-file "$CA" op list
chmod 644 "$PKI/server.key"
kill -HUP "$UFOD_PID"
check "a key others may read is warned of" wait_for 30 grep -q \
    "tls_key $PKI/server.key may be read by others" "$UFOD_LOG"
chmod 600 "$PKI/server.key"

# --- ufo-rover over HTTPS ----------------------------------------------------

BIN=$HOME/bin
mkdir -p "$BIN"
ln -s "$top_srcdir/tests/fake-pilot" "$BIN/claude"
PATH=$BIN:$PATH
UFO_FAKE_FIXTURES=$top_srcdir/tests/fixtures/pilots
UFO_FAKE_DELAY=0
export PATH UFO_FAKE_FIXTURES UFO_FAKE_DELAY
REG=$HOME/.ufo/rovers.json

CODE=$(ufo rover code 2>/dev/null)
run "$UFO_ROVER_BIN" enroll --server "$URL" --code "$CODE" --name tls-box
is "$rc" 1 "ufo-rover enroll without the CA exits 1"
like "$err" "certificate verify failed" "saying the certificate fails"
like "$err" "$URL" "naming the server"
run "$UFO_ROVER_BIN" enroll --server "$URL" --code "$CODE" \
    --ca-file "$PKI/nowhere.pem"
is "$rc" 1 "enroll with a --ca-file that does not exist exits 1"
like "$err" "--ca-file $PKI/nowhere.pem" "naming it"
cd "$PKI" || bail_out "cd $PKI"
run "$UFO_ROVER_BIN" enroll --server "$URL" --code "$CODE" --name tls-box \
    --ca-file ca.pem
cd / || bail_out "cd /"
is "$rc" 0 "enroll over HTTPS with --ca-file (the code was not used up)"
body=$(cat "$REG")
is "$(jget 0.server)" "$URL" "the registration keeps the https URL"
is "$(jget 0.ca_file)" "$CA" "and the CA file, as an absolute path"
ROVER=$(jget 0.id)

ok "an operation for the rover" ufo op create -t "Hello over HTTPS" \
    -a pilot:claude "Create hello.txt"
op=$out
run env UFO_FAKE_WRITE="hello.txt:hello over TLS" timeout 120 \
    "$UFO_ROVER_BIN" run --once
is "$rc" 0 "ufo-rover run --once over HTTPS exits 0"
[ "$rc" = 0 ] || diag "$err"
is "$(op_status "$op")" in_review "the operation is in review"
last_run "$op"
is "$(jget status)" succeeded "its run succeeded"
is "$(jget rover)" "$ROVER" "on the rover enrolled over HTTPS"
ok "its diff" ufo run diff "$(jget id)"
like "$out" '^\+hello over TLS' "the diff came over HTTPS"

# The CA file went away: every request of the rover is refused, and says so.
mv "$CA" "$PKI/ca.moved"
ok "another operation" ufo op create -t "No CA" -a pilot:claude "x"
background "$T/rover" "$UFO_ROVER_BIN" run --once
check "without its CA file the rover says why" wait_for 30 grep -q \
    "cannot use the CA file $CA" "$T/rover.err"
kill "$BG_PID" 2>/dev/null
mv "$PKI/ca.moved" "$CA"

# --- Bad settings ------------------------------------------------------------

# bad NAME WHAT LINE...: ufod with these ufo.conf lines exits 1 and its
# message names WHAT.
bad()
{
	_n=$1
	_what=$2
	shift 2
	printf '%s\n' "listen = 127.0.0.1:$PORT" "$@" >"$T/bad.conf"
	run timeout 30 "$UFOD_BIN" -f -c "$T/bad.conf" -s "$HOME/run/bad.sock" \
	    -D "$HOME/bad.db"
	is "$rc" 1 "$_n: ufod refuses to start"
	like "$err" "$_what" "$_n: the message names $_what"
	check "$_n: nothing listens on its socket" test ! -S "$HOME/run/bad.sock"
}

bad "tls_cert alone" "tls_cert $PKI/server.pem is set but tls_key is not" \
    "tls_cert = $PKI/server.pem"
bad "tls_key alone" "tls_key $PKI/server.key is set but tls_cert is not" \
    "tls_key = $PKI/server.key"
bad "a missing certificate" "tls_cert $PKI/none.pem: No such file" \
    "tls_cert = $PKI/none.pem" "tls_key = $PKI/server.key"
bad "a missing key" "tls_key $PKI/none.key: No such file" \
    "tls_cert = $PKI/server.pem" "tls_key = $PKI/none.key"
chmod 000 "$PKI/elsewhere.key"
if [ "$(id -u)" -ne 0 ]; then
	bad "an unreadable key" "tls_key $PKI/elsewhere.key: Permission denied" \
	    "tls_cert = $PKI/elsewhere.pem" "tls_key = $PKI/elsewhere.key"
else
	skip "root reads any file" 3
fi
chmod 600 "$PKI/elsewhere.key"
printf 'not a certificate\n' >"$PKI/junk.pem"
bad "a certificate that is not PEM" "tls_cert $PKI/junk.pem: not a PEM" \
    "tls_cert = $PKI/junk.pem" "tls_key = $PKI/server.key"
bad "a key that is a certificate" "tls_key $PKI/server.pem: not an" \
    "tls_cert = $PKI/server.pem" "tls_key = $PKI/server.pem"
bad "the key of another certificate" \
    "tls_key $PKI/elsewhere.key is not the key of the certificate in tls_cert $PKI/server.pem" \
    "tls_cert = $PKI/server.pem" "tls_key = $PKI/elsewhere.key"
bad "a directory" "tls_cert $PKI: is a directory" \
    "tls_cert = $PKI" "tls_key = $PKI/server.key"

# --- Plain HTTP --------------------------------------------------------------

stop_ufod
PLAIN=$(free_port) || bail_out "no free TCP port"
printf 'listen = 127.0.0.1:%s\n' "$PLAIN" >"$CONF"
: >"$UFOD_LOG"
start_ufod || bail_out "ufod did not start with a plain listener"
check "plain HTTP on loopback answers" wait_for 10 curl -sf --max-time 2 \
    "http://127.0.0.1:$PLAIN/api/v1/health"
check "plain HTTP on loopback is said in the log" grep -q \
    "listening on 127.0.0.1:$PLAIN (plain HTTP, loopback only)" "$UFOD_LOG"
unlike "$(cat "$UFOD_LOG")" 'warning' "and is no warning"
api GET /server >/dev/null
is "$(jget tls)" false "GET /server: tls is false"
ok "ufo server status" ufo server status
like "$out" "listen: +127\\.0\\.0\\.1:$PLAIN \\(plain HTTP\\)" \
    "it says the listener is plain HTTP"
printf 'listen = 0.0.0.0:%s\n' "$PLAIN" >"$CONF"
kill -HUP "$UFOD_PID"
check "SIGHUP to 0.0.0.0: plain HTTP is warned of" wait_for 30 grep -q \
    "warning\]: listening on 0.0.0.0:$PLAIN with plain HTTP on a non-loopback address" \
    "$UFOD_LOG"
stop_ufod
: >"$UFOD_LOG"
start_ufod || bail_out "ufod did not start on 0.0.0.0"
check "at start too, on its standard error" grep -q \
    "warning\]: listening on 0.0.0.0:$PLAIN with plain HTTP" "$UFOD_LOG"
check "it serves all the same" wait_for 10 curl -sf --max-time 2 \
    "http://127.0.0.1:$PLAIN/api/v1/health"

done_testing
