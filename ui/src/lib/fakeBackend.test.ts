import { describe, expect, test } from "vitest";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "./demo";
import { FAKE_ACCOUNTS, FAKE_STORES, FakeBackend, MAX_FAILED_SIGN_INS, SIGN_IN_LOCK_MS } from "./fakeBackend";
import { can } from "./permissions";

const fake = new FakeBackend({ today: "2025-03-10", login: "admin" });

describe("FakeBackend", () => {
  test("null store and date give the first store's today", async () => {
    const day = await fake.boardDay(null, null);
    expect(day.store.id).toBe(FAKE_STORES[0]!.id);
    expect(day.date).toBe("2025-03-10");
    expect(day.stores).toHaveLength(FAKE_STORES.length);
  });

  test("the same store and day always give the same board", async () => {
    expect(await fake.boardDay("store-haidian", "2025-03-11")).toEqual(await fake.boardDay("store-haidian", "2025-03-11"));
  });

  test("lists doctors first and the unlisted ones after, as the real backend does", async () => {
    const day = await new FakeBackend({ doctorCount: 60, today: "2025-03-10", login: "admin" }).boardDay(null, null);
    expect(day.doctors).toHaveLength(60);
    const firstUnlisted = day.doctors.findIndex((d) => !d.listed);
    expect(firstUnlisted).toBeGreaterThan(0);
    expect(day.doctors.slice(firstUnlisted).every((d) => !d.listed)).toBe(true);
    expect(new Set(day.doctors.map((d) => d.id)).size).toBe(60);
  });

  test("every appointment belongs to a doctor of the board and lies in one of their working periods", async () => {
    const day = await fake.boardDay(null, "2025-03-10");
    expect(day.appointments.length).toBeGreaterThan(0);
    for (const a of day.appointments) {
      const doctor = day.doctors.find((d) => d.id === a.doctorId)!;
      expect(doctor).toBeDefined();
      expect(doctor.periods.some((p) => p.startMin <= a.startMin && a.endMin <= p.endMin)).toBe(true);
      expect(a.startMin >= day.dayStartMin && a.endMin <= day.dayEndMin).toBe(true);
    }
  });

  test("past days hold no appointments still waiting to happen", async () => {
    const day = await fake.boardDay(null, "2025-03-01");
    expect(day.appointments.filter((a) => a.state === "pending" || a.state === "confirmed")).toEqual([]);
  });

  test("rejects an unknown store or a malformed date with a {code, message} error", async () => {
    await expect(fake.boardDay("nope", null)).rejects.toMatchObject({ code: "store_not_found" });
    await expect(fake.boardDay(null, "2025-02-30")).rejects.toMatchObject({ code: "invalid_date" });
  });
});

describe("FakeBackend sessions", () => {
  test("every demo account of the sign-in hint signs in with the demo password", async () => {
    for (const { login, role } of DEMO_ACCOUNTS) {
      const session = await new FakeBackend().signIn(login, DEMO_PASSWORD);
      expect(session.role, login).toBe(role);
      expect(session.stores.map((s) => s.id), login).toContain(session.storeId);
      expect(can(session, "view_board"), login).toBe(true);
    }
    expect(FAKE_ACCOUNTS.map((a) => a.login)).toEqual(DEMO_ACCOUNTS.map((a) => a.login));
  });

  test("a wrong login or password rejects with sign_in_failed and leaves nobody signed in", async () => {
    const backend = new FakeBackend();
    await expect(backend.signIn("front.bj01", "demo12345")).rejects.toEqual({ code: "sign_in_failed", message: "账号或密码不正确。" });
    await expect(backend.signIn("nobody", DEMO_PASSWORD)).rejects.toMatchObject({ code: "sign_in_failed" });
    expect(await backend.session()).toBeNull();
  });

  test("five failures in a row lock sign-in for 60 s, even with the right password, then it works again", async () => {
    let now = 1_000_000;
    const backend = new FakeBackend({ clock: () => now });
    for (let i = 1; i < MAX_FAILED_SIGN_INS; i++) {
      await expect(backend.signIn("admin", "x")).rejects.toMatchObject({ code: "sign_in_failed" });
    }
    await expect(backend.signIn("admin", "x")).rejects.toEqual({
      code: "too_many_attempts",
      message: "登录失败次数过多，请 60 秒后再试。",
    });
    now += 20_000;
    await expect(backend.signIn("admin", DEMO_PASSWORD)).rejects.toEqual({
      code: "too_many_attempts",
      message: "登录失败次数过多，请 40 秒后再试。",
    });
    now += SIGN_IN_LOCK_MS;
    expect((await backend.signIn("admin", DEMO_PASSWORD)).name).toBe("陈立明");
  });

  test("a successful sign-in resets the failure count", async () => {
    const backend = new FakeBackend({ clock: () => 0 });
    for (let i = 1; i < MAX_FAILED_SIGN_INS; i++) await backend.signIn("admin", "x").catch(() => {});
    await backend.signIn("admin", DEMO_PASSWORD);
    await expect(backend.signIn("admin", "x")).rejects.toMatchObject({ code: "sign_in_failed" });
  });

  test("boardDay without a session rejects with not_signed_in, also after sign-out", async () => {
    await expect(new FakeBackend().boardDay(null, null)).rejects.toMatchObject({ code: "not_signed_in" });
    const backend = new FakeBackend({ login: "front.bj01" });
    await backend.signOut();
    expect(await backend.session()).toBeNull();
    await expect(backend.boardDay(null, null)).rejects.toMatchObject({ code: "not_signed_in" });
  });

  test("a staff member sees only their stores; the default board is their default store", async () => {
    const backend = new FakeBackend({ today: "2025-03-10", login: "opto.bj02" });
    const day = await backend.boardDay(null, null);
    expect(day.store.id).toBe("store-haidian");
    expect(day.stores.map((s) => s.id)).toEqual(["store-haidian"]);
    await expect(backend.boardDay("store-chaoyang", null)).rejects.toMatchObject({ code: "not_in_store" });
  });

  test("permissions follow the role matrix of DOMAIN.md section 1", async () => {
    const front = (await new FakeBackend({ login: "front.bj01" }).session())!;
    const opto = (await new FakeBackend({ login: "opto.bj02" }).session())!;
    const manager = (await new FakeBackend({ login: "manager.bj01" }).session())!;
    expect(can(front, "refund_fee")).toBe(true);
    expect(can(front, "undo_check_in")).toBe(false);
    expect(can(front, "view_clinical")).toBe(false);
    expect(can(opto, "edit_clinical")).toBe(true);
    expect(can(opto, "book_appointment")).toBe(false);
    expect(can(manager, "edit_store_settings")).toBe(true);
  });

  test("error messages follow the language set with setLanguage", async () => {
    const backend = new FakeBackend();
    await backend.setLanguage("en");
    await expect(backend.boardDay(null, null)).rejects.toEqual({
      code: "not_signed_in",
      message: "Your session has ended. Please sign in again.",
    });
    await backend.setLanguage("zh-TW");
    await expect(backend.signIn("admin", "x")).rejects.toEqual({ code: "sign_in_failed", message: "帳號或密碼不正確。" });
  });

  test("the session handed out is a copy: changing it does not change the backend's", async () => {
    const backend = new FakeBackend({ login: "admin" });
    const session = (await backend.session())!;
    session.stores.pop();
    session.permissions.length = 0;
    expect((await backend.session())!.stores).toHaveLength(FAKE_STORES.length);
    expect((await backend.session())!.permissions.length).toBeGreaterThan(0);
  });
});
