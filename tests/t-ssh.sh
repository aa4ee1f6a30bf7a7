#!/bin/sh
# SSH reach: ufod's own key (ufo ssh-key).
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

stop_ufod
echo garbage >"$KEY"
start_ufod -D "$DB" || bail_out "ufod did not restart"
fails 1 "a damaged key" ufo ssh-key
like "$err" "is not an unencrypted OpenSSH Ed25519 key" "the error names it"
like "$err" "ssh_ed25519" "and the file"
stop_ufod

done_testing
