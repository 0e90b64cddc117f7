/**
 * Keeps the resume token of this tab's game in `sessionStorage`, so that reloading the page takes
 * back the same seat (PROTOCOL.md "Sessions and reconnecting") while the server holds it.
 *
 * `sessionStorage` belongs to one tab and survives reloads; a tab duplicated by the browser (or
 * opened by `window.open`) starts with a copy, so it takes the seat over and the first tab gets
 * `bye` `replaced` ("opened in another tab"). A clean leave (back to the menu) and any end of the
 * session clear it. No Phaser imports.
 */

/** The part of the Web Storage API used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface StoredSession {
  readonly token: string;
  readonly room: string;
}

const KEY = "tickstate.session";

export class SessionStore {
  constructor(private readonly storage: StorageLike | null = defaultStorage()) {}

  /**
   * The token to resume with when joining `room` (undefined: matchmaking). A token held for another
   * room than the one asked for is not used (the server would ignore the room and resume there).
   */
  tokenFor(room: string | undefined): string | undefined {
    const s = this.load();
    if (!s) return undefined;
    return room === undefined || room === s.room ? s.token : undefined;
  }

  load(): StoredSession | null {
    try {
      const raw = this.storage?.getItem(KEY);
      if (!raw) return null;
      const v: unknown = JSON.parse(raw);
      if (typeof v !== "object" || v === null) return null;
      const { token, room } = v as Record<string, unknown>;
      return typeof token === "string" && typeof room === "string" ? { token, room } : null;
    } catch {
      return null;
    }
  }

  save(token: string, room: string): void {
    try {
      this.storage?.setItem(KEY, JSON.stringify({ token, room }));
    } catch {
      // Storage full or disabled: a reload then simply joins afresh.
    }
  }

  clear(): void {
    try {
      this.storage?.removeItem(KEY);
    } catch {
      // As above.
    }
  }
}

function defaultStorage(): StorageLike | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // some privacy modes throw on access
  }
}
