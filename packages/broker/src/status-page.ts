/**
 * The broker's self-contained status page (no external assets, no script): what the broker is,
 * whether it is up, the numbers from `health()`, and what it can and cannot see.
 */

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )

function row(key: string, value: unknown): string {
  const shown = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  return `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(shown.slice(0, 200))}</td></tr>`
}

export function renderStatusPage(health: Record<string, unknown>): string {
  const ok = health.ok !== false
  const sockets = typeof health.sockets === 'number' ? health.sockets : undefined
  const rows = Object.entries(health)
    .filter(
      ([k, v]) => k !== 'ok' && v !== null && typeof v !== 'object' && typeof v !== 'function',
    )
    .slice(0, 32)
    .map(([k, v]) => row(k, v))
    .join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kibitz broker</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem;margin-bottom:.2rem}.ok{color:#17803d}.down{color:#b42318}
table{border-collapse:collapse;margin:1rem 0}th,td{text-align:left;padding:.2rem 1rem .2rem 0}
th{font-weight:600}p.note{color:#444}
</style>
</head>
<body>
<h1>Kibitz broker</h1>
<p>Status: <strong class="${ok ? 'ok' : 'down'}">${ok ? 'running' : 'unhealthy'}</strong>${
    sockets === undefined
      ? ''
      : ` · <span id="sockets">${sockets}</span> connected socket${sockets === 1 ? '' : 's'}`
  }</p>
${rows === '' ? '' : `<table>${rows}</table>`}
<p><a href="/healthz">/healthz</a> (JSON) · <a href="/metrics">/metrics</a> (Prometheus)</p>
<p class="note">This broker only introduces peers. It sees socket ids, opaque room tags (a one-way
hash of each room's name), the sizes and timing of the frames it relays, and the IP addresses of
connections. It cannot see room names, participant names, chat, files, or audio and video: signaling
frames are sealed end to end with a key derived from the room name, and media flows directly
between peers (or through a TURN relay that carries encrypted bytes only).</p>
</body>
</html>
`
}
