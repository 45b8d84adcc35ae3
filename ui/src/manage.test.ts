// @vitest-environment jsdom
// Manager tools on the fake backend: doctor order, store settings; and for everyone: filters and the week view.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, test } from "vitest";
import App from "./App.svelte";
import { FakeBackend } from "./lib/fakeBackend";

const TODAY = "2025-03-12"; // a Wednesday
const NOW = Date.UTC(2025, 2, 12, 2, 0);
const clock = () => new Date(NOW);
const STORE = "store-chaoyang";

async function desk(login: string) {
  const backend = new FakeBackend({ today: TODAY, login, clock: () => NOW });
  render(App, { backend, clock });
  await screen.findByTestId("board-grid");
  return backend;
}

const columnIds = () => [...document.querySelectorAll<HTMLElement>('[data-testid="doctor-column"]')].map((c) => c.dataset.doctorId);
const short = (id: string | undefined) => id?.replace(`${STORE}-`, "");

describe("doctor order", () => {
  test("reorder moves a doctor and the board's columns follow", async () => {
    const backend = await desk("manager.bj01");
    expect(columnIds().slice(0, 3).map(short)).toEqual(["doc-1", "doc-2", "doc-3"]);
    await fireEvent.click(screen.getByTestId("open-doctor-order"));
    const panel = await screen.findByTestId("doctor-order");
    const rows = within(panel).getAllByTestId("order-row");
    expect(rows.map((r) => short(r.dataset.doctorId))).toEqual(["doc-1", "doc-2", "doc-3", "doc-4", "doc-5", "doc-6", "doc-7"]);
    expect((within(rows[0]!).getByTestId("order-up") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(within(rows[2]!).getByTestId("order-up"));
    await fireEvent.click(screen.getByTestId("order-save"));
    await waitFor(() => expect(screen.queryByTestId("doctor-order")).toBeNull());
    await waitFor(() => expect(columnIds().slice(0, 3).map(short)).toEqual(["doc-1", "doc-3", "doc-2"]));
    expect((await backend.boardDay(STORE, null)).doctors[1]!.id).toBe(`${STORE}-doc-3`);
  });

  test("hiding keeps the position; adding an unlisted doctor puts them last of the listed", async () => {
    const backend = await desk("manager.bj01");
    await fireEvent.click(screen.getByTestId("open-doctor-order"));
    const panel = await screen.findByTestId("doctor-order");
    const rows = within(panel).getAllByTestId("order-row");
    const visible = within(rows[1]!).getByTestId("order-hidden") as HTMLInputElement;
    expect(visible.checked).toBe(true);
    await fireEvent.click(visible);
    const unlisted = within(panel).getAllByTestId("order-unlisted-row");
    expect(unlisted.map((r) => short(r.dataset.doctorId))).toEqual(["doc-8"]);
    await fireEvent.click(within(unlisted[0]!).getByTestId("order-add"));
    const after = within(panel).getAllByTestId("order-row");
    expect(after.map((r) => short(r.dataset.doctorId))).toEqual(["doc-1", "doc-2", "doc-3", "doc-4", "doc-5", "doc-6", "doc-7", "doc-8"]);
    await fireEvent.click(screen.getByTestId("order-save"));
    await waitFor(() => expect(screen.queryByTestId("doctor-order")).toBeNull());
    const day = await backend.boardDay(STORE, null);
    expect(day.doctors.map((d) => short(d.id))).toEqual(["doc-1", "doc-2", "doc-3", "doc-4", "doc-5", "doc-6", "doc-7", "doc-8"]);
    expect(day.doctors[1]!.hiddenFromPatients).toBe(true);
    expect(day.doctors.every((d) => d.listed)).toBe(true);
  });

  test("receptionists see no order or settings buttons", async () => {
    await desk("front.bj01");
    expect(screen.queryByTestId("open-doctor-order")).toBeNull();
    expect(screen.queryByTestId("open-settings")).toBeNull();
  });
});

describe("store settings", () => {
  test("settings validation and save, with a confirmation when the cancellation policy changes", async () => {
    const backend = await desk("manager.bj01");
    await fireEvent.click(screen.getByTestId("open-settings"));
    const panel = await screen.findByTestId("settings");
    const capacity = (await within(panel).findByTestId("settings-capacity")) as HTMLInputElement;
    expect(capacity.value).toBe("1");
    expect((within(panel).getByTestId("policy-request_only") as HTMLInputElement).checked).toBe(true);

    await fireEvent.input(capacity, { target: { value: "11" } });
    await fireEvent.click(within(panel).getByTestId("settings-save"));
    expect(within(panel).getByTestId("capacity-error").textContent).toBe("请输入 1 到 10 之间的整数。");
    expect((await backend.storeSettings(STORE)).capacity_per_slot).toBe(1);

    await fireEvent.input(capacity, { target: { value: "3" } });
    expect(within(panel).queryByTestId("capacity-error")).toBeNull();
    await fireEvent.click(within(panel).getByTestId("policy-not_allowed"));
    await fireEvent.click(within(panel).getByTestId("settings-save"));
    // A change of the policy asks first.
    const confirm = await screen.findByTestId("confirm-ok");
    expect(document.body.textContent).toContain("患者端将立即生效");
    expect((await backend.storeSettings(STORE)).cancellation_policy).toBe("request_only");
    await fireEvent.click(confirm);
    await within(panel).findByTestId("settings-saved");
    expect(await backend.storeSettings(STORE)).toMatchObject({ cancellation_policy: "not_allowed", capacity_per_slot: 3 });

    // No policy change: saved without asking.
    await fireEvent.input(capacity, { target: { value: "2" } });
    await fireEvent.click(within(panel).getByTestId("settings-save"));
    await waitFor(async () => expect((await backend.storeSettings(STORE)).capacity_per_slot).toBe(2));
    expect(screen.queryByTestId("confirm-ok")).toBeNull();
  });
});

describe("visit-type rules", () => {
  test("rules are added, reordered and removed; problems show next to the field and block saving; saved rules reach the backend", async () => {
    const backend = await desk("manager.bj01");
    await fireEvent.click(screen.getByTestId("open-settings"));
    const panel = await screen.findByTestId("settings");
    const editor = await within(panel).findByTestId("visit-rules");
    const rows = () => within(editor).queryAllByTestId("rule-row");
    expect(rows()).toHaveLength(0);
    expect(within(editor).getByTestId("rules-fallback").textContent).toContain("初诊");

    // Rule 1: 牙痛 → 检查, but no visit type chosen yet.
    await fireEvent.click(within(editor).getByTestId("rule-add"));
    const complaint = within(rows()[0]!).getByTestId("rule-complaint") as HTMLSelectElement;
    await waitFor(() => expect(document.activeElement).toBe(complaint));
    await fireEvent.change(complaint, { target: { value: "cc-tooth" } });
    await fireEvent.click(within(panel).getByTestId("settings-save"));
    const missing = within(rows()[0]!).getByTestId("rule-error");
    expect(missing.dataset.field).toBe("visitType");
    expect(missing.textContent).toBe("请选择就诊类型。");
    expect((await backend.storeSettings(STORE)).visit_type_rules).toEqual([]);
    await fireEvent.change(within(rows()[0]!).getByTestId("rule-visit-type"), { target: { value: "exam" } });
    expect(within(rows()[0]!).queryByTestId("rule-error")).toBeNull();

    // Rule 2 (any complaint, returning patients → 复诊), then moved to the top; a third, covered by it, is refused.
    await fireEvent.click(within(editor).getByTestId("rule-add"));
    await fireEvent.change(within(rows()[1]!).getByTestId("rule-previous"), { target: { value: "return" } });
    await fireEvent.change(within(rows()[1]!).getByTestId("rule-visit-type"), { target: { value: "return" } });
    await fireEvent.click(within(rows()[1]!).getByTestId("rule-up"));
    expect((within(rows()[0]!).getByTestId("rule-visit-type") as HTMLSelectElement).value).toBe("return");
    await fireEvent.click(within(editor).getByTestId("rule-add"));
    await fireEvent.change(within(rows()[2]!).getByTestId("rule-complaint"), { target: { value: "cc-fever" } });
    await fireEvent.change(within(rows()[2]!).getByTestId("rule-previous"), { target: { value: "return" } });
    await fireEvent.change(within(rows()[2]!).getByTestId("rule-visit-type"), { target: { value: "treatment" } });
    await fireEvent.click(within(panel).getByTestId("settings-save"));
    expect(within(rows()[2]!).getByTestId("rule-error").textContent).toContain("规则 1 已包含这种情况");
    expect(within(panel).getByTestId("settings-error").textContent).toBe("请先修正规则中标出的问题。");
    await fireEvent.click(within(rows()[2]!).getByTestId("rule-remove"));
    expect(rows()).toHaveLength(2);

    await fireEvent.click(within(panel).getByTestId("settings-save"));
    await within(panel).findByTestId("settings-saved");
    expect((await backend.storeSettings(STORE)).visit_type_rules).toEqual([
      { complaint_id: null, department_id: null, has_previous_visit: true, visit_type: "return" },
      { complaint_id: "cc-tooth", department_id: null, has_previous_visit: null, visit_type: "exam" },
    ]);
  });
});

describe("filters", () => {
  test("by department, then by doctor, the columns shown follow; all again shows every column", async () => {
    await desk("front.bj01");
    await waitFor(() => expect(columnIds()).toHaveLength(8));
    const department = screen.getByTestId("filter-department") as HTMLSelectElement;
    await fireEvent.change(department, { target: { value: "口腔科" } });
    await waitFor(() => expect(columnIds().map(short)).toEqual(["doc-3"]));
    const doctor = screen.getByTestId("filter-doctor") as HTMLSelectElement;
    expect([...doctor.options].map((o) => o.value)).toEqual(["", `${STORE}-doc-3`]);
    await fireEvent.change(department, { target: { value: "" } });
    await waitFor(() => expect(columnIds()).toHaveLength(8));
    await fireEvent.change(doctor, { target: { value: `${STORE}-doc-5` } });
    await waitFor(() => expect(columnIds().map(short)).toEqual(["doc-5"]));
    expect(document.querySelectorAll('[data-testid="appointment"]').length).toBeGreaterThan(0);
    for (const card of document.querySelectorAll<HTMLElement>('[data-testid="appointment"]')) {
      expect(card.dataset.appointmentId).toContain("doc-5-");
    }
  });
});

describe("week view", () => {
  test("week view shows 7 days for one doctor, ‹ › change the week, and back to the day", async () => {
    await desk("front.bj01");
    const heads = screen.getAllByTestId("open-week");
    await fireEvent.click(heads[0]!);
    const view = await screen.findByTestId("week-view");
    await waitFor(() => expect(within(view).getAllByTestId("week-day")).toHaveLength(7));
    const dates = () => within(view).getAllByTestId("week-day").map((d) => d.dataset.date);
    expect(dates()[0]).toBe("2025-03-10");
    expect(dates()[6]).toBe("2025-03-16");
    expect(within(view).getByTestId("week-title").textContent).toContain("王建国");
    const cards = [...view.querySelectorAll<HTMLElement>('[data-testid="appointment"]')];
    expect(cards.length).toBeGreaterThan(0);
    expect(cards.every((c) => c.dataset.appointmentId?.startsWith(`${STORE}-doc-1-`))).toBe(true);
    expect(screen.queryByTestId("board-grid")).toBeNull();

    await fireEvent.click(within(view).getByTestId("week-next"));
    await waitFor(() => expect(dates()[0]).toBe("2025-03-17"));
    await fireEvent.click(within(view).getByTestId("week-prev"));
    await fireEvent.click(within(view).getByTestId("week-prev"));
    await waitFor(() => expect(dates()[0]).toBe("2025-03-03"));

    // A card opens the same panel.
    await fireEvent.click(view.querySelector<HTMLElement>('[data-testid="appointment"]')!);
    expect(await screen.findByTestId("panel")).toBeDefined();
    await fireEvent.click(screen.getByTestId("panel-close"));

    await fireEvent.click(within(view).getByTestId("back-to-day"));
    await screen.findByTestId("board-grid");
    expect(screen.queryByTestId("week-view")).toBeNull();
  });
});
