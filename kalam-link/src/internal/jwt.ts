/** Read a JWT's `exp` claim (no verification: the server verifies; the client only schedules refreshes). */
export function jwtExpiresAtMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const json: unknown = JSON.parse(atob(padded));
    if (typeof json === 'object' && json !== null && 'exp' in json && typeof json.exp === 'number' && Number.isFinite(json.exp)) {
      return json.exp * 1000;
    }
  } catch {
    // Not a JWT we can read: no scheduled refresh; the server's 4002 close still triggers one.
  }
  return undefined;
}
