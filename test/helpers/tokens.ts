import { createSigner } from 'fast-jwt'
import { mintToken } from '../../src/auth/mint-token.js'
import type { Config } from '../../src/config.js'
import { TEST_CONFIG } from './app.js'
import type { Frame } from './client.js'

/** Whatever holds the settings tokens are signed with: an app, or the config of a server in another process. */
export interface TokenIssuer { config: Config }

export const tokenFor = (issuer: TokenIssuer, userId: string | number, expiresIn: string | number = '1h') =>
  mintToken(issuer.config, userId, expiresIn)

/** Signs arbitrary claims (HS256 by default) with the test secret, for tokens the minting helper will not make. */
export function signToken (claims: Frame, options: { key?: string, expiresIn?: number } = {}): string {
  const sign = createSigner({
    key: options.key ?? String(TEST_CONFIG.JWT_SECRET),
    ...(options.expiresIn !== undefined && { expiresIn: options.expiresIn })
  })
  return sign(claims)
}

/** A hand-made token with `alg: none` and no signature. */
export function unsignedToken (claims: Frame): string {
  const part = (value: Frame) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`
}
