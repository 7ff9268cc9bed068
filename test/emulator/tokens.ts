/**
 * Every authorization code, access token and refresh token the emulator has issued, with
 * what each is bound to. Values are shaped like Google's (4/0A…, ya29.…, 1//0…) so that
 * redaction and leak checks in the CLI's tests see realistic secrets.
 */
import { randomBytes } from 'node:crypto';

const CODE_LIFETIME_MS = 10 * 60 * 1000;

export interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  account: string;
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface RefreshToken {
  clientId: string;
  account: string;
  scopes: string[];
  revoked: boolean;
}

export interface AccessToken {
  clientId: string;
  account: string;
  scopes: string[];
  expiresAt: number;
  revoked: boolean;
  /** The refresh token it came from, so revoking that kills this too. */
  refreshToken: string | undefined;
}

export interface IssuedTokens {
  accessTokens: string[];
  refreshTokens: string[];
  codes: string[];
  codeVerifiers: string[];
}

const randomPart = (bytes: number): string => randomBytes(bytes).toString('base64url');

export class TokenRegistry {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly codeVerifiers: string[] = [];

  issueCode(grant: Omit<AuthorizationCode, 'expiresAt' | 'used'>): string {
    const code = `4/0A${randomPart(45)}`;
    this.codes.set(code, { ...grant, expiresAt: Date.now() + CODE_LIFETIME_MS, used: false });
    return code;
  }

  /** The code if it exists, is unused and unexpired; undefined otherwise. */
  liveCode(code: string): AuthorizationCode | undefined {
    const grant = this.codes.get(code);
    return grant && !grant.used && Date.now() < grant.expiresAt ? grant : undefined;
  }

  /** Remembers every verifier a client sent, for tests that scan output for leaked secrets. */
  noteCodeVerifier(verifier: string): void {
    this.codeVerifiers.push(verifier);
  }

  issueRefreshToken(grant: Omit<RefreshToken, 'revoked'>): string {
    const token = `1//0${randomPart(75)}`;
    this.refreshTokens.set(token, { ...grant, revoked: false });
    return token;
  }

  liveRefreshToken(token: string): RefreshToken | undefined {
    const grant = this.refreshTokens.get(token);
    return grant && !grant.revoked ? grant : undefined;
  }

  issueAccessToken(grant: Omit<AccessToken, 'revoked' | 'expiresAt'>, lifetimeSec: number): string {
    const token = `ya29.a0${randomPart(120)}`;
    this.accessTokens.set(token, { ...grant, expiresAt: Date.now() + lifetimeSec * 1000, revoked: false });
    return token;
  }

  liveAccessToken(token: string): AccessToken | undefined {
    const grant = this.accessTokens.get(token);
    return grant && !grant.revoked && Date.now() < grant.expiresAt ? grant : undefined;
  }

  /** Revokes a live token: a refresh token takes its access tokens with it. False if it was not live. */
  revoke(token: string): boolean {
    const refresh = this.liveRefreshToken(token);
    if (refresh) {
      refresh.revoked = true;
      for (const access of this.accessTokens.values()) if (access.refreshToken === token) access.revoked = true;
      return true;
    }
    const access = this.liveAccessToken(token);
    if (access) {
      access.revoked = true;
      return true;
    }
    return false;
  }

  revokeAll(): void {
    for (const grant of this.refreshTokens.values()) grant.revoked = true;
    for (const grant of this.accessTokens.values()) grant.revoked = true;
  }

  expireAccessTokens(): void {
    const now = Date.now();
    for (const grant of this.accessTokens.values()) grant.expiresAt = Math.min(grant.expiresAt, now);
  }

  issued(): IssuedTokens {
    return {
      accessTokens: [...this.accessTokens.keys()],
      refreshTokens: [...this.refreshTokens.keys()],
      codes: [...this.codes.keys()],
      codeVerifiers: [...this.codeVerifiers],
    };
  }
}
