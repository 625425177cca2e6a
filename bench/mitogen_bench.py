#!/usr/bin/python3
"""The Mitogen side of bench/compare: the same figures tether_bench measures,
done the way a Mitogen user would do them (Debian's python3-mitogen, run by
/usr/bin/python3 in a clean environment). Prints one JSON object on stdout
whose "figures" use the same keys as tether_bench's (docs/benchmarks.md).

    mitogen_bench.py [--quick]

SSH figures need TETHER_BENCH_SSH_{USER,PORT,KEY,KNOWN_HOSTS} (bench/compare
sets them for its throwaway sshd); sudo figures need root. Nothing is
asserted: a wrong result or an error exits 1.
"""

import concurrent.futures
import json
import os
import statistics
import sys
import time

import mitogen.core
import mitogen.master
import mitogen.select

PAYLOAD_BYTES = 16 << 20


# ---- functions the children run ---------------------------------------------

def add(a, b):
    return a + b


def child_pid():
    return os.getpid()


def take_blob(blob):
    return len(blob)


_cached_payload = None


def make_blob(size):
    # Built once per child (warm-up call), as tether_bench's make_blob does.
    global _cached_payload
    if _cached_payload is None or len(_cached_payload) != size:
        _cached_payload = b'r' * size
    return _cached_payload


# ---- harness ------------------------------------------------------------------

def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def median(values):
    return statistics.median(values) if values else None


def check(ok, what):
    if not ok:
        raise RuntimeError('wrong result: ' + what)


def ms_since(t0):
    return (time.perf_counter() - t0) * 1e3


class Config:
    def __init__(self, quick):
        self.local_starts = 3 if quick else 15
        self.sudo_starts = 2 if quick else 10
        self.ssh_starts = 2 if quick else 10
        self.round_trips = 200 if quick else 4000
        self.ssh_round_trips = 100 if quick else 1000
        self.pipelined_calls = 2000 if quick else 20000
        self.pipelined_reps = 1 if quick else 3
        self.payload_reps = 1 if quick else 5
        self.fanout_calls = 500
        self.fanout_reps = 1 if quick else 5
        self.start8_reps = 1 if quick else 5
        self.scale_contexts = 10 if quick else 200


def bench_start(reps, start):
    """start() + first add(): a context that has answered; then shutdown(wait)."""
    start_ms, shutdown_ms = [], []
    for i in range(reps + 1):
        t0 = time.perf_counter()
        ctx = start()
        check(ctx.call(add, 1, 2) == 3, 'start: add(1, 2)')
        t1 = time.perf_counter()
        ctx.shutdown(wait=True)
        t2 = time.perf_counter()
        if i > 0:  # the first warms up
            start_ms.append((t1 - t0) * 1e3)
            shutdown_ms.append((t2 - t1) * 1e3)
    return start_ms, shutdown_ms


def bench_round_trip(ctx, n):
    for i in range(200):
        ctx.call(add, i, 1)
    us = []
    for i in range(n):
        t0 = time.perf_counter()
        v = ctx.call(add, i, 1)
        us.append((time.perf_counter() - t0) * 1e6)
        check(v == i + 1, 'round trip: add(i, 1)')
    return us


def bench_pipelined(ctx, calls, reps):
    rates = []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        receivers = [ctx.call_async(add, i, 2) for i in range(calls)]
        wrong = 0
        for i, r in enumerate(receivers):
            wrong += r.get().unpickle() != i + 2
        s = time.perf_counter() - t0
        check(wrong == 0, 'pipelined: add(i, 2)')
        if rep > 0:
            rates.append(calls / s)
    return rates


def bench_payload(ctx, reps):
    blob = b'a' * PAYLOAD_BYTES
    mb = PAYLOAD_BYTES / 1e6
    arg, ret = [], []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        check(ctx.call(take_blob, blob) == PAYLOAD_BYTES, 'payload: take_blob size')
        if rep > 0:
            arg.append(mb / (time.perf_counter() - t0))
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        back = ctx.call(make_blob, PAYLOAD_BYTES)
        s = time.perf_counter() - t0
        check(len(back) == PAYLOAD_BYTES and back[-1:] == b'r', 'payload: make_blob bytes')
        if rep > 0:
            ret.append(mb / s)
    return arg, ret


def fan_out(contexts, calls):
    """`calls` add() per context, round-robin, all through one Select."""
    receivers = []
    for i in range(calls):
        for c, ctx in enumerate(contexts):
            receivers.append(ctx.call_async(add, i, c))
    total = 0
    got = 0
    for msg in mitogen.select.Select(receivers, oneshot=True):
        total += msg.unpickle()
        got += 1
    n, k = calls, len(contexts)
    check(got == n * k and total == k * (n * (n - 1) // 2) + n * (k * (k - 1) // 2),
          'fan-out: results')


# How many router.local() calls run at once. Mitogen's connect blocks its
# caller, so starting many contexts takes threads; with one per context, 200
# starts on 2 vCPUs pass Mitogen's 30 s connect timeout. 16 was its fastest
# here (60 contexts: 16.2 s; 4 threads 17.0 s; one at a time 18.1 s).
START_THREADS = 16


def start_many(router, n):
    """n local contexts started together (tether: Router::start_all)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(n, START_THREADS)) as pool:
        return list(pool.map(lambda _: router.local(), range(n)))


def shutdown_all(contexts):
    latches = [ctx.shutdown() for ctx in contexts]
    for latch in latches:
        latch.get()


def bench_start_many(router, n, reps):
    """n contexts started at once, each answering one add(); then shut down."""
    out = []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        contexts = start_many(router, n)
        fan_out(contexts, 1)
        ms = ms_since(t0)
        shutdown_all(contexts)
        if rep > 0:
            out.append(ms)
    return out


def bench_scale(router, n):
    t0 = time.perf_counter()
    contexts = start_many(router, n)
    t1 = time.perf_counter()
    fan_out(contexts, 1)
    t2 = time.perf_counter()
    shutdown_all(contexts)
    t3 = time.perf_counter()
    return {
        'contexts': n,
        'start_ms': (t1 - t0) * 1e3,
        'fanout_ms': (t2 - t1) * 1e3,
        'shutdown_ms': (t3 - t2) * 1e3,
        'total_ms': (t3 - t0) * 1e3,
    }


def ssh_settings():
    env = os.environ
    keys = ('TETHER_BENCH_SSH_USER', 'TETHER_BENCH_SSH_PORT', 'TETHER_BENCH_SSH_KEY',
            'TETHER_BENCH_SSH_KNOWN_HOSTS')
    if not all(env.get(k) for k in keys):
        return None
    return dict(hostname='127.0.0.1', username=env['TETHER_BENCH_SSH_USER'],
                port=int(env['TETHER_BENCH_SSH_PORT']), identity_file=env['TETHER_BENCH_SSH_KEY'],
                check_host_keys='enforce', python_path='/usr/bin/python3',
                ssh_args=['-o', 'UserKnownHostsFile=' + env['TETHER_BENCH_SSH_KNOWN_HOSTS']])


def run(cfg):
    started = time.perf_counter()
    figures = {}
    samples = {}

    def record(key, values):
        samples[key] = values
        figures[key] = median(values)

    broker = mitogen.master.Broker()
    router = mitogen.master.Router(broker)
    try:
        start_ms, _ = bench_start(cfg.local_starts, router.local)
        record('local_start_ms', start_ms)
        # Mitogen's fork() forks this (master) process itself.
        fork_ms, _ = bench_start(cfg.local_starts, router.fork)
        record('fork_start_ms', fork_ms)

        if os.geteuid() == 0 and os.access('/usr/bin/sudo', os.X_OK):
            sudo_ms, _ = bench_start(cfg.sudo_starts,
                                     lambda: router.sudo(username='nobody',
                                                         python_path='/usr/bin/python3'))
            record('sudo_start_ms', sudo_ms)

        ssh = ssh_settings()
        if ssh is not None:
            # Mitogen ships its bootstrap on every start and caches nothing on
            # the target: its first start and its later starts are the same.
            ssh_ms, _ = bench_start(cfg.ssh_starts, lambda: router.ssh(**ssh))
            record('ssh_first_start_ms', ssh_ms)
            record('ssh_cached_start_ms', ssh_ms)
            ctx = router.ssh(**ssh)
            record('round_trip_ssh_us', bench_round_trip(ctx, cfg.ssh_round_trips))
            ctx.shutdown(wait=True)

        one = router.local()
        record('round_trip_local_us', bench_round_trip(one, cfg.round_trips))
        record('pipelined_calls_per_s',
               bench_pipelined(one, cfg.pipelined_calls, cfg.pipelined_reps))
        arg, ret = bench_payload(one, cfg.payload_reps)
        record('payload_arg_mb_per_s', arg)
        record('payload_ret_mb_per_s', ret)
        one.shutdown(wait=True)

        contexts = [router.local() for _ in range(8)]
        # A fresh child after one call: its baseline footprint.
        record('child_rss_kib', [rss_kib(ctx.call(child_pid)) for ctx in contexts])
        fanout = []
        for rep in range(cfg.fanout_reps + 1):
            t0 = time.perf_counter()
            fan_out(contexts, cfg.fanout_calls)
            if rep > 0:
                fanout.append(ms_since(t0))
        record('fanout_8x500_ms', fanout)
        record('master_rss_kib', [rss_kib(os.getpid())])
        shutdown_all(contexts)

        record('start_8_ms', bench_start_many(router, 8, cfg.start8_reps))
        scale = bench_scale(router, cfg.scale_contexts)
        samples['scale'] = scale
        figures['scale_total_ms'] = scale['total_ms']
    finally:
        broker.shutdown()
        broker.join()

    return {
        'benchmark': 'mitogen_bench',
        'mitogen_version': '.'.join(str(v) for v in mitogen.__version__),
        'python': sys.version.split()[0],
        'mode': 'quick' if cfg.quick else 'full',
        'figures': figures,
        'samples': samples,
        'elapsed_s': time.perf_counter() - started,
    }


def main():
    quick = '--quick' in sys.argv[1:]
    cfg = Config(quick)
    cfg.quick = quick
    try:
        result = run(cfg)
    except Exception as e:  # a measurement, not a test: report and exit 1
        print('mitogen_bench: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == '__main__':
    sys.exit(main())
