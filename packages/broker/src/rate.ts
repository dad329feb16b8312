/** A per-socket token bucket: `burst` tokens, refilled at `rate` per second. */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst
    this.last = now()
  }

  /** Take one token; false when the bucket is empty. */
  take(): boolean {
    const t = this.now()
    const elapsed = t - this.last
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000)
      this.last = t
    }
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
