// Rate checks per second of Node's rate-limiter-flexible against one Redis.
//
// Runs RateLimiterRedis over one ioredis client, as its documentation sets
// it up, with the same policy and keys as kauth's driver: 5 points per
// 60 s, one key per subject address 198.18.0.0 + index, chosen uniformly.
// RateLimiterRedis counts in a fixed window (INCR with a TTL, in one Lua
// script), not a sliding one. Each level empties the server first.
// `--fill N` then leaves N subjects with 5 hits each, for their memory to be
// measured.
//
// Prints one JSON object per line, with the fields of kauth's `redis_rate`.
'use strict';

const Redis = require('ioredis');
const { RateLimiterRedis, RateLimiterRes } = require('rate-limiter-flexible');

const FIRST_SUBJECT = (198 << 24) + (18 << 16);

function subject(index) {
  const address = FIRST_SUBJECT + index;
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

function parseArgs(argv) {
  const options = { callers: '1,16,64', keys: '10000', 'warmup-ms': '500', 'duration-ms': '3000', fill: '0' };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index].replace(/^--/, '');
    if (!(name in options) && name !== 'url') {
      throw new Error(`unknown option ${argv[index]}`);
    }
    options[name] = argv[index + 1];
  }
  if (!options.url) {
    throw new Error('missing option --url');
  }
  return options;
}

// A small seeded generator (mulberry32), so each caller picks its own keys.
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A rejection for being over the limit is a completed check; any other
// error fails the run.
async function check(limiter, key) {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) {
      throw rejection;
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function runLevel(limiter, subjects, callers, warmupMs, durationMs) {
  let answered = 0;
  let stopping = false;
  const caller = async (number) => {
    const random = generator(callers * 1000 + number);
    while (!stopping) {
      await check(limiter, `login:bench:${subjects[Math.floor(random() * subjects.length)]}`);
      answered += 1;
    }
  };

  const running = Array.from({ length: callers }, (_, number) => caller(number));
  await sleep(warmupMs);
  const started = process.hrtime.bigint();
  const answeredBefore = answered;
  await sleep(durationMs);
  const ended = process.hrtime.bigint();
  const answeredAfter = answered;
  stopping = true;
  await Promise.all(running);
  return { requests: answeredAfter - answeredBefore, seconds: Number(ended - started) / 1e9 };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const redis = new Redis(options.url);
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rlflx', points: 5, duration: 60 });
  const subjects = Array.from({ length: Number(options.keys) }, (_, index) => subject(index));

  for (const callers of options.callers.split(',').map(Number)) {
    await redis.flushall();
    const { requests, seconds } = await runLevel(
      limiter,
      subjects,
      callers,
      Number(options['warmup-ms']),
      Number(options['duration-ms']),
    );
    console.log(JSON.stringify({ callers, requests, seconds, per_second: requests / seconds }));
  }

  const fill = Number(options.fill);
  if (fill > 0) {
    await redis.flushall();
    for (let index = 0; index < fill; index += 1) {
      for (let hit = 0; hit < 5; hit += 1) {
        await check(limiter, `login:bench:${subject(index)}`);
      }
    }
    console.log(JSON.stringify({ filled: fill, hits: 5, pattern: 'rlflx:*' }));
  }
  redis.disconnect();
}

main().catch((error) => {
  console.error(`rlflex_load: ${error.stack || error}`);
  process.exit(1);
});
