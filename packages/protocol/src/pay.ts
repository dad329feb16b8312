import { MAX_PAY_URL_CHARS } from './limits.js'

/**
 * Pay-me links. Only allow-listed schemes are accepted, and bare Lightning invoices / LNURLs.
 * `https` links must have a host and no credentials (anti-phishing: `https://bank@evil.example`).
 * Receivers still show the link before opening it.
 */
export const PAY_SCHEMES: readonly string[] = [
  'https',
  'lightning',
  'bitcoin',
  'litecoin',
  'ethereum',
  'monero',
  'lnurlp',
  'lnurlw',
]

const SCHEME_URL = /^([a-z][a-z0-9+.-]*):(\S+)$/i
/** Bare BOLT-11 invoice (mainnet, testnet, signet, regtest) or a bech32 LNURL. */
const BARE_LN = /^(?:ln(?:bc|tb|tbs|bcrt)[0-9a-z]+|lnurl1[02-9ac-hj-np-z]+)$/i

export function isAllowedPayUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_PAY_URL_CHARS) return false
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return false
  }
  if (BARE_LN.test(url)) return true
  const m = SCHEME_URL.exec(url)
  if (!m) return false
  const scheme = m[1]!.toLowerCase()
  if (!PAY_SCHEMES.includes(scheme)) return false
  if (scheme !== 'https') return true
  try {
    const parsed = new URL(url)
    return (
      parsed.protocol === 'https:' &&
      parsed.hostname !== '' &&
      parsed.username === '' &&
      parsed.password === ''
    )
  } catch {
    return false
  }
}
