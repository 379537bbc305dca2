"""Benchmark: do Magnetar's ``_async`` variants run in parallel and keep the loop free?

Measures, with the default Argon2id policy (OWASP: m=19456 KiB, t=2, p=1):

- two ``verify`` calls one after the other (the reference), and four;
- four plain threads calling ``verify`` (what the machine's free cores allow, without
  asyncio);
- four ``verify_async`` calls awaited together with ``asyncio.gather``: with the GIL
  released they run on the executor's threads in parallel, so on 2 cores they should
  take about as long as the two sequential ones;
- meanwhile, a coroutine that sleeps 10 ms in a loop records the longest gap between
  its ticks: near 10 ms when the loop is free. For contrast, the same ticker beside a
  plain (blocking) ``verify`` called from a coroutine.

Usage: python benchmarks/async_verify.py [rounds]   (prints a Markdown table)
"""

import asyncio
import os
import platform
import statistics
import sys
import threading
import time

import magnetar

TICK = 0.010
PASSWORD = "correct horse battery staple"


async def ticker(stop: asyncio.Event, gaps: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(TICK)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def with_ticker(work) -> tuple[float, float]:
    """Runs `work()` beside the ticker; returns (elapsed seconds, longest tick gap)."""
    stop, gaps = asyncio.Event(), []
    tick_task = asyncio.create_task(ticker(stop, gaps))
    await asyncio.sleep(3 * TICK)  # let the ticker settle
    gaps.clear()
    start = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - start
    await asyncio.sleep(2 * TICK)  # the gap that spans the end of the work
    stop.set()
    await tick_task
    return elapsed, max(gaps)


async def main(rounds: int) -> None:
    hasher = magnetar.PasswordHasher()
    stored = hasher.hash(PASSWORD)
    assert hasher.verify(PASSWORD, stored)  # warm-up

    async def four_concurrent() -> None:
        results = await asyncio.gather(*(hasher.verify_async(PASSWORD, stored) for _ in range(4)))
        assert all(results)

    async def two_blocking() -> None:
        assert hasher.verify(PASSWORD, stored) and hasher.verify(PASSWORD, stored)

    def four_threads() -> float:
        """4 plain threads calling `verify`: the parallelism the machine allows right
        now, without asyncio (when this is no faster than 4 sequential ones, other
        processes hold the second core)."""
        threads = [threading.Thread(target=hasher.verify, args=(PASSWORD, stored)) for _ in range(4)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    seq, seq4, thr4, conc, conc_gap, block_gap = [], [], [], [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        hasher.verify(PASSWORD, stored)
        hasher.verify(PASSWORD, stored)
        seq.append(time.perf_counter() - start)
        hasher.verify(PASSWORD, stored)
        hasher.verify(PASSWORD, stored)
        seq4.append(time.perf_counter() - start)
        thr4.append(four_threads())
        elapsed, gap = await with_ticker(four_concurrent)
        conc.append(elapsed)
        conc_gap.append(gap)
        _, gap = await with_ticker(two_blocking)
        block_gap.append(gap)

    ms = lambda xs: f"{statistics.median(xs) * 1000:.1f} ms"  # noqa: E731
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"magnetar {magnetar.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{cores} cores available, load average {os.getloadavg()[0]:.1f}, median of {rounds} rounds\n")
    print("| measurement | result |")
    print("|---|---|")
    print(f"| 2 sequential `verify` | {ms(seq)} |")
    print(f"| 4 sequential `verify` | {ms(seq4)} |")
    print(f"| 4 threads calling `verify` (no asyncio) | {ms(thr4)} |")
    print(f"| 4 concurrent `verify_async` (`gather`) | {ms(conc)} ({statistics.median(conc) / statistics.median(seq):.2f}x the 2 sequential) |")
    print(f"| longest gap of a 10 ms ticker during the 4 concurrent | {ms(conc_gap)} (worst {max(conc_gap) * 1000:.1f} ms) |")
    print(f"| longest gap of a 10 ms ticker beside 2 blocking `verify` | {ms(block_gap)} |")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
