#!/usr/bin/env bash
# Hosts made from network namespaces, for running mpirun across "machines"
# on one machine (root only). Every host is a namespace named ringc-h<ID>-<i>
# with its own hostname (a UTS namespace per command) and an eth0 at
# 10.213.0.<i+1>/24 on a bridge that lives in a namespace of its own,
# ringc-h<ID>-sw, so nothing outside the namespaces is touched and runs with
# different IDs do not meet.
#
# TCP in the hosts gives up on a peer that stops answering after about 3 s
# (net.ipv4.tcp_retries2 = 3, per namespace) instead of Linux's 15 minutes:
# mpirun learns that a host is gone only from TCP, so with the default it
# would outlive the ranks of a job across a cut link by that long.
#
#   netns-hosts.sh up ID N        create hosts ringc-h<ID>-0 … ringc-h<ID>-<N-1>
#   netns-hosts.sh down ID        end their processes and remove them all
#   netns-hosts.sh exec HOST CMD… run CMD on HOST
#   netns-hosts.sh rsh HOST CMD…  the same with CMD as one shell command line:
#                                 mpirun's launch agent (--mca plm_rsh_agent)
#   netns-hosts.sh cut HOST       take HOST's link down (a cut cable)
#   netns-hosts.sh bytes HOST     bytes HOST's link has carried, both ways
set -euo pipefail

subnet=10.213.0
prefix=ringc-h

namespaces() { ip netns list | awk '{print $1}' | grep -x -- "$prefix$1-.*" || true; }

down() {
  local ns
  for ns in $(namespaces "$1"); do
    # Ending the processes first: a namespace whose name is gone lives on
    # while a process holds it.
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns"
  done
}

up() {
  local id=$1 n=$2 i host switch=$prefix$1-sw
  [ -z "$(namespaces "$id")" ] || { echo "netns-hosts: hosts $prefix$id-* exist already" >&2; exit 1; }
  # A half-made set is removed, whatever stopped it.
  trap 'down "$id"' ERR INT TERM
  ip netns add "$switch"
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  for ((i = 0; i < n; i++)); do
    host=$prefix$id-$i
    ip netns add "$host"
    ip netns exec "$host" sysctl -qw net.ipv4.tcp_retries2=3
    ip -n "$switch" link add "p$i" type veth peer name eth0 netns "$host"
    ip -n "$switch" link set "p$i" master br0 up
    ip -n "$host" addr add "$subnet.$((i + 1))/24" dev eth0
    ip -n "$host" link set eth0 up
    ip -n "$host" link set lo up
  done
  trap - ERR INT TERM
}

# The command runs with HOST as its hostname, as on a machine of that name.
on() {
  local host=$1
  shift
  exec ip netns exec "$host" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$host" "$@"
}

case "${1:-}" in
  up) up "$2" "$3" ;;
  down) down "$2" ;;
  exec) shift && on "$@" ;;
  rsh) host=$2 && shift 2 && on "$host" sh -c "$*" ;;
  cut) ip -n "$2" link set eth0 down ;;
  bytes) ip netns exec "$2" cat /sys/class/net/eth0/statistics/rx_bytes /sys/class/net/eth0/statistics/tx_bytes |
    awk '{ n += $1 } END { print n }' ;;
  *)
    echo "usage: netns-hosts.sh up ID N | down ID | exec HOST CMD... | rsh HOST CMD... | cut HOST | bytes HOST" >&2
    exit 64
    ;;
esac
