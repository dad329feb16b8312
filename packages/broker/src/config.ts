import { parseArgs } from 'node:util'
import { ErrorCode, fail, ok, type Result } from '@kibitz/protocol'

/** Everything a broker process needs. `startBroker` fills gaps from {@link DEFAULT_CONFIG}. */
export interface BrokerConfig {
  port: number
  host: string
  /** coturn `--static-auth-secret`; without it `/api/turn` answers `configured: false`. */
  turnSecret?: string
  turnUrls: string[]
  turnTtlSeconds: number
  licenseKeys: string[]
  grantSecret?: string
  grantTtlSeconds: number
  /** `redis://…`: run as one node of a multi-process broker. Absent: in-memory, one process. */
  redis?: string
  maxSocketsPerTag: number
  maxTagsPerSocket: number
  /** Token-bucket refill, requests per second per socket. */
  rate: number
  /** Token-bucket capacity per socket. */
  burst: number
  /** Redis mode: TTL of an authority claim; a dead node's claims expire within it. */
  claimTtlMs: number
  staticDir?: string
}

export const DEFAULT_CONFIG: Readonly<BrokerConfig> = Object.freeze({
  port: 8787,
  host: '127.0.0.1',
  turnUrls: [],
  turnTtlSeconds: 86_400,
  licenseKeys: [],
  grantTtlSeconds: 600,
  maxSocketsPerTag: 64,
  maxTagsPerSocket: 8,
  rate: 200,
  burst: 400,
  claimTtlMs: 5_000,
})

type Kind = 'port' | 'int' | 'string' | 'list' | 'url'

interface OptionSpec {
  flag: string
  key: keyof BrokerConfig
  kind: Kind
  min?: number
  max?: number
  help: string
}

/** One table drives parsing, env names and `--help`. Env name: `KIBITZ_` + flag in SCREAMING_SNAKE. */
const OPTIONS: readonly OptionSpec[] = [
  { flag: 'port', key: 'port', kind: 'port', help: 'TCP port (0 = any free port)' },
  { flag: 'host', key: 'host', kind: 'string', help: 'interface to bind' },
  { flag: 'turn-secret', key: 'turnSecret', kind: 'string', help: "coturn's --static-auth-secret" },
  { flag: 'turn-urls', key: 'turnUrls', kind: 'list', help: 'TURN URLs, comma separated' },
  {
    flag: 'turn-ttl',
    key: 'turnTtlSeconds',
    kind: 'int',
    min: 60,
    max: 30 * 86_400,
    help: 'TURN credential lifetime, seconds',
  },
  {
    flag: 'license-keys',
    key: 'licenseKeys',
    kind: 'list',
    help: 'accepted Bearer license keys, comma separated',
  },
  { flag: 'grant-secret', key: 'grantSecret', kind: 'string', help: 'HMAC secret for room grants' },
  {
    flag: 'grant-ttl',
    key: 'grantTtlSeconds',
    kind: 'int',
    min: 10,
    max: 86_400,
    help: 'room grant lifetime, seconds',
  },
  {
    flag: 'redis',
    key: 'redis',
    kind: 'url',
    help: 'redis:// URL: scale out over several processes',
  },
  {
    flag: 'max-sockets-per-tag',
    key: 'maxSocketsPerTag',
    kind: 'int',
    min: 1,
    max: 100_000,
    help: 'sockets per room tag',
  },
  {
    flag: 'max-tags-per-socket',
    key: 'maxTagsPerSocket',
    kind: 'int',
    min: 1,
    max: 1_000,
    help: 'room tags per socket',
  },
  {
    flag: 'rate',
    key: 'rate',
    kind: 'int',
    min: 1,
    max: 1_000_000,
    help: 'requests per second per socket (token refill)',
  },
  {
    flag: 'burst',
    key: 'burst',
    kind: 'int',
    min: 1,
    max: 1_000_000,
    help: 'token bucket size per socket',
  },
  {
    flag: 'claim-ttl-ms',
    key: 'claimTtlMs',
    kind: 'int',
    min: 300,
    max: 600_000,
    help: 'redis mode: authority claim TTL, ms',
  },
  {
    flag: 'static-dir',
    key: 'staticDir',
    kind: 'string',
    help: 'directory served at / (widget.js, demo site)',
  },
]

export function envName(flag: string): string {
  return `KIBITZ_${flag.toUpperCase().replace(/-/g, '_')}`
}

export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const def = DEFAULT_CONFIG[o.key]
    const shown = Array.isArray(def) ? '' : def === undefined ? '' : ` (default ${String(def)})`
    return `  --${o.flag.padEnd(22)}${envName(o.flag).padEnd(30)}${o.help}${shown}`
  })
  return [
    'kibitz-broker: the content-blind Kibitz signaling broker',
    '',
    'usage: kibitz-broker [options]      flags win over environment variables',
    '',
    `  ${'flag'.padEnd(24)}${'env'.padEnd(30)}meaning`,
    ...rows,
    `  --${'help'.padEnd(22)}${''.padEnd(30)}print this text`,
    '',
  ].join('\n')
}

export type CliCommand = { help: true; text: string } | { help: false; config: BrokerConfig }

function convert(spec: OptionSpec, raw: string, source: string): Result<unknown> {
  const bad = (why: string) => fail<never>(ErrorCode.BAD_MESSAGE, `invalid ${source}: ${why}`)
  const text = raw.trim()
  switch (spec.kind) {
    case 'string':
      return text === '' ? bad('must not be empty') : ok(text)
    case 'list': {
      const items = text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
      return ok(items)
    }
    case 'url': {
      try {
        const u = new URL(text)
        if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
          return bad(`expected a redis:// or rediss:// URL, got "${raw}"`)
        return ok(text)
      } catch {
        return bad(`not a URL: "${raw}"`)
      }
    }
    case 'port':
    case 'int': {
      if (!/^\d+$/.test(text)) return bad(`expected a whole number, got "${raw}"`)
      const n = Number(text)
      const min = spec.kind === 'port' ? 0 : (spec.min ?? 0)
      const max = spec.kind === 'port' ? 65_535 : (spec.max ?? Number.MAX_SAFE_INTEGER)
      if (!Number.isSafeInteger(n) || n < min || n > max)
        return bad(`must be between ${min} and ${max}, got ${raw}`)
      return ok(n)
    }
  }
}

/**
 * Parse CLI flags and `KIBITZ_*` environment variables into a config. Never throws: a bad flag,
 * an unknown flag or a bad value is a `BAD_MESSAGE` error naming the flag or env var.
 */
export function parseConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Result<CliCommand> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  }
  for (const o of OPTIONS) options[o.flag] = { type: 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return fail(ErrorCode.BAD_MESSAGE, `${message.split('\n')[0]} (see --help)`)
  }
  if (values.help === true) return ok({ help: true, text: helpText() })

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG, turnUrls: [], licenseKeys: [] }
  for (const o of OPTIONS) {
    const fromFlag = values[o.flag]
    const fromEnv = env[envName(o.flag)]
    let raw: string | undefined
    let source: string
    if (typeof fromFlag === 'string') {
      raw = fromFlag
      source = `--${o.flag}`
    } else if (fromEnv !== undefined && fromEnv !== '') {
      raw = fromEnv
      source = envName(o.flag)
    } else continue
    const r = convert(o, raw, source)
    if (!r.ok) return r
    config[o.key] = r.value
  }
  const cfg = config as unknown as BrokerConfig
  return ok({ help: false, config: cfg })
}
