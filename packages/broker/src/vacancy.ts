import type { Claim } from './claims.js'

/**
 * Per-node bookkeeping for authority-vacated notices (B10, B17). A vacancy can reach a node along
 * two paths — the releasing node's server-side broadcast, or this node's own poll noticing that a
 * claim it saw has vanished (its node was killed) — so notices are deduplicated per claim epoch.
 */
export class VacancyLedger {
  /** Last claim seen per tag with local members (null: vacant). */
  private readonly known = new Map<string, Claim | null>()
  /** Last claim epoch announced vacant per tag. */
  private readonly announced = new Map<string, string>()

  /** Record the claim a reply or poll just showed for `tag`. */
  note(tag: string, claim: Claim | null): void {
    this.known.set(tag, claim)
  }

  /** True the first time `claim` of `tag` is reported vacant here; false for repeats. */
  firstVacancy(tag: string, claim: Claim): boolean {
    if (this.announced.get(tag) === claim.epoch) return false
    this.announced.set(tag, claim.epoch)
    if (this.known.get(tag)?.epoch === claim.epoch) this.known.set(tag, null)
    return true
  }

  /** A poll result: the previously seen claim if it is gone now (to announce), else null. */
  observe(tag: string, now: Claim | null): Claim | null {
    const prev = this.known.get(tag) ?? null
    this.known.set(tag, now)
    return prev !== null && prev.epoch !== now?.epoch ? prev : null
  }

  /** The node has no member of `tag` any more. */
  forget(tag: string): void {
    this.known.delete(tag)
    this.announced.delete(tag)
  }
}
