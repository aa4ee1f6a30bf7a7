#!/bin/sh
# The authorization matrix. It walks ufod's route table (tests/routes
# prints it), so a new route is covered as soon as it is added:
#  - no token: 401, unless the route is public;
#  - a rover's token on a user route: 401, 403 or 404, never an answer;
#  - a user's token on a rover route: refused;
#  - the owner of another fleet with this fleet's real ids: 404;
#  - below the role the route needs: 403; at or above it: neither 401
#    nor 403.
# Path parameters are filled from a table of real ids by {name}; a route
# whose parameter has no entry fails, so a new one must be added here.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
lib_need_binaries

ROUTES_BIN=${ROUTES_BIN:-$top_builddir/tests/routes}
[ -x "$ROUTES_BIN" ] || bail_out "no $ROUTES_BIN (run make check)"
"$ROUTES_BIN" >"$T/routes" || bail_out "tests/routes failed"

start_ufod_tcp

# --- The cast: owner, admin and member of fleet A (the default), and the
# owner of fleet B, who is in no way part of A -------------------------------

# accept CODE EMAIL: accepts an invitation; the token in $body.
accept()
{
	api POST /invitations/accept "{\"code\":\"$1\",\"email\":\"$2\",
	    \"password\":\"password-$2\"}" >/dev/null
	[ "$status" = 201 ] || bail_out "accepting as $2: $status $body"
}

# invite EMAIL ROLE [FLEET]: an invitation's code in $code, its id in $inv.
invite()
{
	_req="{\"email\":\"$1\",\"role\":\"$2\"}"
	if [ -n "${3:-}" ]; then
		api -H "Ufo-Fleet: $3" POST /invitations "$_req" >/dev/null
	else
		api POST /invitations "$_req" >/dev/null
	fi
	[ "$status" = 201 ] || bail_out "inviting $1: $status $body"
	code=$(jget code)
	inv=$(jget id)
}

ok "the local owner makes a token" ufo --json token create authz
OWNER_TOK=$(jget token "$out")
TOKEN_ID=$(jget id "$out")
api GET /fleets >/dev/null
FLEET_ID=$(jget items.0.id)

invite admin@authz.test admin
accept "$code" admin@authz.test
ADMIN_TOK=$(jget token)
ADMIN_ID=$(api GET /members >/dev/null; jget 'items.*' |
    grep '"admin@authz.test"' | sed 's/.*"id":"\([^"]*\)".*/\1/')
invite member@authz.test member
accept "$code" member@authz.test
MEMBER_TOK=$(jget token)

api POST /fleets '{"name":"bee"}' >/dev/null
is "$status" 201 "fleet B is made"
invite other@authz.test owner bee
accept "$code" other@authz.test
OTHER_TOK=$(jget token)
API_URL=http://127.0.0.1:$PORT api -H "Authorization: Bearer $OTHER_TOK" \
    GET /fleets >/dev/null
is "$(jget items.#) $(jget items.0.name)" "1 bee" \
    "the owner of B belongs to B alone"

# --- One of each thing in fleet A --------------------------------------------

invite pending@authz.test member
INVITATION_ID=$inv
api POST /missions '{"key":"AZ","name":"Authz"}' >/dev/null
MISSION_ID=$(jget id)
ok "an operation" ufo --json op create -m AZ -t "One" "body"
OP_ID=$(jget id "$out")
ok "another operation" ufo --json op create -m AZ -t "Two" "body"
OP2_ID=$(jget id "$out")
ok "a comment" ufo op comment "$OP_ID" "a comment"
api POST "/operations/$OP_ID/relations" "{\"kind\":\"relates\",
    \"to\":\"$OP2_ID\"}" >/dev/null
RELATION_ID=$(jget id)
api GET /pilots/shell >/dev/null
PILOT_ID=$(jget id)
# No rover runs codex: the run waits and a no_rover signal is raised.
ok "an operation for a pilot" ufo --json op create -m AZ -t "Three" \
    -a pilot:codex "body"
last_run "$(jget id "$out")"
RUN_ID=$(jget id)
api GET /signals >/dev/null
SIGNAL_ID=$(jget items.0.id)
api POST /rover-codes '{}' >/dev/null
api -H "Ufo-Rover-Protocol: 1" POST /rover/enroll "{\"code\":\"$(jget code)\",
    \"name\":\"authz-rover\",\"auto_tags\":[\"pilot:codex\"]}" >/dev/null
ROVER_ID=$(jget rover.id)
ROVER_TOK=$(jget token)
# The rover takes the run, leaves a diff and fails it: a run_failed signal.
rover_api "$ROVER_TOK" POST /rover/claim '{"wait":0,
    "auto_tags":["pilot:codex"],"free_units":1}' >/dev/null
is "$(jget run.id)" "$RUN_ID" "the rover claims the run"
is "$(header Cache-Control)" "" "an answer without credentials may be stored"
rover_api "$ROVER_TOK" POST "/rover/runs/$RUN_ID/start" '{"attempt":1}' \
    >/dev/null
printf 'diff --git a/x b/x\n' >"$T/git.diff"
rover_api "$ROVER_TOK" -T text/x-diff POST \
    "/rover/runs/$RUN_ID/artifacts/git.diff?attempt=1" "@$T/git.diff" \
    >/dev/null
is "$status" 201 "the run has a diff"
rover_api "$ROVER_TOK" POST "/rover/runs/$RUN_ID/finish" '{"attempt":1,
    "status":"failed","exit_code":1,"error":"no"}' >/dev/null
is "$status $(jget status)" "200 failed" "the run failed"
CREDENTIAL=authzcred
api PUT "/credentials/$CREDENTIAL" '{"env":"AUTHZ_CRED",
    "value":"authz-secret-value"}' >/dev/null
is "$status" 201 "a credential"
# A claim hands its rover the credentials its pilot names, in an answer
# not to be stored on the way.
ok "a pilot naming the credential" ufo pilot create authz-keyed \
    --kind codex --cred "$CREDENTIAL"
ok "an operation for it" ufo --json op create -m AZ -t "Keyed" \
    -a pilot:authz-keyed "body"
last_run "$(jget id "$out")"
KEYED_RUN=$(jget id)
rover_api "$ROVER_TOK" POST /rover/claim '{"wait":0,
    "auto_tags":["pilot:codex"],"free_units":1}' >/dev/null
is "$(jget run.id)" "$KEYED_RUN" "the rover claims the run of that pilot"
is "$(jget run.credentials.AUTHZ_CRED)" authz-secret-value \
    "the answer holds the credential's value"
is "$(jget run.operation.title)" Keyed "and the rest of the run"
is "$(header Cache-Control)" no-store "in an answer not to be stored"
rover_api "$ROVER_TOK" POST "/rover/runs/$KEYED_RUN/finish" '{"attempt":1,
    "status":"succeeded","exit_code":0}' >/dev/null
is "$status $(jget status)" "200 succeeded" "the keyed run is done"
api POST /ssh-hosts '{"user":"nobody","host":"127.0.0.1","port":1,
    "name":"nowhere"}' >/dev/null
HOST_ID=$(jget id)

for v in FLEET_ID ADMIN_ID INVITATION_ID MISSION_ID OP_ID RELATION_ID \
    PILOT_ID TOKEN_ID RUN_ID ROVER_ID HOST_ID SIGNAL_ID OWNER_TOK \
    ADMIN_TOK MEMBER_TOK OTHER_TOK ROVER_TOK; do
	eval "val=\${$v:-}"
	case $val in
	''|null) bail_out "setting up: no $v" ;;
	esac
done

# --- Walking the table -------------------------------------------------------

# param NAME MODE: the id a {NAME} stands for; MODE "bogus" gives one that
# names nothing (the role gate is before the lookup). Fails when none.
param()
{
	case $1 in
	fleet) echo "$FLEET_ID"; return 0 ;;
	name) echo git.diff; return 0 ;;
	user) _v=$ADMIN_ID ;;
	invitation) _v=$INVITATION_ID ;;
	mission) _v=$MISSION_ID ;;
	op) _v=$OP_ID ;;
	relation) _v=$RELATION_ID ;;
	pilot) _v=$PILOT_ID ;;
	token) _v=$TOKEN_ID ;;
	run) _v=$RUN_ID ;;
	rover) _v=$ROVER_ID ;;
	host) _v=$HOST_ID ;;
	signal) _v=$SIGNAL_ID ;;
	credential) _v=$CREDENTIAL ;;
	*) return 1 ;;
	esac
	if [ "$2" = bogus ]; then
		echo "${_v%%_*}_authzmissing00000000"
	else
		echo "$_v"
	fi
}

# fill PATTERN MODE: the path with every {param} filled.
fill()
{
	_path=
	_rest=${1#/}
	while [ -n "$_rest" ]; do
		_seg=${_rest%%/*}
		case $_rest in
		*/*) _rest=${_rest#*/} ;;
		*) _rest= ;;
		esac
		case $_seg in
		\{*\})
			_name=${_seg#\{}
			_name=${_name%\}}
			_seg=$(param "$_name" "$2") || return 1
			;;
		esac
		_path=$_path/$_seg
	done
	echo "$_path"
}

# call TOKEN METHOD PATH [BODY] [ROVER]: over TCP, status in $status.
call()
{
	_tok=$1
	_m=$2
	_p=$3
	_b=${4:-}
	_rv=${5:-}
	set --
	[ -n "$_tok" ] && set -- -H "Authorization: Bearer $_tok"
	[ -n "$_rv" ] && set -- "$@" -H "Ufo-Rover-Protocol: 1"
	if [ -n "$_b" ]; then
		api "$@" "$_m" "$_p" "$_b" >/dev/null
	else
		api "$@" "$_m" "$_p" >/dev/null
	fi
}

API_URL=http://127.0.0.1:$PORT
nroutes=0
AT_OR_ABOVE=

while read -r method pattern flags; do
	nroutes=$((nroutes + 1))
	r="$method $pattern"
	case ",$flags," in
	*,unknown,*) fail "$r: a route flag tests/routes does not know"
		continue ;;
	esac
	public=; rover=; role=member
	case ",$flags," in *,public,*) public=1 ;; esac
	case ",$flags," in *,rover,*) rover=1 ;; esac
	case ",$flags," in *,admin,*) role=admin ;; esac
	case ",$flags," in *,owner,*) role=owner ;; esac
	case ",$flags," in *,server,*) role=server ;; esac
	if ! path=$(fill "$pattern" real); then
		fail "$r: a path parameter has no id in t-authz.sh's table"
		continue
	fi
	req=
	case $method in POST|PATCH|PUT) req='{"authz":true}' ;; esac

	call "" "$method" "$path" "$req" "$rover"
	if [ -n "$public" ]; then
		isnt "$status" 401 "$r: public, answers without a token"
		continue
	fi
	is "$status" 401 "$r: no token is 401"

	if [ -n "$rover" ]; then
		call "$OWNER_TOK" "$method" "$path" "$req" 1
		like "$status" '^40[13]$' "$r: a user's token is refused"
		continue
	fi
	call "$ROVER_TOK" "$method" "$path" "$req"
	like "$status" '^40[134]$' "$r: a rover's token is refused"

	case $pattern in
	*\{*)
		# The ids are real: the fleet's owner sees what they name.
		if [ "$method" = GET ]; then
			call "$OWNER_TOK" GET "$path"
			is "$status" 200 "$r: the ids of the table are real"
		fi
		if [ "$method" = PUT ]; then
			# Set by name: a name is looked up in the caller's own
			# fleet, so another fleet's owner cannot reach this one.
			call "$OWNER_TOK" GET "${path%/*}"
			_before=$body
			call "$OTHER_TOK" "$method" "$path" '{}'
			unlike "$status" '^[25]' \
			    "$r: another fleet's owner changes nothing ($status)"
			call "$OWNER_TOK" GET "${path%/*}"
			is "$body" "$_before" "$r: the fleet's list is the same"
		else
			call "$OTHER_TOK" "$method" "$path" '{}'
			is "$status" 404 "$r: another fleet's owner gets 404"
		fi
		;;
	esac

	case $role in
	admin) below=$MEMBER_TOK; who=member ;;
	owner|server) below=$ADMIN_TOK; who=admin ;;
	*) below= ;;
	esac
	if [ -n "$below" ]; then
		call "$below" "$method" "$path" "$req"
		is "$status" 403 "$r: a $who gets 403 (needs $role)"
		is "$(jget error.code)" forbidden "$r: the code is forbidden"
	fi
	if [ "$role" != member ] && [ "$role" != admin ]; then
		call "$MEMBER_TOK" "$method" "$path" "$req"
		is "$status" 403 "$r: a member gets 403 (needs $role)"
	fi
	# Owning some fleet is not owning the server.
	if [ "$role" = server ]; then
		call "$OTHER_TOK" "$method" "$path" "$req"
		is "$status" 403 "$r: another fleet's owner gets 403"
	fi
	AT_OR_ABOVE="$AT_OR_ABOVE $method|$pattern|$role"
done <"$T/routes"

cmp=$(grep -c . "$T/routes")
is "$nroutes" "$cmp" "every route of the table was walked"
check "the table has the account routes" grep -q \
    '^DELETE /fleets/{fleet} owner$' "$T/routes"

# At or above the role, last: these may change things. Ids name nothing
# (but the fleet's, which the server resolves first), so nothing is lost.
for entry in $AT_OR_ABOVE; do
	method=${entry%%|*}
	role=${entry##*|}
	pattern=${entry#*|}
	pattern=${pattern%|*}
	[ "$method $pattern" = "POST /server/shutdown" ] && continue
	path=$(fill "$pattern" bogus)
	body=
	case $method in POST|PATCH|PUT) body='{"authz":true}' ;; esac
	case $role in
	member) tok=$MEMBER_TOK ;;
	admin) tok=$ADMIN_TOK ;;
	*) tok=$OWNER_TOK ;;
	esac
	call "$tok" "$method" "$path" "$body"
	unlike "$status" '^(401|403|000)$' \
	    "$method $pattern: at its role ($role) it passes ($status)"
done

call "$OWNER_TOK" POST /server/shutdown
is "$status" 202 \
    "POST /server/shutdown: the owner of the default fleet stops ufod"
check "ufod exits" wait_exit "$UFOD_PID" 30

done_testing
