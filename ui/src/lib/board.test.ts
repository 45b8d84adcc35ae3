import { describe, expect, test } from "vitest";
import type { BoardDay } from "../bindings/BoardDay";
import type { Backend } from "./backend";
import { BoardState } from "./board.svelte";
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
