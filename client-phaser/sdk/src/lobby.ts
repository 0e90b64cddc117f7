/**
 * The lobby: the server's room list (`GET /rooms`, PROTOCOL.md "HTTP"), polled every few seconds for
 * the menu. No Phaser imports.
 */
import { decodeRooms } from "./codec";
import type { RoomInfo } from "./protocol";

export type FetchLike = (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/**
 * Fetches and decodes the room list.
 *
 * @param base the server's origin; same origin when absent
 * @throws Error on an HTTP error, ProtocolError on a body of the wrong shape
 */
export async function fetchRooms(base = "", fetchFn: FetchLike = (u) => fetch(u)): Promise<RoomInfo[]> {
  const res = await fetchFn(`${base}/rooms`);
  if (!res.ok) throw new Error(`GET /rooms: HTTP ${res.status}`);
  return decodeRooms(await res.json());
}

/** Rooms sorted for the menu: the fullest first (where the players are), then by name. */
export function sortRooms(rooms: readonly RoomInfo[]): RoomInfo[] {
  return [...rooms].sort((a, b) => b.players - a.players || a.id.localeCompare(b.id));
}

/**
 * Polls the room list every `everyMs` and hands each result (or the error) to `onUpdate`. A poll
 * still running when the next is due is not doubled.
 */
export class LobbyPoller {
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy = false;
  private running = false;

  constructor(
    private readonly onUpdate: (rooms: RoomInfo[] | null, error: Error | null) => void,
    private readonly everyMs = 3000,
    private readonly load: () => Promise<RoomInfo[]> = () => fetchRooms(),
  ) {}

  start(): this {
    this.stop();
    this.running = true;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.everyMs);
    return this;
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rooms = sortRooms(await this.load());
      if (this.running) this.onUpdate(rooms, null);
    } catch (e) {
      if (this.running) this.onUpdate(null, e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.busy = false;
    }
  }
}
