// @vitest-environment jsdom
// The recall task list screen and the thresholds editor, on the in-memory recall model.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { RecallThresholds } from "./bindings/RecallThresholds";
import type { Session } from "./bindings/Session";
import RecallScreen from "./components/RecallScreen.svelte";
import RecallThresholdsEditor from "./components/RecallThresholdsEditor.svelte";
import type { Backend, BackendError, CommandName, Commands } from "./lib/backend";
import { FakeRecall, fakeRecallPatientId } from "./lib/fakeRecall";
import type { Locale } from "./lib/i18n";
import { I18n } from "./lib/i18n.svelte";
import { rolePermissions } from "./lib/permissions";
import { defaultRecallThresholds } from "./lib/recall";

// Components read the language from Svelte context (App provides it); rendered alone they get this one.
const i18nRef = vi.hoisted(() => ({ current: null as unknown }));
vi.mock("./lib/i18n.svelte", async (importOriginal) => {
  const mod = await importOriginal<typeof import("./lib/i18n.svelte")>();
  return { ...mod, useI18n: () => (i18nRef.current ??= new mod.I18n()) as InstanceType<typeof mod.I18n> };
});

const STORE = "store-chaoyang";
const TODAY = "2025-03-12";
const session: Session = {
  staffId: "staff-front-bj01",
  name: "刘婷",
  role: "receptionist",
  stores: [{ id: STORE, name: "朝阳门诊部", timezone: "Asia/Shanghai" }],
  storeId: STORE,
  permissions: rolePermissions("receptionist"),
};
const pid = (n: number) => fakeRecallPatientId(STORE, n);

/** Only the calls the recall screen makes, on a FakeRecall; `fail` makes the next list calls reject. */
function recallBackend(lang: Locale = "zh-CN") {
  const recall = new FakeRecall({ clock: () => Date.UTC(2025, 2, 12, 1, 0) });
  const state = { lang, fail: null as BackendError | null, executed: [] as unknown[] };
  const backend = {
    async recallList(storeId: string) {
      if (state.fail) throw { ...state.fail };
      return recall.list(storeId, TODAY, state.lang, session);
    },
    async execute<N extends CommandName>(name: N, args: Commands[N]) {
      state.executed.push({ name, args });
      if (name !== "recall.record_outcome@1") throw { code: "unknown_command", message: "" };
      recall.record(session, args as Commands["recall.record_outcome@1"]);
      return { deviceSeq: state.executed.length, mutationId: "m", warnings: [] };
    },
    async setLanguage(l: Locale) {
      state.lang = l;
    },
  } as unknown as Backend;
  return { backend, state };
}

async function open(lang: Locale = "zh-CN") {
  i18nRef.current = new I18n(lang);
  const { backend, state } = recallBackend(lang);
  const onclose = vi.fn();
  render(RecallScreen, { backend, session, storeId: STORE, onclose });
  const list = await screen.findByTestId("recall-list");
  return { backend, state, list, onclose };
}

const rows = (container: HTMLElement) => within(container).queryAllByTestId("recall-row");
const rowOf = (patientId: string, kind: string) =>
  document.querySelector<HTMLElement>(`[data-testid="recall-row"][data-patient-id="${patientId}"][data-kind="${kind}"]`)!;

beforeEach(() => {
  i18nRef.current = null;
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("recall task list", () => {
  test("tasks are grouped open then done, overdue first, then by kind", async () => {
    const { list } = await open();
    const open_ = rows(list);
    expect(open_[0]!.dataset.kind).toBe("lens_replacement");
    expect(within(open_[0]!).getByTestId("recall-name").textContent).toBe("林佳怡");
    expect(within(open_[0]!).getByTestId("recall-overdue").textContent).toBe("超时未处理");
    expect(open_.slice(1).every((r) => within(r).queryByTestId("recall-overdue") === null)).toBe(true);
    const kinds = open_.slice(1).map((r) => r.dataset.kind);
    expect(kinds).toEqual(["lens_replacement", "recheck_overdue", "recheck_overdue", "ortho_k_candidate", "ortho_k_candidate", "referral_candidate"]);
    const done = screen.getByTestId("recall-done") as HTMLDetailsElement;
    expect(done.open).toBe(false);
    expect(within(done).getByTestId("recall-done-toggle").textContent).toContain("已处理（1）");
    const doneRow = rows(screen.getByTestId("recall-done-list"))[0]!;
    expect(doneRow.dataset.patientId).toBe(pid(5));
    expect(within(doneRow).getByTestId("recall-last-outcome").textContent).toMatch(/^已预约 · 刘婷 · /);
    expect(within(doneRow).queryByTestId("recall-outcome-contacted")).toBeNull();
  });

  test("each row shows the kind, patient, guardian, phone link, facts, drafted message and listed time", async () => {
    await open();
    const row = rowOf(pid(3), "recheck_overdue");
    expect(within(row).getByTestId("recall-kind").textContent).toBe("超期复查");
    expect(row.textContent).toContain("12 岁");
    expect(row.textContent).toContain("监护人：李女士");
    expect(within(row).getByTestId("recall-phone").getAttribute("href")).toBe("tel:13900139002");
    expect(within(row).getByTestId("recall-facts").textContent).toBe("复查超期 21 天 · 距上次检查 7 个月 · 右眼近视增加 0.75 D");
    expect(within(row).getByTestId("recall-message").textContent).toBe("李女士您好，李雨桐距上次复查已 7 个月，近一次右眼近视加深 0.75D，建议尽快预约复查。");
    expect(row.textContent).toContain("列出于");
    const chips = screen.getAllByTestId("recall-chip");
    expect(chips.map((c) => c.textContent?.trim())).toEqual(["换片提醒 2", "超期复查 2", "拟转角塑 2", "拟转屈光 1"]);
  });

  test("recording 已联系 moves the task to done and shows who recorded it", async () => {
    const { state } = await open();
    const row = rowOf(pid(3), "recheck_overdue");
    await fireEvent.input(within(row).getByTestId("recall-note"), { target: { value: "家长说周六来" } });
    await fireEvent.click(within(row).getByTestId("recall-outcome-contacted"));
    await waitFor(() => expect(rowOf(pid(3), "recheck_overdue").dataset.status).toBe("done"));
    expect(state.executed).toEqual([
      {
        name: "recall.record_outcome@1",
        args: { store_id: STORE, patient_id: pid(3), kind: "recheck_overdue", outcome: "contacted", note: "家长说周六来" },
      },
    ]);
    const done = rowOf(pid(3), "recheck_overdue");
    expect(done.closest('[data-testid="recall-done-list"]')).not.toBeNull();
    expect(within(done).getByTestId("recall-last-outcome").textContent).toMatch(/^已联系 · 刘婷 · /);
    expect(done.textContent).toContain("备注：家长说周六来");
    expect(screen.getByTestId("recall-done-toggle").textContent).toContain("已处理（2）");
    expect(screen.getAllByTestId("recall-chip")[1]!.dataset.count).toBe("1");
  });

  test("未接通 keeps the task open, with the try shown", async () => {
    await open();
    const row = rowOf(pid(1), "lens_replacement");
    await fireEvent.click(within(row).getByTestId("recall-outcome-unreachable"));
    await waitFor(() => expect(within(rowOf(pid(1), "lens_replacement")).queryByTestId("recall-last-outcome")).not.toBeNull());
    const after = rowOf(pid(1), "lens_replacement");
    expect(after.dataset.status).toBe("open");
    expect(after.closest('[data-testid="recall-list"]')).not.toBeNull();
    expect(within(after).getByTestId("recall-last-outcome").textContent).toMatch(/^上次：未接通 · 刘婷 · /);
  });

  test("a refused outcome shows the backend's message on the row", async () => {
    const { backend } = await open();
    vi.spyOn(backend, "execute").mockRejectedValueOnce({ code: "forbidden", message: "你的账号没有权限进行此操作。" });
    const row = rowOf(pid(1), "lens_replacement");
    await fireEvent.click(within(row).getByTestId("recall-outcome-booked"));
    expect((await within(row).findByTestId("recall-error")).textContent).toBe("你的账号没有权限进行此操作。");
    expect(row.dataset.status).toBe("open");
  });

  test("filtering by a kind chip shows only that kind; clicking it again shows all", async () => {
    const { list } = await open();
    const chip = screen.getAllByTestId("recall-chip").find((c) => c.dataset.kind === "ortho_k_candidate")!;
    await fireEvent.click(chip);
    expect(chip.getAttribute("aria-pressed")).toBe("true");
    expect(rows(list).map((r) => r.dataset.kind)).toEqual(["ortho_k_candidate", "ortho_k_candidate"]);
    expect(screen.queryByTestId("recall-done")).toBeNull();
    await fireEvent.click(chip);
    expect(rows(list)).toHaveLength(7);
    await fireEvent.click(screen.getAllByTestId("recall-chip").find((c) => c.dataset.kind === "recheck_overdue")!);
    expect(rows(list).map((r) => r.dataset.patientId)).toEqual([pid(3), pid(4)]);
    await fireEvent.click(screen.getByTestId("recall-chip-all"));
    expect(rows(list)).toHaveLength(7);
  });

  test("copy puts the drafted message on the clipboard", async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    try {
      await open();
      const row = rowOf(pid(6), "ortho_k_candidate");
      await fireEvent.click(within(row).getByTestId("recall-copy"));
      expect(writeText).toHaveBeenCalledWith("王女士您好，王子涵左眼近 6 个月近视加深 0.75D，距上次复查不足 1 个月，建议预约检查，评估是否适合配戴角膜塑形镜控制近视。");
      expect((await within(row).findByTestId("recall-copied")).textContent).toBe("已复制");
    } finally {
      delete (navigator as { clipboard?: unknown }).clipboard;
    }
  });

  test("the list is in English when the locale is en", async () => {
    await open("en");
    const row = rowOf(pid(3), "recheck_overdue");
    expect(within(row).getByTestId("recall-kind").textContent).toBe("Overdue recheck");
    expect(within(row).getByTestId("recall-facts").textContent).toBe("Recheck 21 days overdue · 7 months since last check · myopia up 0.75 D in the right eye");
    expect(within(row).getByTestId("recall-message").textContent).toMatch(/^Hello 李女士, it has been 7 months since 李雨桐 last had a check-up\./);
    expect(within(row).getByTestId("recall-outcome-unreachable").textContent?.trim()).toBe("No answer");
    expect(screen.getByTestId("recall-date").textContent).toBe("Wednesday, March 12, 2025");
    expect(screen.getByTestId("recall-done-toggle").textContent).toContain("Done (1)");
  });

  test("switching the language reloads the list, so the drafted messages follow", async () => {
    const { state } = await open();
    state.lang = "en"; // as App tells the backend on a switch
    (i18nRef.current as I18n).locale = "en";
    await waitFor(() => expect(within(rowOf(pid(8), "referral_candidate")).getByTestId("recall-message").textContent).toMatch(/^Hello 吴欣怡, your myopia/));
    expect(within(rowOf(pid(8), "referral_candidate")).getByTestId("recall-kind").textContent).toBe("Refractive surgery candidate");
  });

  test("a load error shows the backend's message with retry; retry loads the list", async () => {
    i18nRef.current = new I18n("zh-CN");
    const { backend, state } = recallBackend();
    state.fail = { code: "not_in_store", message: "你不在该门店工作，请选择你所在的门店。" };
    render(RecallScreen, { backend, session, storeId: STORE, onclose: () => undefined });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("你不在该门店工作");
    state.fail = null;
    await fireEvent.click(within(alert).getByText("重试"));
    expect(await screen.findByTestId("recall-list")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  test("an empty day says there are no tasks; Escape closes", async () => {
    i18nRef.current = new I18n("zh-CN");
    const backend = {
      recallList: async () => ({ storeId: STORE, date: TODAY, thresholds: defaultRecallThresholds(), counts: {}, items: [] }),
    } as unknown as Backend;
    const onclose = vi.fn();
    render(RecallScreen, { backend, session, storeId: STORE, onclose });
    expect((await screen.findByTestId("recall-empty")).textContent).toBe("今天没有回访任务");
    expect(screen.getAllByTestId("recall-chip").map((c) => c.dataset.count)).toEqual(["0", "0", "0", "0"]);
    await fireEvent.keyDown(window, { key: "Escape" });
    expect(onclose).toHaveBeenCalledOnce();
  });
});

describe("recall thresholds editor", () => {
  function editor(value: RecallThresholds = defaultRecallThresholds()) {
    i18nRef.current = new I18n("zh-CN");
    const onedit = vi.fn();
    render(RecallThresholdsEditor, { value, onedit });
    const input = (field: keyof RecallThresholds) => screen.getByTestId(`recall-input-${field}`) as HTMLInputElement;
    return { onedit, input };
  }

  test("shows every field with its unit; 度 fields with their value in D", () => {
    const { input } = editor();
    expect(input("lens_replacement_days").value).toBe("550");
    expect(input("task_overdue_after_hours").value).toBe("24");
    const cd = screen.getByTestId("recall-field-ortho_k_long_window_cd");
    expect(cd.textContent).toContain("度");
    expect(cd.textContent).toContain("100 度 = 1.00 D；当前 0.50 D");
    expect(screen.getAllByRole("textbox")).toHaveLength(14);
  });

  test("a non-integer or negative value is marked next to its field; a valid one clears the mark", async () => {
    const { input, onedit } = editor();
    await fireEvent.input(input("recheck_grace_days"), { target: { value: "1.5" } });
    expect(screen.getByTestId("recall-error-recheck_grace_days").textContent).toBe("请输入整数。");
    expect(input("recheck_grace_days").getAttribute("aria-invalid")).toBe("true");
    await fireEvent.input(input("lens_replacement_days"), { target: { value: "-3" } });
    expect(screen.getByTestId("recall-error-lens_replacement_days").textContent).toBe("不能为负数。");
    expect(onedit).not.toHaveBeenCalled();
    await fireEvent.input(input("recheck_grace_days"), { target: { value: "21" } });
    expect(screen.queryByTestId("recall-error-recheck_grace_days")).toBeNull();
    expect(onedit).toHaveBeenCalledOnce();
    await fireEvent.input(input("ortho_k_long_window_cd"), { target: { value: "75" } });
    expect(screen.getByTestId("recall-field-ortho_k_long_window_cd").textContent).toContain("当前 0.75 D");
  });

  test("恢复默认 restores the defaults and clears the marks", async () => {
    const { input } = editor({ ...defaultRecallThresholds(), lens_replacement_days: 400, task_overdue_after_hours: 48 });
    expect(input("lens_replacement_days").value).toBe("400");
    await fireEvent.input(input("recheck_grace_days"), { target: { value: "abc" } });
    await fireEvent.click(screen.getByTestId("recall-reset"));
    expect(input("lens_replacement_days").value).toBe("550");
    expect(input("task_overdue_after_hours").value).toBe("24");
    expect(input("recheck_grace_days").value).toBe("14");
    expect(screen.queryByTestId("recall-error-recheck_grace_days")).toBeNull();
  });
});
