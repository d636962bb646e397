"""The desk's memory at scale: diagnosing with a million events, and writes from 4 processes.

1. 100,000 customers, a store with 1,000,000 events and 10,000 desk renewals (SQLite):
   opening the desk (renewals laid over the list), one diagnosis, and the customer's
   history (medians of 5). Baseline in the same run: the same with an empty store.
2. Events written per second by 4 processes at once, one event per transaction (as agents
   and kernels write them), on SQLite and, with ``--postgres URL``, on PostgreSQL.

    .venv/bin/python benchmarks/store_scale.py [--rows 100000] [--events 1000000]
"""

import argparse
import datetime as dt
import multiprocessing
import random
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import insert

from support_kit import demo
from support_kit.config import Secret, load_settings
from support_kit.customers import load
from support_kit.desk import Desk
from support_kit.store import Event, Store, TokenVault
from support_kit.store.schema import events, renewals

KINDS = ("link_made", "contacted", "reminder_sent", "live_checked", "note")


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def fill(store: Store, customer_ids: list[str], count: int, renewed: int, key: str) -> None:
    rng = random.Random(7)
    start = dt.datetime(2025, 12, 1)
    batch = 50_000
    with store.engine.begin() as connection:
        for offset in range(0, count, batch):
            connection.execute(insert(events), [
                {"at": start + dt.timedelta(seconds=rng.randrange(31_536_000)),
                 "agent": f"agent{rng.randrange(20)}", "kind": rng.choice(KINDS),
                 "customer_id": rng.choice(customer_ids), "seller_id": None,
                 "detail": '{"text": "benchmark"}'}
                for _ in range(min(batch, count - offset))])
        sealed = TokenVault(Secret(key)).seal(Secret("Atzr|benchmark"))
        connection.execute(insert(renewals), [
            {"code_hash": f"{i:064d}", "customer_id": cid, "seller_id": "ABENCH",
             "seller_new": False, "agent": "agent1", "claimed_at": dt.datetime(2026, 11, 1),
             "renewed_at": dt.datetime(2026, 11, 1, 0, 0, 5), "token": sealed}
            for i, cid in enumerate(rng.sample(customer_ids, renewed))])


def desk_times(customers, url: str, key: str, customer_id: str) -> dict[str, float]:
    settings = load_settings({"SUPPORT_KIT_STORE": url, "SUPPORT_KIT_TOKEN_KEY": key})
    store = Store.open(url)
    opened, desk = timed(lambda: Desk(settings, customers, demo.DEMO_AS_OF, store))
    diagnosed = statistics.median(timed(lambda: desk.diagnose(customer_id))[0]
                                  for _ in range(5))
    history = statistics.median(timed(lambda: desk.history(customer_id))[0] for _ in range(5))
    timeline = desk.history(customer_id)
    return {"open the desk": opened, "one diagnosis": diagnosed,
            "the customer's history": history, "events shown": len(timeline)}


def writer(url: str, count: int, ready, finished, who: int) -> None:
    store = Store.open(url)
    ready.wait()  # every process has imported the kit and opened the store
    for i in range(count):
        store.record(Event("note", f"C{100000 + i}", detail={"text": f"w{who} {i}"},
                           agent=f"agent{who}"))
    finished.put(time.time())


def writes_per_second(url: str, processes: int = 4, each: int = 500) -> float:
    Store.open(url)  # migrate once, outside the measurement
    context = multiprocessing.get_context("spawn")
    ready, finished = context.Barrier(processes + 1), context.Queue()
    workers = [context.Process(target=writer, args=(url, each, ready, finished, n))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.time()
    end = max(finished.get() for _ in workers)
    for worker in workers:
        worker.join()
    return processes * each / (end - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="also measure writes on PostgreSQL")
    args = parser.parse_args()
    customers = load(demo.generate(args.rows, seed=8))
    ids = customers.customers["customer_id"].tolist()
    key = Fernet.generate_key().decode()
    folder = Path(tempfile.mkdtemp(prefix="store-bench-"))
    empty, full = f"sqlite:///{folder / 'empty.sqlite'}", f"sqlite:///{folder / 'full.sqlite'}"
    filled, _ = timed(lambda: fill(Store.open(full), ids, args.events, args.rows // 10, key))
    busiest = ids[len(ids) // 2]
    base = desk_times(customers, empty, key, busiest)
    loaded = desk_times(customers, full, key, busiest)
    print(f"{args.rows:,} customers; store with {args.events:,} events and "
          f"{args.rows // 10:,} renewals (filled in {filled:.1f} s)")
    print(f"  {'':28} {'empty store':>12} {'1M events':>12} {'ratio':>7}")
    for name in ("open the desk", "one diagnosis", "the customer's history"):
        print(f"  {name:28} {base[name] * 1000:9.1f} ms {loaded[name] * 1000:9.1f} ms "
              f"{loaded[name] / base[name]:6.2f}x")
    print(f"  (the customer's history holds {loaded['events shown']} events)")
    sqlite_rate = writes_per_second(f"sqlite:///{folder / 'writes.sqlite'}")
    print(f"events written per second, 4 processes, one transaction each: "
          f"SQLite {sqlite_rate:,.0f}")
    if args.postgres:
        print(f"  PostgreSQL {writes_per_second(args.postgres):,.0f}")


if __name__ == "__main__":
    main()
