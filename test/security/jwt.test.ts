import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto'
import { build, connect, loggedIn, TEST_CONFIG, useDatabase } from '../helpers.js'

const db = useDatabase()

const SECRET = TEST_CONFIG.JWT_SECRET as string
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString()

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

/** Signs a token by hand, so that every header and claim can be as wrong as an attacker makes it. */
function token (header: Record<string, unknown>, claims: Record<string, unknown>, key: string | 'rsa' | 'none'): string {
  const head = `${base64url(JSON.stringify({ typ: 'JWT', ...header }))}.${base64url(JSON.stringify(claims))}`
  if (key === 'none') return `${head}.`
  if (key === 'rsa') return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`
}
/** Signs claims given as JSON text, so a number JSON.stringify cannot write (1e400) reaches the server as sent. */
function tokenOfText (claimsJson: string): string {
  const head = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }))}.${base64url(claimsJson)}`
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`
}
const absurdExpiries = ['1e15', '1e400', '8640000000001']
const claims = (extra: Record<string, unknown> = {}) => ({ sub: '4', iat: now(), exp: now() + 600, ...extra })
const hs = (extra?: Record<string, unknown>) => token({ alg: 'HS256' }, claims(extra), SECRET)

async function loginAnswer (t: import('node:test').TestContext, config: Record<string, string | number>, jwt: string) {
  const app = await build(t, db.database, config)
  const client = await connect(app)
  const answer = await client.request({ command: 'user_login', userId: 4, token: jwt, uuid: 'jwt-device' })
  client.close()
  return answer
}

const cases: Array<{ name: string, config?: Record<string, string | number>, token: () => string, expect: 'success' | 'INVALID_TOKEN' | 'TOKEN_EXPIRED' }> = [
  { name: 'a valid HS256 token', token: () => hs(), expect: 'success' },
  { name: 'alg none', token: () => token({ alg: 'none' }, claims(), 'none'), expect: 'INVALID_TOKEN' },
  { name: 'alg none with a signature part', token: () => token({ alg: 'none' }, claims(), SECRET), expect: 'INVALID_TOKEN' },
  { name: 'HS256 signed with another secret', token: () => token({ alg: 'HS256' }, claims(), 'another-secret-of-sufficient-length'), expect: 'INVALID_TOKEN' },
  { name: 'a valid RS256 token when RS256 is configured', config: { JWT_PUBLIC_KEY: PUBLIC_PEM }, token: () => token({ alg: 'RS256' }, claims(), 'rsa'), expect: 'success' },
  { name: 'HS256 signed with the RS public key (algorithm confusion)', config: { JWT_PUBLIC_KEY: PUBLIC_PEM }, token: () => token({ alg: 'HS256' }, claims(), PUBLIC_PEM), expect: 'INVALID_TOKEN' },
  { name: 'the right issuer and audience', config: { JWT_ISSUER: 'bdsthat-auth', JWT_AUDIENCE: 'chat' }, token: () => hs({ iss: 'bdsthat-auth', aud: 'chat' }), expect: 'success' },
  { name: 'a wrong issuer', config: { JWT_ISSUER: 'bdsthat-auth' }, token: () => hs({ iss: 'evil-auth' }), expect: 'INVALID_TOKEN' },
  { name: 'no issuer when one is required', config: { JWT_ISSUER: 'bdsthat-auth' }, token: () => hs(), expect: 'INVALID_TOKEN' },
  { name: 'no audience when one is required', config: { JWT_AUDIENCE: 'chat' }, token: () => hs(), expect: 'INVALID_TOKEN' },
  { name: 'a wrong audience', config: { JWT_AUDIENCE: 'chat' }, token: () => hs({ aud: 'billing' }), expect: 'INVALID_TOKEN' },
  { name: 'no exp', token: () => token({ alg: 'HS256' }, { sub: '4', iat: now() }, SECRET), expect: 'INVALID_TOKEN' },
  { name: 'expired beyond the clock tolerance', config: { JWT_CLOCK_TOLERANCE_S: 5 }, token: () => hs({ exp: now() - 60 }), expect: 'TOKEN_EXPIRED' },
  { name: 'expired within the clock tolerance', config: { JWT_CLOCK_TOLERANCE_S: 30 }, token: () => hs({ exp: now() - 5 }), expect: 'success' },
  { name: 'nbf in the future', config: { JWT_CLOCK_TOLERANCE_S: 5 }, token: () => hs({ nbf: now() + 600 }), expect: 'INVALID_TOKEN' },
  { name: 'a valid token for another user', token: () => token({ alg: 'HS256' }, claims({ sub: '14' }), SECRET), expect: 'INVALID_TOKEN' },
  { name: 'a token with no user claim', token: () => token({ alg: 'HS256' }, { exp: now() + 600 }, SECRET), expect: 'INVALID_TOKEN' },
  { name: 'garbage', token: () => 'not.a.jwt', expect: 'INVALID_TOKEN' },
  ...absurdExpiries.map((exp) => ({ name: `exp ${exp}`, token: () => tokenOfText(`{"sub":"4","exp":${exp}}`), expect: 'INVALID_TOKEN' as const }))
]

for (const jwtCase of cases) {
  test(`login with ${jwtCase.name}: ${jwtCase.expect}`, async (t) => {
    const answer = await loginAnswer(t, jwtCase.config ?? {}, jwtCase.token())
    if (jwtCase.expect === 'success') {
      assert.equal(answer.result, 'success', JSON.stringify(answer))
      assert.equal(answer.user.userId, '4')
    } else {
      assert.deepEqual(answer, {
        command: 'user_login',
        result: 'failed',
        reason: jwtCase.expect === 'TOKEN_EXPIRED' ? 'Token expired' : 'Invalid token',
        code: jwtCase.expect
      })
    }
  })
}

test('token_refresh with an exp no date can hold is "Invalid token", and the session goes on', async (t) => {
  const app = await build(t, db.database)
  const client = await loggedIn(app, 4)
  for (const exp of absurdExpiries) {
    const answer = await client.request({ command: 'token_refresh', token: tokenOfText(`{"sub":"4","exp":${exp}}`) })
    assert.deepEqual(answer, { command: 'token_refresh', result: 'failed', reason: 'Invalid token', code: 'INVALID_TOKEN' })
  }
  const exp = now() + 3600
  const refreshed = await client.request({ command: 'token_refresh', token: hs({ exp }) })
  assert.equal(refreshed.expiresAt, new Date(exp * 1000).toISOString())
  client.close()
})
