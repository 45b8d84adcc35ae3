// The board the user is looking at: what was loaded, what is loading, and the last error.

import type { BoardDay } from "../bindings/BoardDay";
import { toBackendError, type Backend, type BackendError } from "./backend";

/**
 * How long a load runs before the desk says so (the board dimmed, "加载中…" in the header). A quicker load
 * shows the new day straight away: flashing the old board dimmed for a moment costs a full repaint of it,
 * which only delays the new one.
 */
export const SLOW_LOAD_MS = 250;

export class BoardState {
  /** The last board that loaded; kept on screen while the next one loads or fails. */
  // Raw: a loaded day is replaced whole, never changed in place, and a deep proxy over 2,400 cards costs more
  // than drawing them.
  day = $state.raw<BoardDay | null>(null);
  loading = $state(false);
  /** A load has been running for {@link SLOW_LOAD_MS} or more: the board is shown as out of date. */
  slow = $state(false);
  error = $state<BackendError | null>(null);

  readonly #backend: Pick<Backend, "boardDay">;
  #request = 0;
  #last: { storeId: string | null; date: string | null } = { storeId: null, date: null };
  #slowTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(backend: Pick<Backend, "boardDay">) {
    this.#backend = backend;
  }

  /** Loads a board. When calls overlap, only the latest one's answer or error is kept. */
  async load(storeId: string | null, date: string | null): Promise<void> {
    const request = ++this.#request;
    this.#last = { storeId, date };
    this.loading = true;
    clearTimeout(this.#slowTimer);
    this.#slowTimer = setTimeout(() => {
      if (request === this.#request) this.slow = true;
    }, SLOW_LOAD_MS);
    try {
      const day = await this.#backend.boardDay(storeId, date);
      if (request !== this.#request) return;
      this.day = day;
      this.error = null;
    } catch (e) {
      if (request !== this.#request) return;
      this.error = toBackendError(e);
    } finally {
      if (request === this.#request) {
        this.loading = false;
        this.slow = false;
        clearTimeout(this.#slowTimer);
      }
    }
  }

  /**
   * Reloads the shown board quietly (no loading state, errors ignored): for polling and after commands.
   * A load in flight wins over it.
   */
  async refresh(): Promise<void> {
    if (this.loading || !this.day) return;
    const request = ++this.#request;
    try {
      const day = await this.#backend.boardDay(this.#last.storeId, this.#last.date);
      if (request === this.#request) this.day = day;
    } catch {
      // The next poll or load tries again; a lost session is handled by the SessionGuard.
    }
  }

  /** Repeats the last load, e.g. after an error. */
  retry(): Promise<void> {
    return this.load(this.#last.storeId, this.#last.date);
  }

  dismissError(): void {
    this.error = null;
  }
}
