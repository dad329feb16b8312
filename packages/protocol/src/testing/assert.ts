import { expect, it } from 'vitest'
import type { ErrorCode } from '../errors.js'
import type { Decoded, Result } from '../result.js'

/** Test helpers (not part of the published API). */

export function expectCode(r: Result<unknown>, code: ErrorCode): void {
  expect(r.ok ? 'ok' : r.error.code).toBe(code)
}

/** encode → JSON text → JSON.parse → decode gives back the same message. */
export function roundTrip<M>(
  message: M,
  encode: (m: M) => Result<string>,
  decode: (v: unknown) => Result<Decoded<unknown>>,
): void {
  const text = encode(message)
  if (!text.ok) throw text.error
  const back = decode(JSON.parse(text.value))
  expect(back).toEqual({ ok: true, value: { known: true, message } })
}

export type EdgeCase = [
  name: string,
  limit: number,
  build: (n: number) => unknown,
  overCode?: ErrorCode,
]

/** For each case: exactly at the limit decodes; one over is TOO_LARGE (or the given code). */
export function edgeCases(decode: (v: unknown) => Result<unknown>, cases: EdgeCase[]): void {
  for (const [name, limit, build, overCode] of cases) {
    it(`${name}: ${limit} passes, ${limit + 1} fails`, () => {
      const at = decode(build(limit))
      if (!at.ok) throw at.error
      expect(at.ok).toBe(true)
      const over = decode(build(limit + 1))
      expect(over.ok ? 'ok' : over.error.code).toBe(overCode ?? 'TOO_LARGE')
    })
  }
}
