#!/bin/sh
# Throwaway users for the sudo/su tests (ctest fixture "users"):
#   tt_alice: may become tt_bob with her own password (sudoers drop-in)
#   tt_bob:   may become nobody through sudo; su target with a password
#   tt_carol: not in sudoers at all
# and /etc/doas.conf for the doas tests (any existing file is kept aside in
# /etc/doas.conf.tether-saved and put back by cleanup):
#   root may become anyone without a password; tt_alice may become tt_bob
#   with her own password; tt_bob may become tt_alice without one; tt_carol
#   has no rule.
# Usage: tt-users.sh setup | cleanup. Needs root; without it, does nothing
# (the tests then report SKIPPED, or fail under CI=true).
set -eu
users="tt_alice tt_bob tt_carol"
dropin=/etc/sudoers.d/tether-tests
doas_conf=/etc/doas.conf
doas_saved=/etc/doas.conf.tether-saved
doas_mark="# Written by tether's tests"

if [ "$(id -u)" != 0 ]; then
    echo "tt-users: not root, no test users" >&2
    exit 0
fi

case "${1:-}" in
setup)
    for u in $users; do
        if ! id "$u" >/dev/null 2>&1; then
            useradd --create-home --shell /bin/sh "$u"
        fi
        echo "$u:pw-$u" | chpasswd
    done
    umask 0227
    cat >"$dropin.tmp" <<'SUDOERS'
# Written by tether's tests (tests/support/tt-users.sh); removed after them.
Defaults:tt_alice, tt_bob, tt_carol timestamp_timeout=0, passwd_tries=3
tt_alice ALL=(tt_bob) ALL
SUDOERS
    visudo -c -q -f "$dropin.tmp"
    mv "$dropin.tmp" "$dropin"
    # Keep a file of the machine's own aside, once (not one of ours).
    if [ -e "$doas_conf" ] && [ ! -e "$doas_saved" ] &&
        ! grep -q "^$doas_mark" "$doas_conf"; then
        cp -p "$doas_conf" "$doas_saved"
    fi
    umask 0077
    cat >"$doas_conf.tmp" <<DOAS
$doas_mark (tests/support/tt-users.sh); put back after them.
permit nopass root
permit tt_alice as tt_bob
permit nopass tt_bob as tt_alice
DOAS
    if command -v doas >/dev/null 2>&1; then
        doas -C "$doas_conf.tmp" true >/dev/null
    fi
    mv "$doas_conf.tmp" "$doas_conf"
    ;;
cleanup)
    rm -f "$dropin" "$dropin.tmp" "$doas_conf.tmp"
    if [ -e "$doas_saved" ]; then
        mv "$doas_saved" "$doas_conf"
    elif [ -e "$doas_conf" ] && grep -q "^$doas_mark" "$doas_conf"; then
        rm -f "$doas_conf"
    fi
    for u in $users; do
        if id "$u" >/dev/null 2>&1; then
            pkill -KILL -u "$u" 2>/dev/null || true
            userdel --remove "$u" 2>/dev/null || userdel "$u"
        fi
    done
    ;;
*)
    echo "usage: $0 setup|cleanup" >&2
    exit 2
    ;;
esac
