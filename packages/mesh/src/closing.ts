import type { Clock } from '@kibitz/protocol'
import type { PeerLink } from './peer-link.js'
import type { PeerState } from './peer-state.js'

/** M17: let queued data of open links drain, for at most `ms`, before `bye` drops us remotely. */
export async function drainQueues(peers: PeerState[], clock: Clock, ms: number): Promise<void> {
  const deadline = clock.now() + ms
  const busy = (st: PeerState) =>
    st.open && (st.queue.length > 0 || (st.link?.bufferedAmount ?? 0) > 0)
  while (clock.now() < deadline && peers.some(busy)) {
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 5))
  }
}

/** Resolves when `link` emits `close`, or after `ms` at the latest. */
export function linkClosed(link: PeerLink, clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = clock.setTimeout(resolve, ms)
    link.on('close', () => {
      clock.clearTimeout(timer)
      resolve()
    })
  })
}
