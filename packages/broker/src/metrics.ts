/**
 * Broker counters and gauges, rendered in the Prometheus text exposition format. Gauges are read
 * through callbacks so they are always current; counters only ever go up.
 */

export interface MetricsSnapshot {
  sockets: number
  tags: number
  framesRelayed: number
  bytesRelayed: number
  claimsGranted: number
  unknownEvents: number
  disconnectedFlooders: number
  handlerErrors: number
  refused: Record<string, number>
}

export interface Gauges {
  sockets: () => number
  tags: () => number
}

export class BrokerMetrics {
  framesRelayed = 0
  bytesRelayed = 0
  claimsGranted = 0
  unknownEvents = 0
  disconnectedFlooders = 0
  handlerErrors = 0
  private readonly refusedByCode = new Map<string, number>()

  constructor(private readonly gauges: Gauges) {}

  refused(code: string): void {
    this.refusedByCode.set(code, (this.refusedByCode.get(code) ?? 0) + 1)
  }

  snapshot(): MetricsSnapshot {
    return {
      sockets: this.gauges.sockets(),
      tags: this.gauges.tags(),
      framesRelayed: this.framesRelayed,
      bytesRelayed: this.bytesRelayed,
      claimsGranted: this.claimsGranted,
      unknownEvents: this.unknownEvents,
      disconnectedFlooders: this.disconnectedFlooders,
      handlerErrors: this.handlerErrors,
      refused: Object.fromEntries(this.refusedByCode),
    }
  }

  /** Prometheus text exposition (version 0.0.4). */
  render(): string {
    const s = this.snapshot()
    const out: string[] = []
    const metric = (
      name: string,
      type: 'gauge' | 'counter',
      help: string,
      samples: [string, number][],
    ) => {
      out.push(`# HELP kibitz_broker_${name} ${help}`, `# TYPE kibitz_broker_${name} ${type}`)
      for (const [labels, value] of samples) out.push(`kibitz_broker_${name}${labels} ${value}`)
    }
    metric('sockets', 'gauge', 'Connected sockets on this node.', [['', s.sockets]])
    metric('tags', 'gauge', 'Room tags with at least one socket on this node.', [['', s.tags]])
    metric('frames_relayed_total', 'counter', 'Frames accepted for relay.', [['', s.framesRelayed]])
    metric('bytes_relayed_total', 'counter', 'Payload bytes accepted for relay.', [
      ['', s.bytesRelayed],
    ])
    metric('claims_granted_total', 'counter', 'Authority claims granted.', [['', s.claimsGranted]])
    metric(
      'frames_refused_total',
      'counter',
      'Requests refused, by error code.',
      Object.entries(s.refused)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([code, n]) => [`{code="${code}"}`, n]),
    )
    metric('unknown_events_total', 'counter', 'Events with an unknown name (ignored).', [
      ['', s.unknownEvents],
    ])
    metric(
      'flooders_disconnected_total',
      'counter',
      'Sockets disconnected for persistent flooding.',
      [['', s.disconnectedFlooders]],
    )
    metric('handler_errors_total', 'counter', 'Unexpected errors caught in request handlers.', [
      ['', s.handlerErrors],
    ])
    return out.join('\n') + '\n'
  }
}
