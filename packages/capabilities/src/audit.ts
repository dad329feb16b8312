import { MAX_ID_CHARS, MAX_REASON_CHARS } from '@kibitz/protocol'
import { diffGrants } from './algebra.js'
import { isCapability, type Capability } from './vocabulary.js'

/**
 * The local audit feed (SPEC C20–C22): blocked acts, grant changes and lapsed grants, newest last.
 * Local only — it is never sent anywhere. Values are frozen and JSON-safe.
 */

export const AUDIT_KINDS = ['blocked', 'grant-changed', 'expired'] as const
export type AuditKind = (typeof AUDIT_KINDS)[number]

export type AuditEntry = {
  /** When it happened, ms since the epoch (the caller's clock). */
  at: number
  kind: AuditKind
  /** The participant concerned (who tried to act, whose grant changed or lapsed). */
  peer: string
  /** The capability that was missing (`blocked`). */
  capability?: Capability
  /** Short free text: the content kind that was dropped, or what a change added/removed. */
  detail?: string
}

/** Entries an audit log keeps by default. */
export const DEFAULT_AUDIT_LIMIT = 200
/** Longest `detail` kept, in characters. */
export const MAX_AUDIT_DETAIL_CHARS = MAX_REASON_CHARS

function cleanEntry(entry: AuditEntry): AuditEntry {
  const out: AuditEntry = {
    at: Number.isFinite(entry.at) ? entry.at : 0,
    kind: entry.kind,
    peer: String(entry.peer).slice(0, MAX_ID_CHARS),
  }
  if (isCapability(entry.capability)) out.capability = entry.capability
  if (typeof entry.detail === 'string' && entry.detail.length > 0) {
    out.detail = entry.detail.slice(0, MAX_AUDIT_DETAIL_CHARS)
  }
  return Object.freeze(out)
}

function clampLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : DEFAULT_AUDIT_LIMIT
}

/**
 * A new log with `entry` appended (cleaned and frozen) and the oldest entries dropped so at most
 * `limit` remain (C20). The input log is never changed.
 */
export function appendAudit(
  log: readonly AuditEntry[],
  entry: AuditEntry,
  limit = DEFAULT_AUDIT_LIMIT,
): readonly AuditEntry[] {
  const keep = clampLimit(limit)
  const next = [...log, cleanEntry(entry)]
  return Object.freeze(next.slice(Math.max(0, next.length - keep)))
}

/** The entries about one participant, oldest first (what `getAgentAudit(id)` shows). */
export function auditFor(log: readonly AuditEntry[], peer: string): readonly AuditEntry[] {
  return Object.freeze(log.filter((entry) => entry.peer === peer))
}

/** A `blocked` entry: `peer` emitted `kind` without `capability`; the content was dropped. */
export function blockedEntry(
  at: number,
  peer: string,
  capability: Capability,
  kind?: string,
): AuditEntry {
  return cleanEntry({ at, kind: 'blocked', peer, capability, ...(kind ? { detail: kind } : {}) })
}

/** A `grant-changed` entry describing what moved from `before` to `after` (`+send-chat -speak`). */
export function grantChangedEntry(
  at: number,
  peer: string,
  before: unknown,
  after: unknown,
): AuditEntry {
  const { added, removed } = diffGrants(before, after)
  const detail = [...added.map((c) => `+${c}`), ...removed.map((c) => `-${c}`)].join(' ')
  return cleanEntry({ at, kind: 'grant-changed', peer, ...(detail ? { detail } : {}) })
}

/** An `expired` entry: `peer`'s explicit grant lapsed and it is back to its default. */
export function expiredEntry(at: number, peer: string): AuditEntry {
  return cleanEntry({ at, kind: 'expired', peer })
}

/** A small stateful wrapper over appendAudit for engines that keep one log per room. */
export type AuditLog = {
  append(entry: AuditEntry): void
  /** Every entry, oldest first (an immutable snapshot). */
  entries(): readonly AuditEntry[]
  forPeer(peer: string): readonly AuditEntry[]
  clear(): void
}

export function createAuditLog(limit = DEFAULT_AUDIT_LIMIT): AuditLog {
  let log: readonly AuditEntry[] = Object.freeze([])
  return {
    append(entry) {
      log = appendAudit(log, entry, limit)
    },
    entries: () => log,
    forPeer: (peer) => auditFor(log, peer),
    clear() {
      log = Object.freeze([])
    },
  }
}
