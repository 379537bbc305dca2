"""Helper: how much another Python thread got to run while a call was in progress."""

import threading
import time


def ticks_during(call) -> int:
    """Runs `call()` while a ticker thread counts; returns the ticks counted during the
    call. A call that holds the GIL throughout lets the ticker count at most one."""
    count = [0]
    stop = threading.Event()
    started = threading.Event()

    def ticker():
        started.set()
        while not stop.is_set():
            count[0] += 1
            time.sleep(0.0005)

    t = threading.Thread(target=ticker)
    t.start()
    started.wait()
    time.sleep(0.01)
    before = count[0]
    call()
    after = count[0]
    stop.set()
    t.join()
    return after - before
