import type { CallState } from './types.js'

/** The typed error a controller reports (`KibitzError` of `@kibitz/protocol`). */
export type CallError = NonNullable<CallState['error']>

/** Why the room keeps us out: the host denied or removed us, the room is locked, or unverified. */
export type RefusedReason = 'denied' | 'locked' | 'unverified' | 'removed'

/**
 * What a UI draws, one variant per screen (SPEC RX3). Mapped from `state.status`, with the lobby
 * outcome as the `refused` reason and a failed `join` as `failed`:
 *
 * | `kind`       | from                                                  | typical UI                 |
 * | ------------ | ----------------------------------------------------- | -------------------------- |
 * | `idle`       | `status: 'idle'`, no `error`                          | "Join" button              |
 * | `failed`     | `status: 'idle'` with `error` (join failed), or bad options | message + "Retry"    |
 * | `preview`    | `status: 'preview'` (self-view only)                  | camera check               |
 * | `connecting` | `status: 'connecting'`                                | spinner                    |
 * | `waiting`    | `status: 'waiting'` (in the host's lobby)             | "Waiting to be let in"     |
 * | `joined`     | `status: 'joined'`                                    | the call                   |
 * | `refused`    | `status: 'refused'` + `lobbyStatus` as `reason`       | "The host denied you" …    |
 */
export type CallUiStatus =
  | { kind: 'idle' }
  | { kind: 'failed'; error: CallError }
  | { kind: 'preview' }
  | { kind: 'connecting' }
  | { kind: 'waiting' }
  | { kind: 'joined' }
  | { kind: 'refused'; reason: RefusedReason }

export type CallUiStatusKind = CallUiStatus['kind']

const REASONS: ReadonlySet<string> = new Set<RefusedReason>([
  'denied',
  'locked',
  'unverified',
  'removed',
])

/** Constant variants, so an unchanged status keeps its identity across renders. */
const PLAIN = {
  idle: { kind: 'idle' },
  preview: { kind: 'preview' },
  connecting: { kind: 'connecting' },
  waiting: { kind: 'waiting' },
  joined: { kind: 'joined' },
} as const satisfies Record<string, CallUiStatus>

const cache = new WeakMap<CallState, CallUiStatus>()

/**
 * Map a controller state to the UI status (SPEC RX3). Pure; the result is cached per state
 * object, and the variants without data are shared constants, so equal inputs give the same
 * object. A `refused` state without a lobby outcome (the host removed us) reads as `removed`.
 */
export function callStatus(state: CallState): CallUiStatus {
  const hit = cache.get(state)
  if (hit) return hit
  const out = map(state)
  cache.set(state, out)
  return out
}

function map(state: CallState): CallUiStatus {
  switch (state.status) {
    case 'idle':
      return state.error ? { kind: 'failed', error: state.error } : PLAIN.idle
    case 'refused': {
      const lobby = state.lobbyStatus
      return {
        kind: 'refused',
        reason: lobby !== null && REASONS.has(lobby) ? (lobby as RefusedReason) : 'removed',
      }
    }
    case 'preview':
    case 'connecting':
    case 'waiting':
    case 'joined':
      return PLAIN[state.status]
    default:
      // A newer controller's status this build does not know: treat it as still connecting.
      return PLAIN.connecting
  }
}

/** Up to two initials of a display name ("Dana Scully" → "DS"); "?" for an empty name. */
export function initialsOf(name: string): string {
  const words = String(name).trim().split(/\s+/).filter(Boolean)
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words
  const out = letters.map((w) => Array.from(w!)[0] ?? '').join('')
  return out ? out.toLocaleUpperCase() : '?'
}
