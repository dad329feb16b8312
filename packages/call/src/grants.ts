import {
  EMPTY_GRANT,
  EMPTY_GRANT_MAP,
  expiredEntry,
  fromWire,
  getGrant,
  grantChangedEntry,
  grantsEqual,
  isExpired,
  isPerceive,
  resolveGrant,
  type Act,
  type AuditLog,
  type Capability,
  type Grant,
  type GrantMap,
} from '@kibitz/capabilities'
import type { Participant, RoomSnapshot } from '@kibitz/presence'

/**
 * Everyone's effective capability grant, as this peer enforces it (SPEC K6–K8).
 *
 * The map comes only from the roster of the authority we follow (presence R22), which applies it
 * only from the host; here it is clamped again (unknown capabilities dropped, never beyond the
 * full grant) and resolved per participant against the default for their kind. In a room with no
 * host tier there is no legitimate source at all, so any map is ignored and kind defaults hold.
 */
export class GrantBook {
  #map: GrantMap = EMPTY_GRANT_MAP
  #people = new Map<string, Participant>()
  #effective = new Map<string, Grant>()

  constructor(
    private readonly audit: AuditLog,
    private readonly now: () => number,
    /** Whether this room has a host tier (a legitimate source of grants). */
    private readonly hosted: boolean,
  ) {}

  /**
   * Take a new roster snapshot (and re-check expiries). Returns the ids whose effective grant
   * changed; each change is audited.
   */
  update(snapshot: RoomSnapshot | null): string[] {
    if (snapshot) {
      this.#map = this.hosted ? fromWire(snapshot.grants) : EMPTY_GRANT_MAP
      this.#people = new Map(snapshot.participants.map((p) => [p.id, p]))
    }
    const at = this.now()
    const changed: string[] = []
    const next = new Map<string, Grant>()
    for (const [id, p] of this.#people) {
      const grant = resolveGrant(this.#map, id, p.meta, at)
      next.set(id, grant)
      const before = this.#effective.get(id)
      if (before && !grantsEqual(before, grant)) {
        const entry = getGrant(this.#map, id)
        const lapsed = entry !== undefined && isExpired(entry, at)
        this.audit.append(lapsed ? expiredEntry(at, id) : grantChangedEntry(at, id, before, grant))
        changed.push(id)
      }
    }
    this.#effective = next
    return changed
  }

  /** The effective grant of a rostered participant; EMPTY_GRANT for anyone else. */
  of(id: string): Grant {
    return this.#effective.get(id) ?? EMPTY_GRANT
  }

  can(id: string, capability: Capability): boolean {
    // #effective holds resolveGrant output (sanitized, frozen): only the expiry is left to check.
    const grant = this.#effective.get(id)
    if (grant === undefined || isExpired(grant, this.now())) return false
    return isPerceive(capability)
      ? grant.perceive.includes(capability)
      : grant.act.includes(capability as Act)
  }

  /** The earliest future instant an explicit entry expires (to re-check then), or null. */
  nextExpiry(): number | null {
    const at = this.now()
    let next: number | null = null
    for (const entry of Object.values(this.#map)) {
      const e = entry.expiresAt
      if (e !== undefined && e > at && (next === null || e < next)) next = e
    }
    return next
  }
}
