/**
 * The dock's one base error. Every error another layer or a user may see is a DockError of some folder, with
 * a `code` from that folder's union; `daemon/error-catalogue.ts` maps each `<domain>.<code>` to its HTTP
 * status and the words a slot shows, and the README lists them. Domain code never speaks HTTP.
 */
export abstract class DockError<C extends string = string> extends Error {
  /** The folder the code belongs to (`ingest`, `retention`, `console`, `checkout`, `session`, …). */
  abstract readonly domain: string;

  constructor(
    readonly code: C,
    message: string,
    /** The input field at fault, when there is one (the console names it). */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** `<domain>.<code>`: the key of this error in the catalogue. */
  get key(): string {
    return `${this.domain}.${this.code}`;
  }
}
