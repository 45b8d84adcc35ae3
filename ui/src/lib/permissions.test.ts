import { describe, expect, test } from "vitest";
import type { Session } from "../bindings/Session";
import { can, PERMISSIONS, rolePermissions, worksIn } from "./permissions";

const session = (permissions: string[]): Session => ({
  staffId: "s1",
  name: "刘婷",
  role: "receptionist",
  stores: [{ id: "store-a", name: "A", timezone: "Asia/Shanghai" }],
  storeId: "store-a",
  permissions,
});

describe("can", () => {
  test("allows exactly the permissions the session lists", () => {
    const s = session(["view_board", "refund_fee"]);
    expect(can(s, "view_board")).toBe(true);
    expect(can(s, "refund_fee")).toBe(true);
    expect(can(s, "charge_fee")).toBe(false);
    expect(can(s, "edit_store_settings")).toBe(false);
  });

  test("nobody signed in may do nothing", () => {
    for (const p of PERMISSIONS) {
      expect(can(null, p)).toBe(false);
      expect(can(undefined, p)).toBe(false);
    }
  });

  test("goes by the list the backend sent, never by the role name", () => {
    const manager = { ...session([]), role: "manager" as const };
    expect(can(manager, "edit_store_settings")).toBe(false);
    const receptionist = session(["undo_check_in"]);
    expect(can(receptionist, "undo_check_in")).toBe(true);
  });

  test("an unknown permission string from a newer backend grants nothing known", () => {
    const s = session(["print_labels"]);
    expect(PERMISSIONS.some((p) => can(s, p))).toBe(false);
  });
});

describe("worksIn", () => {
  test("is true only for the session's stores", () => {
    expect(worksIn(session([]), "store-a")).toBe(true);
    expect(worksIn(session([]), "store-b")).toBe(false);
    expect(worksIn(null, "store-a")).toBe(false);
  });
});

describe("rolePermissions (the fake's copy of the Rust role matrix)", () => {
  test("managers hold every permission", () => {
    expect(rolePermissions("manager")).toEqual([...PERMISSIONS]);
  });

  test("receptionists work the desk: appointments, fees, refunds, the cancellation inbox; nothing clinical or managerial", () => {
    const r = rolePermissions("receptionist");
    for (const p of ["view_board", "book_appointment", "manage_appointment", "charge_fee", "refund_fee", "handle_cancellation_requests"] as const) {
      expect(r).toContain(p);
    }
    for (const p of ["undo_check_in", "edit_doctor_order", "edit_store_settings", "view_clinical", "edit_clinical", "resolve_conflicts", "view_reports"] as const) {
      expect(r).not.toContain(p);
    }
  });

  test("optometrists do clinical work and their appointments, but no fees and no booking", () => {
    const o = rolePermissions("optometrist");
    expect(o).toEqual(expect.arrayContaining(["view_board", "manage_appointment", "view_clinical", "edit_clinical"]));
    for (const p of ["refund_fee", "charge_fee", "book_appointment", "edit_doctor_order"] as const) expect(o).not.toContain(p);
  });
});
