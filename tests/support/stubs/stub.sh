# The shared body of the stand-in tools (docker, kubectl, lxc), sourced by
# each after it sets `tool` and `not_found`. What it checks and does:
# tests/support/stub_tool.hpp. Expectations sit beside the link in $0.
here=${0%/*}
all=$(printf '%s ' "$@" | head -c 200)
n=0
while IFS= read -r want; do
    n=$((n + 1))
    if [ $# -eq 0 ] || [ "$1" != "$want" ]; then
        echo "stub $tool: argument $n is '${1-(none)}', expected '$want'; argv: $all" >&2
        exit 99
    fi
    shift
done <"$here/expect"
if [ "${1-}" != /bin/sh ] || [ "${2-}" != -c ]; then
    echo "stub $tool: no '/bin/sh -c' after the tool's own arguments; argv: $all" >&2
    exit 99
fi
read -r target <"$here/target"
grep -qxF -e "$target" "$here/exists" || not_found "$target"
read -r root <"$here/root"
# A container's process starts with the container's environment, not ours.
exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root /usr/sbin/chroot "$root" "$@"
