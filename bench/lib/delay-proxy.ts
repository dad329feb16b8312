/**
 * A TCP proxy on 127.0.0.1 that holds every chunk for a fixed time in each direction: a stand-in
 * for a WAN round trip between a participant and the broker (`2 × oneWayMs` per round trip), so a
 * benchmark can show what a saved round trip is worth where round trips cost something. Order is
 * kept (one delay for all; Node runs equal timers in the order they were set). Nothing is
 * inspected: WebSocket, HTTP and TLS pass through unchanged.
 */
import { createServer, connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface DelayProxy {
  /** `http://127.0.0.1:<port>`: the target reached through the delay. */
  url: string
  close(): Promise<void>
}

export async function startDelayProxy(targetPort: number, oneWayMs: number): Promise<DelayProxy> {
  const open = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    for (const s of [client, upstream]) {
      s.setNoDelay(true)
      open.add(s)
      s.on('close', () => open.delete(s))
      // Either side gone: the other goes too (after what is in flight, like a real link would).
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => setTimeout(() => !to.destroyed && to.write(chunk), oneWayMs))
      from.on('end', () => setTimeout(() => to.end(), oneWayMs))
    }
    relay(client, upstream)
    relay(upstream, client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const s of open) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
