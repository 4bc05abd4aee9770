import { Type, type Static } from '@sinclair/typebox';
import { ServiceError } from './services/errors.js';

/** `limit` and `cursor` of every list (CONTRACT: default 100, at most 1000). */
export const ListQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
};
export const ListQuerySchema = Type.Object(ListQuery, { additionalProperties: false });
export type ListQueryT = Static<typeof ListQuerySchema>;

/** An opaque cursor: the position after the last item, as base64url JSON. */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** Decode a cursor and check its shape; a cursor that is not one of this list is bad input naming `cursor`. */
export function decodeCursor<T>(s: string | undefined, valid: (v: unknown) => v is T): T | undefined {
  if (s === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  if (!valid(v)) throw new ServiceError('invalid', 'querystring.cursor: not a cursor of this list', 'cursor');
  return v;
}

/** Rows fetched with `limit + 1`: the page and the cursor after its last item (null at the end). */
export function page<T, O>(rows: T[], limit: number, cursorOf: (last: T) => unknown, map: (t: T) => O): { items: O[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items: items.map(map), next: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
export const isStr = (v: unknown): v is string => typeof v === 'string' && v.length <= 256;

/** `{ items, next }` response schema around an item schema. */
export function ListOf<T extends import('@sinclair/typebox').TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next: Type.Union([Type.String(), Type.Null()]) });
}
