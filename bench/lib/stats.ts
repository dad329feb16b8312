/** Small numeric helpers for benchmark samples. */

/** Nearest-rank percentile (p in 0..100) of an ascending-sorted array; NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  const i = Math.min(sorted.length - 1, Math.max(0, rank - 1))
  return sorted[i]!
}

/**
 * A growable buffer of float samples (latencies in ms). Stores every sample up to `cap`, then keeps
 * a uniform reservoir of `cap` samples so memory stays bounded on long runs.
 */
export class Samples {
  private buf: Float64Array
  private n = 0
  private seen = 0

  constructor(private readonly cap = 4_000_000) {
    this.buf = new Float64Array(Math.min(cap, 1 << 16))
  }

  add(v: number): void {
    this.seen++
    if (this.n < this.cap) {
      if (this.n === this.buf.length) {
        const next = new Float64Array(Math.min(this.cap, this.buf.length * 2))
        next.set(this.buf)
        this.buf = next
      }
      this.buf[this.n++] = v
      return
    }
    const j = Math.floor(Math.random() * this.seen)
    if (j < this.cap) this.buf[j] = v
  }

  get count(): number {
    return this.seen
  }

  /** Sorted copy of the kept samples. */
  sorted(): Float64Array {
    return this.buf.slice(0, this.n).sort()
  }
}

export interface Summary {
  count: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

export function summarize(samples: Samples): Summary {
  const s = samples.sorted()
  let sum = 0
  for (const v of s) sum += v
  return {
    count: samples.count,
    p50: percentileSorted(s, 50),
    p90: percentileSorted(s, 90),
    p99: percentileSorted(s, 99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
    mean: s.length ? sum / s.length : Number.NaN,
  }
}

/** Round to `digits` decimals (keeps JSON readable). */
export function round(v: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}
