import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { SyncView } from "../bindings/SyncView";
import { SessionGuard, TauriBackend, toBackendError } from "./backend";
import { FakeBackend } from "./fakeBackend";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

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

describe("TauriBackend session commands", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  test("sign_in sends login and password and returns the session", async () => {
    const session = { staffId: "s", name: "刘婷", role: "receptionist", stores: [], storeId: "a", permissions: [] };
    invokeMock.mockResolvedValueOnce(session);
    expect(await new TauriBackend().signIn("front.bj01", "demo1234")).toEqual(session);
    expect(invokeMock).toHaveBeenCalledWith("sign_in", { login: "front.bj01", password: "demo1234" });
  });

  test("sign_in rejects with the backend's {code, message}", async () => {
    invokeMock.mockRejectedValueOnce({ code: "too_many_attempts", message: "请 60 秒后再试" });
    await expect(new TauriBackend().signIn("a", "b")).rejects.toEqual({ code: "too_many_attempts", message: "请 60 秒后再试" });
  });

  test("session, sign_out and set_language call their commands", async () => {
    invokeMock.mockResolvedValue(null);
    const backend = new TauriBackend();
    expect(await backend.session()).toBeNull();
    await backend.signOut();
    await backend.setLanguage("zh-TW");
    expect(invokeMock.mock.calls).toEqual([
      ["session", {}],
      ["sign_out", {}],
      ["set_language", { lang: "zh-TW" }],
    ]);
  });
});

describe("TauriBackend desk commands", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  test("sends camelCase command arguments and the command's own snake_case args untouched", async () => {
    invokeMock.mockResolvedValue({ deviceSeq: 1, mutationId: "m", warnings: [] });
    const backend = new TauriBackend();
    await backend.appointmentDetail("appt-1");
    await backend.execute("fee.refund_cash@1", { refund_id: "r-1", fee_id: "fee-1", reason: "患者来电" });
    await backend.cancellationInbox("store-1");
    expect(invokeMock.mock.calls).toEqual([
      ["appointment_detail", { appointmentId: "appt-1" }],
      ["execute", { name: "fee.refund_cash@1", args: { refund_id: "r-1", fee_id: "fee-1", reason: "患者来电" } }],
      ["cancellation_inbox", { storeId: "store-1" }],
    ]);
  });

  test("store_settings, doctor_week and the store commands send their arguments as Rust expects", async () => {
    invokeMock.mockResolvedValue({});
    const backend = new TauriBackend();
    await backend.storeSettings("store-1");
    await backend.doctorWeek("store-1", "doc-1", null);
    await backend.doctorWeek("store-1", "doc-1", "2025-03-10");
    await backend.execute("store.set_doctor_order@1", { store_id: "store-1", doctor_ids: ["doc-2", "doc-1"] });
    await backend.execute("store.set_doctor_hidden@1", { store_id: "store-1", doctor_id: "doc-2", hidden: true });
    expect(invokeMock.mock.calls).toEqual([
      ["store_settings", { storeId: "store-1" }],
      ["doctor_week", { storeId: "store-1", doctorId: "doc-1", from: null }],
      ["doctor_week", { storeId: "store-1", doctorId: "doc-1", from: "2025-03-10" }],
      ["execute", { name: "store.set_doctor_order@1", args: { store_id: "store-1", doctor_ids: ["doc-2", "doc-1"] } }],
      ["execute", { name: "store.set_doctor_hidden@1", args: { store_id: "store-1", doctor_id: "doc-2", hidden: true } }],
    ]);
  });

  test("a refused command rejects with the backend's code and message", async () => {
    invokeMock.mockRejectedValueOnce({ code: "refund_first", message: "请先退费再取消预约。" });
    await expect(
      new TauriBackend().execute("appointment.cancel@1", { appointment_id: "a", reason: "x" }),
    ).rejects.toEqual({ code: "refund_first", message: "请先退费再取消预约。" });
  });
});

describe("TauriBackend sync commands", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    listenMock.mockReset();
  });

  test("each sync command is invoked by its name with camelCase arguments", async () => {
    invokeMock.mockResolvedValue(null);
    const backend = new TauriBackend();
    await backend.syncStatus();
    await backend.syncNow();
    await backend.syncDetails(50);
    await backend.syncConflicts("store-1");
    await backend.serverConnect("https://sync.example.cn", "manager.bj01", "secret");
    await backend.serverDisconnect();
    await backend.resolveConflict("c-1", "rebooked:appt-9");
    expect(invokeMock.mock.calls).toEqual([
      ["sync_status", {}],
      ["sync_now", {}],
      ["sync_details", { limit: 50 }],
      ["sync_conflicts", { storeId: "store-1" }],
      ["server_connect", { url: "https://sync.example.cn", login: "manager.bj01", password: "secret" }],
      ["server_disconnect", {}],
      ["resolve_conflict", { id: "c-1", how: "rebooked:appt-9" }],
    ]);
  });

  test("server_connect rejects with the backend's code", async () => {
    invokeMock.mockRejectedValueOnce({ code: "server_unreachable", message: "无法连接服务器" });
    await expect(new TauriBackend().serverConnect("https://x", "a", "b")).rejects.toEqual({ code: "server_unreachable", message: "无法连接服务器" });
  });

  test("onSyncStatus listens to the sync-status event and unlistens, even before listen resolved", async () => {
    const unlisten = vi.fn();
    let handler: ((event: { payload: SyncView }) => void) | undefined;
    listenMock.mockImplementation(async (_name, h) => {
      handler = h as typeof handler;
      return unlisten;
    });
    const seen: SyncView[] = [];
    const stop = new TauriBackend().onSyncStatus((v) => seen.push(v));
    expect(listenMock).toHaveBeenCalledWith("sync-status", expect.any(Function));
    await Promise.resolve();
    handler!({ payload: { state: "online" } as SyncView });
    expect(seen.map((v) => v.state)).toEqual(["online"]);
    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);

    const late = vi.fn();
    listenMock.mockImplementationOnce(() => new Promise((resolve) => setTimeout(() => resolve(late), 5)));
    new TauriBackend().onSyncStatus(() => {})();
    await new Promise((r) => setTimeout(r, 10));
    expect(late).toHaveBeenCalledTimes(1);
  });
});

describe("SessionGuard", () => {
  test("reports not_signed_in from any call and still rejects with it", async () => {
    const lost = vi.fn();
    const guard = new SessionGuard(new FakeBackend(), lost);
    await expect(guard.boardDay(null, null)).rejects.toMatchObject({ code: "not_signed_in" });
    expect(lost).toHaveBeenCalledTimes(1);
  });

  test("other errors and answers pass through without reporting", async () => {
    const lost = vi.fn();
    const guard = new SessionGuard(new FakeBackend({ today: "2025-03-10" }), lost);
    await expect(guard.signIn("admin", "wrong")).rejects.toMatchObject({ code: "sign_in_failed" });
    expect((await guard.signIn("admin", "demo1234")).name).toBe("陈立明");
    await expect(guard.boardDay("nope", null)).rejects.toMatchObject({ code: "store_not_found" });
    expect((await guard.boardDay(null, null)).date).toBe("2025-03-10");
    expect(lost).not.toHaveBeenCalled();
  });
});

describe("SessionGuard and sync", () => {
  test("passes the sync calls and the status subscription through", async () => {
    const fake = new FakeBackend({ today: "2025-03-10", login: "front.bj01" });
    const guard = new SessionGuard(fake, vi.fn());
    const seen: string[] = [];
    const stop = guard.onSyncStatus((v) => seen.push(v.state));
    fake.sync.setOnline(false);
    stop();
    fake.sync.setOnline(true);
    expect(seen).toEqual(["local_only"]);
    expect((await guard.syncStatus()).state).toBe("local_only");
    await expect(guard.serverConnect("https://x.cn", "manager.bj01", "demo1234")).rejects.toMatchObject({ code: "forbidden" });
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
