import type { Redis } from 'ioredis'

/**
 * How many sockets a room tag holds, across every broker node, so `--max-sockets-per-tag` is one
 * limit for the whole deployment. Memory: a local map. Redis: a hash per tag of node → count,
 * checked and incremented atomically in Lua; entries of nodes whose liveness key has expired
 * (killed processes) are dropped on the next admission, so a dead node never keeps a room full.
 */
export interface Occupancy {
  /** Admit one more socket if the tag is below `max`; false when full. */
  enter(tag: string, max: number): Promise<boolean>
  exit(tag: string): Promise<void>
  /** Redis: extend this node's liveness key (called every claimTtl/3). */
  heartbeat(): Promise<void>
  close(): Promise<void>
}

export function createMemoryOccupancy(): Occupancy {
  const counts = new Map<string, number>()
  return {
    async enter(tag, max) {
      const n = counts.get(tag) ?? 0
      if (n >= max) return false
      counts.set(tag, n + 1)
      return true
    },
    async exit(tag) {
      const n = (counts.get(tag) ?? 0) - 1
      if (n > 0) counts.set(tag, n)
      else counts.delete(tag)
    },
    async heartbeat() {},
    async close() {
      counts.clear()
    },
  }
}

const COUNT_PREFIX = 'kibitz:count:'
const NODE_PREFIX = 'kibitz:node:'

// KEYS[1] count hash · ARGV: node id, max, node-key prefix. Returns 1 admitted, 0 full.
const ENTER_LUA = `
local entries = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #entries, 2 do
  local node = entries[i]
  if node ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. node) == 0 then
    redis.call('HDEL', KEYS[1], node)
  else
    total = total + tonumber(entries[i + 1])
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
`
// KEYS[1] count hash · ARGV: node id.
const EXIT_LUA = `
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
`

export function createRedisOccupancy(
  redis: Redis,
  opts: { node: string; ttlMs: number },
): Occupancy {
  const nodeKey = NODE_PREFIX + opts.node
  const mine = new Map<string, number>()
  return {
    async enter(tag, max) {
      const admitted =
        (await redis.eval(
          ENTER_LUA,
          1,
          COUNT_PREFIX + tag,
          opts.node,
          String(max),
          NODE_PREFIX,
        )) === 1
      if (admitted) mine.set(tag, (mine.get(tag) ?? 0) + 1)
      return admitted
    },
    async exit(tag) {
      const n = (mine.get(tag) ?? 0) - 1
      if (n > 0) mine.set(tag, n)
      else mine.delete(tag)
      await redis.eval(EXIT_LUA, 1, COUNT_PREFIX + tag, opts.node)
    },
    async heartbeat() {
      await redis.set(nodeKey, '1', 'PX', opts.ttlMs)
    },
    async close() {
      // Drop this node's contribution everywhere, then its liveness key.
      const tags = [...mine.keys()]
      mine.clear()
      for (const tag of tags) await redis.hdel(COUNT_PREFIX + tag, opts.node)
      await redis.del(nodeKey)
    },
  }
}
