/**
 * Users: scrypt password hashes under `U` keys, cached in memory for synchronous lookups.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { KalamError, type Role } from '@kalam/link/protocol';
import type { KvStore, KvWrite } from '../store/kv.js';
import { nameKey, P, prefixRange } from '../store/keys.js';
import type { UserInfo } from './types.js';

interface StoredUser {
  name: string;
  role: Role;
  enabled: boolean;
  /** `scrypt$N$r$p$salt$hash` (base64 parts). */
  password: string;
  /** ms since epoch (absent for users stored before it was recorded). */
  createdAt?: number;
}

const N = 16384;
const R = 8;
const PARALLEL = 1;
const KEY_LEN = 32;
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.@-]{0,127}$/;
const ROLES: readonly Role[] = ['user', 'service', 'dba'];

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number, keyLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keyLen, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, R, PARALLEL, KEY_LEN);
  return `scrypt$${N}$${R}$${PARALLEL}$${salt.toString('base64')}$${key.toString('base64')}`;
}

async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p), expected.length);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** Validate a user name and role (INVALID_ARGUMENT). */
export function checkUser(name: string, role?: string): void {
  if (!USER_NAME.test(name)) throw new KalamError('INVALID_ARGUMENT', `invalid user name: ${JSON.stringify(name)}`);
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
    throw new KalamError('INVALID_ARGUMENT', `invalid role ${JSON.stringify(role)} (expected ${ROLES.join(', ')})`);
  }
}

/** The user table. Mutations return writes; apply them to memory after the batch commits. */
export class Users {
  private readonly users = new Map<string, StoredUser>();
  /** Names dropped by this process and not re-created: their in-flight statements are refused. */
  private readonly dropped = new Set<string>();

  static async load(kv: KvStore): Promise<Users> {
    const u = new Users();
    for await (const { value } of kv.range(prefixRange(Buffer.of(P.user)))) {
      const user = JSON.parse(value.toString('utf8')) as StoredUser;
      u.users.set(user.name, user);
    }
    return u;
  }

  get(name: string): UserInfo | undefined {
    const u = this.users.get(name);
    return u ? info(u) : undefined;
  }

  list(): UserInfo[] {
    return [...this.users.values()].map(info);
  }

  async verify(name: string, password: string): Promise<UserInfo | null> {
    const u = this.users.get(name);
    if (!u || typeof password !== 'string') return null;
    const ok = await checkPassword(password, u.password);
    const now = this.users.get(name);
    return ok && now && now.enabled ? info(now) : null;
  }

  /** Stored form of a new user (hashing happens here, outside the writer lock). */
  async prepareCreate(name: string, password: string, role: Role): Promise<StoredUser> {
    checkUser(name, role);
    if (typeof password !== 'string' || password.length === 0) throw new KalamError('INVALID_ARGUMENT', 'password must not be empty');
    return { name, role, enabled: true, password: await hashPassword(password), createdAt: Date.now() };
  }

  /** Hash a password (scrypt) for {@link withChange}. */
  hash(password: string): Promise<string> {
    if (typeof password !== 'string' || password.length === 0) throw new KalamError('INVALID_ARGUMENT', 'password must not be empty');
    return hashPassword(password);
  }

  /** The stored user with `change` applied (passwordHash from {@link hash}). */
  withChange(name: string, change: { enabled?: boolean; role?: Role }, passwordHash?: string): StoredUser {
    const u = this.users.get(name);
    if (!u) throw new KalamError('NOT_FOUND', `user ${name} does not exist`);
    if (change.role !== undefined) checkUser(name, change.role);
    return {
      ...u,
      ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(passwordHash !== undefined ? { password: passwordHash } : {}),
    };
  }

  has(name: string): boolean {
    return this.users.has(name);
  }

  putWrites(user: StoredUser): KvWrite[] {
    return [{ type: 'put', key: nameKey(P.user, user.name), value: Buffer.from(JSON.stringify(user)) }];
  }

  delWrites(name: string): KvWrite[] {
    return [{ type: 'del', key: nameKey(P.user, name) }];
  }

  applyPut(user: StoredUser): void {
    this.users.set(user.name, user);
    this.dropped.delete(user.name);
  }

  applyDel(name: string): void {
    this.users.delete(name);
    this.dropped.add(name);
  }

  /**
   * Why statements of `name` must be refused now (dropped or disabled since its credentials were
   * checked), or undefined. Names that never had a user record are not refused (engine-level callers).
   */
  refusal(name: string): 'dropped' | 'disabled' | undefined {
    if (this.dropped.has(name)) return 'dropped';
    const u = this.users.get(name);
    return u !== undefined && !u.enabled ? 'disabled' : undefined;
  }
}

function info(u: StoredUser): UserInfo {
  return { name: u.name, role: u.role, enabled: u.enabled, createdAt: u.createdAt ?? 0 };
}

export type { StoredUser };
