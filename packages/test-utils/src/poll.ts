/**
 * Poll an async `fn` every 100 ms until `ok` holds of its result, or throw after `ms` with the last
 * result in the message (a browser test's timeout then says what the page last reported).
 */
export async function pollUntil<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`timed out: ${what}: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
