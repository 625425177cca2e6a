#!/bin/sh
# Throwaway users for the sudo/su tests (ctest fixture "users"):
#   tt_alice: may become tt_bob with her own password (sudoers drop-in)
#   tt_bob:   may become nobody through sudo; su target with a password
#   tt_carol: not in sudoers at all
# Usage: tt-users.sh setup | cleanup. Needs root; without it, does nothing
# (the tests then report SKIPPED, or fail under CI=true).
set -eu
users="tt_alice tt_bob tt_carol"
dropin=/etc/sudoers.d/tether-tests

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
    ;;
cleanup)
    rm -f "$dropin" "$dropin.tmp"
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
