#!/bin/sh
# The Unix socket answers only its owner: ufod checks the peer's uid
# (SO_PEERCRED), so even a socket opened to everyone refuses other users.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

# The socket's directory is made private, whoever runs the test.
run "$UFOD_BIN" -d -s "$HOME/fresh/dir/ufod.sock" -D "$HOME/fresh.db"
is "$rc" 0 "ufod -d on a socket in a new directory"
is "$(stat -c %a "$HOME/fresh/dir" 2>/dev/null)" 700 \
    "the socket's directory is created 0700"
curl -s --max-time 5 --unix-socket "$HOME/fresh/dir/ufod.sock" -X POST \
    http://localhost/api/v1/server/shutdown >/dev/null 2>&1

[ "$(id -u)" -eq 0 ] || { skip "needs root to act as another user" 6;
    done_testing; }
if command -v setpriv >/dev/null 2>&1; then
	as_nobody()
	{
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
	}
elif command -v su >/dev/null 2>&1; then
	as_nobody()
	{
		_cmd=
		for _a in "$@"; do
			_cmd="$_cmd '$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
		done
		su -s /bin/sh nobody -c "$_cmd"
	}
else
	skip "neither setpriv nor su is available" 6
	done_testing
fi

start_ufod || bail_out "ufod did not start"
# Open the way to the socket for everyone; only the uid check remains.
chmod 711 "$HOME" "$HOME/run"
chmod 777 "$SOCK"
is "$(as_nobody id -u 2>/dev/null)" 65534 "running as uid 65534"

mkdir -p "$HOME/shared"
chmod 1777 "$HOME/shared"
code=$(as_nobody curl -s -o "$HOME/shared/out" -w '%{http_code}' \
    --max-time 10 --unix-socket "$SOCK" \
    http://localhost/api/v1/operations 2>/dev/null)
resp=$(cat "$HOME/shared/out" 2>/dev/null)
[ -n "$code" ] || code="(no answer)"
is "$code" 403 "another user gets 403 on the socket"
like "$resp" '"forbidden"' "with the error code forbidden"
code=$(as_nobody curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
    --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
    -d '{"title":"intruder"}' http://localhost/api/v1/operations 2>/dev/null)
is "$code" 403 "another user cannot create"

api GET /operations >/dev/null
is "$status" 200 "the owner gets 200"
is "$(jget items.#)" 0 "and nothing was created by the other user"

done_testing
