import { connectClient, type BrokerTestClient, type ConnectOptions } from '@kibitz/test-utils'
import { startBroker, type Broker } from '../server.js'
import type { BrokerConfig } from '../config.js'

/** A valid room tag (43 base64url chars) that differs per `seed`. */
export function tagOf(seed: string | number): string {
  const base = `tag${String(seed)}_`
  return (base + 'x'.repeat(43)).slice(0, 43).replace(/[^A-Za-z0-9_-]/g, '-')
}

export const bytes = (...values: number[]) => new Uint8Array(values)
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** An in-process broker on 127.0.0.1:0 plus the clients a test opens; `close()` ends everything. */
export interface Rig {
  broker: Broker
  client(opts?: ConnectOptions): Promise<BrokerTestClient>
  clients(n: number): Promise<BrokerTestClient[]>
  close(): Promise<void>
}

export async function startRig(config: Partial<BrokerConfig> = {}): Promise<Rig> {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, ...config })
  const open: BrokerTestClient[] = []
  const client = async (opts?: ConnectOptions) => {
    const c = await connectClient(broker.url, opts)
    open.push(c)
    return c
  }
  return {
    broker,
    client,
    clients: (n) => Promise.all(Array.from({ length: n }, () => client())),
    async close() {
      for (const c of open) c.close()
      await broker.close()
    },
  }
}

/** Unwrap a Result in tests, failing loudly with the error. */
export function must<T>(
  r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } },
): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`)
  return r.value
}

/** The error code of a failed Result (undefined when ok). */
export function codeOf(r: { ok: boolean; error?: { code: string } }): string | undefined {
  return r.ok ? undefined : r.error?.code
}
