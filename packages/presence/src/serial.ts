/**
 * Runs async tasks one at a time, in submission order, and knows when it is idle. The room funnels
 * every state change (inbound frames, timers, API calls) through one of these, so WebCrypto's
 * asynchronous sealing never reorders presence logic, and tests can wait for quiescence.
 */
export class Serial {
  #tail: Promise<void> = Promise.resolve()
  #pending = 0
  #idle: (() => void)[] = []

  run(task: () => void | Promise<void>): Promise<void> {
    this.#pending++
    const next = this.#tail.then(task).then(
      () => this.#done(),
      (error: unknown) => {
        this.#done()
        console.error('[kibitz] presence task failed', error)
      },
    )
    this.#tail = next
    return next
  }

  get busy(): boolean {
    return this.#pending > 0
  }

  /** Resolves once every task submitted so far (and any they submit) has finished. */
  whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  #done(): void {
    this.#pending--
    if (this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }
}
