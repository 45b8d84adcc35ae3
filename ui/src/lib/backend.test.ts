import { invoke } from "@tauri-apps/api/core";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { TauriBackend, toBackendError } from "./backend";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

describe("TauriBackend", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  test("calls the board_day command with camelCase storeId and date", async () => {
    invokeMock.mockResolvedValueOnce({ date: "2025-03-10" });
    await new TauriBackend().boardDay("store-1", "2025-03-10");
    expect(invokeMock).toHaveBeenCalledWith("board_day", { storeId: "store-1", date: "2025-03-10" });
  });

  test("passes null for the default store and today", async () => {
    invokeMock.mockResolvedValueOnce({});
    await new TauriBackend().boardDay(null, null);
    expect(invokeMock).toHaveBeenCalledWith("board_day", { storeId: null, date: null });
  });

  test("rejects with the {code, message} that Rust sent", async () => {
    invokeMock.mockRejectedValueOnce({ code: "store_not_found", message: "找不到该门店", extra: 1 });
    await expect(new TauriBackend().boardDay("x", null)).rejects.toEqual({ code: "store_not_found", message: "找不到该门店" });
  });

  test("rejects with code unexpected when IPC itself fails", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    invokeMock.mockRejectedValueOnce("command board_day not found");
    await expect(new TauriBackend().boardDay(null, null)).rejects.toEqual({ code: "unexpected", message: "" });
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });
});

describe("toBackendError", () => {
  test("keeps only code and message of a backend error", () => {
    expect(toBackendError({ code: "a", message: "b", stack: "c" })).toEqual({ code: "a", message: "b" });
  });

  test("anything else becomes an unexpected error with no message, for the UI to word", () => {
    for (const e of [new Error("boom"), "text", null, undefined, { code: 1, message: "x" }, { message: "no code" }]) {
      expect(toBackendError(e)).toEqual({ code: "unexpected", message: "" });
    }
  });
});
