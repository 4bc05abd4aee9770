import type { FastifyInstance } from 'fastify';

/** Security headers of every answer (HSTS under TLS); API answers are never cached. */
export function securityHeaders(tls: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
  if (tls) h['strict-transport-security'] = 'max-age=31536000';
  return h;
}

export function installSecurityHeaders(app: FastifyInstance, tls: boolean): void {
  const headers = securityHeaders(tls);
  app.addHook('onSend', async (_req, reply, payload) => {
    for (const [k, v] of Object.entries(headers)) if (!reply.hasHeader(k)) reply.header(k, v);
    // Answers are not cached unless their route says otherwise (the UI's files revalidate by ETag).
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
