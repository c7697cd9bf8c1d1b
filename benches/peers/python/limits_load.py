"""Rate checks per second of the Python `limits` library against one Redis.

Runs the moving window strategy on its asyncio Redis storage (the `coredis`
client, the library's default) with the same policy and keys as kauth's
driver: 5 hits per minute, one key per subject address 198.18.0.0 + index,
chosen uniformly. Each level empties the server first. `--fill N` then
leaves N subjects with 5 hits each, for their memory to be measured.

Prints one JSON object per line, with the fields of kauth's `redis_rate`.
"""

import argparse
import asyncio
import ipaddress
import json
import random
import sys
import time

import coredis
from limits import RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

LIMIT = RateLimitItemPerMinute(5)
FIRST_SUBJECT = int(ipaddress.IPv4Address("198.18.0.0"))


def subject(index):
    return str(ipaddress.IPv4Address(FIRST_SUBJECT + index))


async def run_level(limiter, subjects, callers, warmup_s, duration_s, seed):
    answered = 0
    stopping = False

    async def caller(number):
        nonlocal answered
        choose = random.Random(seed * 1_000 + number)
        while not stopping:
            await limiter.hit(LIMIT, "login", "bench", subjects[choose.randrange(len(subjects))])
            answered += 1

    tasks = [asyncio.create_task(caller(number)) for number in range(callers)]
    await asyncio.sleep(warmup_s)
    started, answered_before = time.perf_counter(), answered
    await asyncio.sleep(duration_s)
    ended, answered_after = time.perf_counter(), answered
    stopping = True
    await asyncio.gather(*tasks)
    return answered_after - answered_before, ended - started


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Redis URL, such as redis://127.0.0.1:PORT")
    parser.add_argument("--callers", default="1,16,64", help="comma-separated concurrent callers")
    parser.add_argument("--keys", type=int, default=10_000, help="subjects to choose from")
    parser.add_argument("--warmup-ms", type=int, default=500, help="time before counting, in ms")
    parser.add_argument("--duration-ms", type=int, default=3_000, help="counted time, in ms")
    parser.add_argument("--fill", type=int, default=0, help="subjects to leave at 5 hits")
    args = parser.parse_args()

    admin = coredis.Redis.from_url(args.url)
    storage = RedisStorage("async+" + args.url)
    limiter = MovingWindowRateLimiter(storage)
    subjects = [subject(index) for index in range(args.keys)]

    for callers in (int(item) for item in args.callers.split(",")):
        await admin.flushall()
        requests, seconds = await run_level(
            limiter, subjects, callers, args.warmup_ms / 1_000, args.duration_ms / 1_000, callers
        )
        print(json.dumps({
            "callers": callers,
            "requests": requests,
            "seconds": seconds,
            "per_second": requests / seconds,
        }), flush=True)

    if args.fill > 0:
        await admin.flushall()
        for index in range(args.fill):
            for _ in range(5):
                await limiter.hit(LIMIT, "login", "bench", subject(index))
        print(json.dumps({"filled": args.fill, "hits": 5, "pattern": "LIMITS:*"}), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as error:  # The bench shows the peer as failed, with this message.
        print(f"limits_load: {error!r}", file=sys.stderr)
        sys.exit(1)
