import type { Call, CallEvents, CallParticipant, CallSnapshot } from '@kibitz/call'
import { useCallback, useEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react'

const noop = (): void => undefined
/** Layout effects only where there is a DOM (no server-render warning on React 18). */
const useLatestEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect

/** Shallow, with `meta` and `engine` by value (the roster rebuilds them on every change). */
function sameParticipant(a: CallParticipant, b: CallParticipant): boolean {
  for (const key of Object.keys(b) as (keyof CallParticipant)[]) {
    if (key === 'meta' || key === 'engine') {
      if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return false
    } else if (!Object.is(a[key], b[key])) return false
  }
  return Object.keys(a).length === Object.keys(b).length
}

/**
 * One participant of `call` by id (SPEC RX6), or null when absent. The component re-renders only
 * when that participant changes (a tile in a long list ignores everyone else's updates).
 */
export function useParticipant(call: Call | null, id: string | null): CallParticipant | null {
  const memo = useRef<{
    snapshot: CallSnapshot | null
    id: string | null
    value: CallParticipant | null
  }>({ snapshot: null, id: null, value: null })
  const subscribe = useCallback(
    (listener: () => void) => (call ? call.subscribe(listener) : noop),
    [call],
  )
  const getSnapshot = useCallback((): CallParticipant | null => {
    if (!call || id === null) return null
    const snapshot = call.getSnapshot()
    const m = memo.current
    if (m.snapshot === snapshot && m.id === id) return m.value
    const next = snapshot.participants.find((p) => p.id === id) ?? null
    const value = next && m.value && m.id === id && sameParticipant(m.value, next) ? m.value : next
    memo.current = { snapshot, id, value }
    return value
  }, [call, id])
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
}

/**
 * Listen to one controller event (SPEC RX6) for the component's lifetime. `cb` may change on every
 * render: the subscription stays, the latest callback is called.
 */
export function useCallEvent<E extends keyof CallEvents>(
  call: Call | null,
  event: E,
  cb: (payload: CallEvents[E]) => void,
): void {
  const latest = useRef(cb)
  useLatestEffect(() => {
    latest.current = cb
  })
  useEffect(
    () => (call ? call.on(event, (payload) => latest.current(payload)) : undefined),
    [call, event],
  )
}
