import { describe, expect, test, vi } from "vitest";
import type { BoardDay } from "../bindings/BoardDay";
import type { Backend } from "./backend";
import { BoardState, SLOW_LOAD_MS } from "./board.svelte";
import { FakeBackend } from "./fakeBackend";

/** A backend whose answers the test releases by hand, in any order. */
class ManualBackend implements Pick<Backend, "boardDay"> {
  calls: Array<{ storeId: string | null; date: string | null; resolve: (d: BoardDay) => void; reject: (e: unknown) => void }> = [];
  boardDay(storeId: string | null, date: string | null): Promise<BoardDay> {
    return new Promise((resolve, reject) => this.calls.push({ storeId, date, resolve, reject }));
  }
}

const fake = new FakeBackend({ today: "2025-03-10", login: "admin" });
const dayOf = (date: string) => fake.boardDay(null, date);

describe("BoardState", () => {
  test("a quick load is not announced, a slow one is until its answer arrives", async () => {
    vi.useFakeTimers();
    try {
      const backend = new ManualBackend();
      const board = new BoardState(backend);
      const quick = board.load(null, "2025-03-10");
      vi.advanceTimersByTime(SLOW_LOAD_MS - 1);
      expect([board.loading, board.slow]).toEqual([true, false]);
      backend.calls[0]!.resolve(await dayOf("2025-03-10"));
      await quick;
      vi.advanceTimersByTime(SLOW_LOAD_MS);
      expect([board.loading, board.slow]).toEqual([false, false]);

      const slowLoad = board.load(null, "2025-03-11");
      vi.advanceTimersByTime(SLOW_LOAD_MS);
      expect([board.loading, board.slow]).toEqual([true, true]);
      backend.calls[1]!.resolve(await dayOf("2025-03-11"));
      await slowLoad;
      expect([board.loading, board.slow, board.day?.date]).toEqual([false, false, "2025-03-11"]);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a superseded slow load does not mark its successor slow early", async () => {
    vi.useFakeTimers();
    try {
      const backend = new ManualBackend();
      const board = new BoardState(backend);
      void board.load(null, "2025-03-10");
      vi.advanceTimersByTime(SLOW_LOAD_MS - 10);
      const second = board.load(null, "2025-03-11");
      vi.advanceTimersByTime(20);
      expect(board.slow).toBe(false);
      vi.advanceTimersByTime(SLOW_LOAD_MS);
      expect(board.slow).toBe(true);
      backend.calls[1]!.resolve(await dayOf("2025-03-11"));
      await second;
      expect(board.slow).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a slow earlier answer does not replace a later one", async () => {
    const backend = new ManualBackend();
    const board = new BoardState(backend);
    const first = board.load(null, "2025-03-10");
    const second = board.load(null, "2025-03-11");
    backend.calls[1]!.resolve(await dayOf("2025-03-11"));
    await second;
    backend.calls[0]!.resolve(await dayOf("2025-03-10"));
    await first;
    expect(board.day?.date).toBe("2025-03-11");
    expect(board.loading).toBe(false);
  });

  test("an error of a superseded load is not shown", async () => {
    const backend = new ManualBackend();
    const board = new BoardState(backend);
    const first = board.load(null, "2025-03-10");
    const second = board.load(null, "2025-03-11");
    backend.calls[0]!.reject({ code: "x", message: "old" });
    await first;
    expect(board.error).toBeNull();
    expect(board.loading).toBe(true);
    backend.calls[1]!.resolve(await dayOf("2025-03-11"));
    await second;
    expect(board.loading).toBe(false);
  });

  test("a failed load keeps the previous board and shows the backend's message", async () => {
    const backend = new ManualBackend();
    const board = new BoardState(backend);
    const ok = board.load(null, "2025-03-10");
    backend.calls[0]!.resolve(await dayOf("2025-03-10"));
    await ok;
    const failed = board.load(null, "2025-03-11");
    backend.calls[1]!.reject({ code: "db_locked", message: "数据库忙，请稍后重试。" });
    await failed;
    expect(board.day?.date).toBe("2025-03-10");
    expect(board.error).toEqual({ code: "db_locked", message: "数据库忙，请稍后重试。" });
  });

  test("retry repeats the last request and a success clears the error", async () => {
    const backend = new ManualBackend();
    const board = new BoardState(backend);
    const failed = board.load("store-haidian", "2025-03-12");
    backend.calls[0]!.reject({ code: "x", message: "y" });
    await failed;
    const retried = board.retry();
    expect(backend.calls[1]).toMatchObject({ storeId: "store-haidian", date: "2025-03-12" });
    backend.calls[1]!.resolve(await fake.boardDay("store-haidian", "2025-03-12"));
    await retried;
    expect(board.error).toBeNull();
    expect(board.day?.store.id).toBe("store-haidian");
  });
});
