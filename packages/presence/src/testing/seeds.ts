import { describe, expect, test } from 'vitest'
import { runSeed } from './schedule.js'

// R13 under seeded chaos (see testing/schedule.ts). Seeds are split over two files so they run on
// both cores; KIBITZ_SEED=<n> re-runs one seed, KIBITZ_SEEDS=<n> changes how many run.
const TOTAL = Number(process.env.KIBITZ_SEEDS ?? 1000)
const ONLY = process.env.KIBITZ_SEED === undefined ? null : Number(process.env.KIBITZ_SEED)

export function describeSeeds(part: 0 | 1): void {
  const all = ONLY !== null ? [ONLY] : Array.from({ length: TOTAL }, (_, i) => i + 1)
  const seeds = ONLY !== null ? (part === 0 ? all : []) : all.filter((s) => s % 2 === part)
  describe('R13: seeded schedules on the local bus converge', () => {
    test.skipIf(seeds.length === 0)(
      `${seeds.length} seeds (${part === 0 ? 'even' : 'odd'})`,
      async () => {
        const failures: string[] = []
        for (const seed of seeds) failures.push(...(await runSeed(seed)))
        expect(failures.slice(0, 20)).toEqual([])
      },
      600_000,
    )
  })
}
