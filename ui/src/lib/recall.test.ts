import { describe, expect, test } from "vitest";
import type { RecallItem } from "../bindings/RecallItem";
import type { Session } from "../bindings/Session";
import type { TaskFacts } from "../bindings/TaskFacts";
import type { TaskKind } from "../bindings/TaskKind";
import { draftMessage, FakeRecall, fakeRecallPatientId } from "./fakeRecall";
import { recallEn, recallZhCN, recallZhTW } from "./i18nRecall";
import { rolePermissions } from "./permissions";
import {
  compareItems,
  copyText,
  defaultRecallThresholds,
  factsLine,
  filterByKind,
  groupItems,
  kindCounts,
  openCount,
  parseThreshold,
  TASK_KINDS,
  THRESHOLD_FIELDS,
  thresholdFieldOf,
} from "./recall";

const NO_FACTS: TaskFacts = {
  months_since_last_check: null,
  change_since_last_exam_cd: null,
  change_eye: null,
  days_overdue: null,
  lens_age_days: null,
  progression: null,
};

function item(patientName: string, kind: TaskKind, more: Partial<RecallItem> = {}): RecallItem {
  return {
    patientId: `p-${patientName}`,
    kind,
    patientName,
    guardianName: null,
    phone: "13800138000",
    ageYears: 9,
    facts: NO_FACTS,
    message: "",
    listedAt: "2025-03-12T00:00:00Z",
    overdue: false,
    status: "open",
    lastOutcome: null,
    lastOutcomeAt: null,
    lastOutcomeBy: null,
    note: null,
    ...more,
  };
}

const names = (items: RecallItem[]) => items.map((i) => i.patientName);

describe("display order and grouping", () => {
  const items = [
    item("丁", "referral_candidate", { status: "done", lastOutcome: "booked" }),
    item("乙", "recheck_overdue"),
    item("甲", "ortho_k_candidate", { overdue: true }),
    item("丙", "lens_replacement"),
    item("戊", "lens_replacement", { status: "done" }),
    item("己", "recheck_overdue", { overdue: true }),
    item("丁", "lens_replacement"),
  ];

  test("open before done, overdue first, then by kind in TaskKind order, then by name", () => {
    expect(names([...items].sort(compareItems))).toEqual(["己", "甲", "丁", "丙", "乙", "戊", "丁"]);
  });

  test("grouping splits open and done, each in display order", () => {
    const g = groupItems(items);
    expect(names(g.open)).toEqual(["己", "甲", "丁", "丙", "乙"]);
    expect(names(g.done)).toEqual(["戊", "丁"]);
  });

  test("an overdue mark on a done task does not lift it", () => {
    const g = groupItems([item("乙", "lens_replacement", { status: "done" }), item("甲", "lens_replacement", { status: "done", overdue: true })]);
    // Plain Unicode order: 乙 (U+4E59) before 甲 (U+7532), overdue or not.
    expect(names(g.done)).toEqual(["乙", "甲"]);
  });

  test("filter by kind keeps only that kind, in both groups; null keeps all", () => {
    expect(names(filterByKind(items, "lens_replacement"))).toEqual(["丙", "戊", "丁"]);
    const g = groupItems(items, "lens_replacement");
    expect(names(g.open)).toEqual(["丁", "丙"]);
    expect(names(g.done)).toEqual(["戊"]);
    expect(filterByKind(items, null)).toHaveLength(items.length);
  });

  test("chips count open tasks per kind, every kind listed in order; backend counts win", () => {
    expect(kindCounts({ counts: {}, items })).toEqual([
      { kind: "lens_replacement", count: 2 },
      { kind: "recheck_overdue", count: 2 },
      { kind: "ortho_k_candidate", count: 1 },
      { kind: "referral_candidate", count: 0 },
    ]);
    expect(kindCounts({ counts: { lens_replacement: 10 }, items })[0]).toEqual({ kind: "lens_replacement", count: 10 });
    expect(openCount({ counts: {}, items })).toBe(5);
  });
});

describe("facts line", () => {
  const recheck: TaskFacts = { ...NO_FACTS, months_since_last_check: 7, change_since_last_exam_cd: -75, change_eye: "od", days_overdue: 21 };

  test("in the chosen language, the kind's own fact first", () => {
    expect(factsLine(recheck, "zh-CN")).toBe("复查超期 21 天 · 距上次检查 7 个月 · 右眼近视增加 0.75 D");
    expect(factsLine(recheck, "zh-TW")).toBe("複查逾期 21 天 · 距上次檢查 7 個月 · 右眼近視增加 0.75 D");
    expect(factsLine(recheck, "en")).toBe("Recheck 21 days overdue · 7 months since last check · myopia up 0.75 D in the right eye");
  });

  test("lens age, progression, under a month and no increase", () => {
    const lens: TaskFacts = { ...NO_FACTS, lens_age_days: 582, months_since_last_check: 1, change_since_last_exam_cd: 0, change_eye: "od" };
    expect(factsLine(lens, "zh-CN")).toBe("镜片已配戴 582 天 · 距上次检查 1 个月 · 近一次检查近视未增加");
    expect(factsLine(lens, "en")).toBe("Lenses worn 582 days · 1 month since last check · no myopia increase at the last exam");
    const ortho: TaskFacts = { ...NO_FACTS, progression: { eye: "os", window_months: 6, myopic_cd: 75 }, months_since_last_check: 0 };
    expect(factsLine(ortho, "zh-CN")).toBe("左眼近 6 个月近视增加 0.75 D · 距上次检查不足 1 个月");
    expect(factsLine(ortho, "en")).toBe("Left eye: myopia up 0.75 D in 6 months · last check less than a month ago");
  });

  test("facts the backend left out are left out", () => {
    expect(factsLine(NO_FACTS, "zh-CN")).toBe("");
    expect(factsLine({ ...NO_FACTS, days_overdue: 15 }, "zh-CN")).toBe("复查超期 15 天");
  });
});

describe("threshold fields", () => {
  test("a whole number from 0 is accepted; empty, fractions, negatives and huge numbers are not", () => {
    expect(parseThreshold(" 550 ")).toEqual({ ok: true, value: 550 });
    expect(parseThreshold("0")).toEqual({ ok: true, value: 0 });
    expect(parseThreshold("")).toEqual({ ok: false, problem: "empty" });
    expect(parseThreshold("1.5")).toEqual({ ok: false, problem: "notInteger" });
    expect(parseThreshold("abc")).toEqual({ ok: false, problem: "notInteger" });
    expect(parseThreshold("-3")).toEqual({ ok: false, problem: "negative" });
    expect(parseThreshold("9999999")).toEqual({ ok: false, problem: "tooLarge" });
  });

  test("a backend refusal's field names a threshold with or without the recall. prefix", () => {
    expect(thresholdFieldOf("recall.lens_replacement_days")).toBe("lens_replacement_days");
    expect(thresholdFieldOf("task_overdue_after_hours")).toBe("task_overdue_after_hours");
    expect(thresholdFieldOf("capacity_per_slot")).toBeNull();
    expect(thresholdFieldOf(undefined)).toBeNull();
  });

  test("the defaults are DOMAIN.md §8's", () => {
    const d = defaultRecallThresholds();
    expect([d.ortho_k_long_window_months, d.ortho_k_long_window_cd, d.ortho_k_short_window_months, d.ortho_k_short_window_cd]).toEqual([6, 50, 3, 25]);
    expect([d.lens_replacement_days, d.recheck_grace_days, d.referral_min_age_years, d.task_overdue_after_hours]).toEqual([550, 14, 18, 24]);
    expect(THRESHOLD_FIELDS).toHaveLength(14);
  });
});

describe("catalogues", () => {
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  test("every recall translation has the zh-CN keys and placeholders, none empty", () => {
    for (const cat of [recallZhTW, recallEn]) {
      expect(Object.keys(cat).sort()).toEqual(Object.keys(recallZhCN).sort());
      for (const [key, text] of Object.entries(recallZhCN)) {
        expect(placeholders(cat[key as keyof typeof recallZhCN]), key).toEqual(placeholders(text));
        expect(cat[key as keyof typeof recallZhCN].trim(), key).not.toBe("");
      }
    }
    expect(Object.keys(recallZhCN).every((k) => k.startsWith("recall."))).toBe(true);
  });

  test("every kind, outcome and threshold field has its words", () => {
    for (const kind of TASK_KINDS) expect(recallZhCN).toHaveProperty([`recall.kind.${kind}`]);
    for (const field of THRESHOLD_FIELDS) {
      expect(recallZhCN).toHaveProperty([`recall.field.${field}`]);
      expect(recallZhCN).toHaveProperty([`recall.hint.${field}`]);
    }
  });
});

describe("drafted messages (as the Rust draft_message words them)", () => {
  const recheck: TaskFacts = { ...NO_FACTS, months_since_last_check: 7, change_since_last_exam_cd: -50, change_eye: "od", days_overdue: 20 };
  const xiaoming = { name: "小明", guardianName: "王女士" };

  test("recheck overdue, to the guardian or to the patient", () => {
    expect(draftMessage("recheck_overdue", recheck, xiaoming, "zh-CN")).toBe("王女士您好，小明距上次复查已 7 个月，近一次右眼近视加深 0.50D，建议尽快预约复查。");
    expect(draftMessage("recheck_overdue", recheck, xiaoming, "zh-TW")).toBe("王女士您好，小明距上次複查已 7 個月，近一次右眼近視加深 0.50D，建議盡快預約複查。");
    expect(draftMessage("recheck_overdue", recheck, xiaoming, "en")).toBe(
      "Hello 王女士, it has been 7 months since 小明 last had a check-up. At the last exam myopia increased by 0.50 D in the right eye. Please book a recheck soon.",
    );
    for (const guardianName of [null, "  "])
      expect(draftMessage("recheck_overdue", recheck, { name: "小明", guardianName }, "zh-CN")).toBe(
        "小明您好，您距上次复查已 7 个月，近一次右眼近视加深 0.50D，建议尽快预约复查。",
      );
    expect(draftMessage("recheck_overdue", recheck, { name: "小明", guardianName: null }, "en")).toBe(
      "Hello 小明, it has been 7 months since you last had a check-up. At the last exam myopia increased by 0.50 D in the right eye. Please book a recheck soon.",
    );
  });

  test("lens replacement, ortho-k candidate and referral", () => {
    const lens: TaskFacts = { ...NO_FACTS, lens_age_days: 740, months_since_last_check: 1 };
    const xiaohong = { name: "小红", guardianName: "王女士" };
    expect(draftMessage("lens_replacement", lens, xiaohong, "zh-CN")).toBe("王女士您好，小红的角膜塑形镜已配戴 740 天，已到更换周期，距上次复查已 1 个月，建议尽快预约换片检查。");
    expect(draftMessage("lens_replacement", lens, xiaohong, "zh-TW")).toBe("王女士您好，小红的角膜塑形鏡已配戴 740 天，已到更換週期，距上次複查已 1 個月，建議盡快預約換片檢查。");
    expect(draftMessage("lens_replacement", lens, xiaohong, "en")).toBe(
      "Hello 王女士, 小红's ortho-k lenses have been worn for 740 days and are due for replacement. It has been 1 month since 小红 last had a check-up. Please book a lens replacement check soon.",
    );
    const ortho: TaskFacts = { ...NO_FACTS, progression: { eye: "os", window_months: 6, myopic_cd: 75 }, months_since_last_check: 0 };
    const xiaogang = { name: "小刚", guardianName: "王女士" };
    expect(draftMessage("ortho_k_candidate", ortho, xiaogang, "zh-CN")).toBe(
      "王女士您好，小刚左眼近 6 个月近视加深 0.75D，距上次复查不足 1 个月，建议预约检查，评估是否适合配戴角膜塑形镜控制近视。",
    );
    expect(draftMessage("ortho_k_candidate", ortho, xiaogang, "en")).toBe(
      "Hello 王女士, in the last 6 months myopia in 小刚's left eye increased by 0.75 D. It has been less than a month since 小刚 last had a check-up. We suggest booking an exam to see whether ortho-k lenses would suit for myopia control.",
    );
    const adult = { name: "张伟", guardianName: "张父" };
    expect(draftMessage("referral_candidate", NO_FACTS, adult, "zh-CN")).toBe("张伟您好，您的近视度数近一年保持稳定，角膜厚度检查正常，如有摘镜意愿，可预约屈光手术术前检查。");
    expect(draftMessage("referral_candidate", NO_FACTS, adult, "en")).toBe(
      "Hello 张伟, your myopia has been stable over the past year and your corneal thickness is normal. If you would like to stop wearing glasses, you can book a pre-operative exam for refractive surgery.",
    );
  });

  test("clauses without data are left out", () => {
    expect(draftMessage("recheck_overdue", NO_FACTS, xiaoming, "zh-CN")).toBe("王女士您好，小明的复查已超期，建议尽快预约复查。");
    expect(draftMessage("recheck_overdue", NO_FACTS, xiaoming, "en")).toBe("Hello 王女士, 小明's recheck is overdue. Please book a recheck soon.");
    const stable: TaskFacts = { ...NO_FACTS, months_since_last_check: 3, change_since_last_exam_cd: 0, change_eye: "od" };
    expect(draftMessage("recheck_overdue", stable, xiaoming, "zh-CN")).toBe("王女士您好，小明距上次复查已 3 个月，近一次检查近视未加深，建议尽快预约复查。");
  });
});

describe("fake recall model", () => {
  const STORE = "store-chaoyang";
  const TODAY = "2025-03-12";
  const session: Session = {
    staffId: "staff-1",
    name: "刘婷",
    role: "receptionist",
    stores: [{ id: STORE, name: "朝阳门诊部", timezone: "Asia/Shanghai" }],
    storeId: STORE,
    permissions: rolePermissions("receptionist"),
  };
  const setup = () => {
    let now = Date.UTC(2025, 2, 12, 1, 0);
    const recall = new FakeRecall({ clock: () => now });
    return { recall, advance: (hours: number) => (now += hours * 3_600_000) };
  };
  const find = (view: ReturnType<FakeRecall["list"]>, n: number, kind: TaskKind) => view.items.find((i) => i.patientId === fakeRecallPatientId(STORE, n) && i.kind === kind)!;

  test("lists every kind, open first, with counts of open tasks and messages in the language asked for", () => {
    const { recall } = setup();
    const view = recall.list(STORE, TODAY, "zh-CN", session);
    expect(view.date).toBe(TODAY);
    expect(TASK_KINDS.every((k) => (view.counts[k] ?? 0) > 0)).toBe(true);
    expect(view.items.slice().sort(compareItems)).toEqual(view.items);
    const open = view.items.filter((i) => i.status === "open").length;
    expect(Object.values(view.counts).reduce((a, b) => a + (b ?? 0), 0)).toBe(open);
    expect(find(view, 3, "recheck_overdue").message).toBe("李女士您好，李雨桐距上次复查已 7 个月，近一次右眼近视加深 0.75D，建议尽快预约复查。");
    expect(find(recall.list(STORE, TODAY, "en", session), 3, "recheck_overdue").message).toMatch(/^Hello 李女士, it has been 7 months/);
  });

  test("a task untouched for task_overdue_after_hours is overdue; an outcome other than unreachable makes it done", () => {
    const { recall, advance } = setup();
    const before = recall.list(STORE, TODAY, "zh-CN", session);
    expect(find(before, 2, "lens_replacement").overdue).toBe(true);
    expect(find(before, 1, "lens_replacement").overdue).toBe(false);
    expect(find(before, 5, "recheck_overdue").status).toBe("done");
    advance(1);
    recall.record(session, { store_id: STORE, patient_id: fakeRecallPatientId(STORE, 2), kind: "lens_replacement", outcome: "unreachable", note: " " });
    const after = find(recall.list(STORE, TODAY, "zh-CN", session), 2, "lens_replacement");
    expect(after).toMatchObject({ status: "open", overdue: false, lastOutcome: "unreachable", lastOutcomeBy: "刘婷", note: null });
    recall.record(session, { store_id: STORE, patient_id: fakeRecallPatientId(STORE, 2), kind: "lens_replacement", outcome: "contacted", note: "下周来" });
    expect(find(recall.list(STORE, TODAY, "zh-CN", session), 2, "lens_replacement")).toMatchObject({ status: "done", lastOutcome: "contacted", note: "下周来" });
    advance(31 * 24);
    expect(find(recall.list(STORE, TODAY, "zh-CN", session), 2, "lens_replacement").status).toBe("open");
  });

  test("thresholds decide which tasks are listed", () => {
    const recall = new FakeRecall({ thresholdsOf: () => ({ ...defaultRecallThresholds(), lens_replacement_days: 600, referral_min_age_years: 30 }) });
    const view = recall.list(STORE, TODAY, "zh-CN", session);
    expect(view.items.filter((i) => i.kind === "lens_replacement").map((i) => i.patientName)).toEqual(["林佳怡"]);
    expect(view.counts.referral_candidate).toBe(0);
  });

  test("refusals: another store, an unknown task", () => {
    const { recall } = setup();
    expect(() => recall.list("store-haidian", TODAY, "zh-CN", session)).toThrow(expect.objectContaining({ code: "not_in_store" }));
    const args = { store_id: STORE, patient_id: "nobody", kind: "lens_replacement" as const, outcome: "contacted" as const, note: null };
    expect(() => recall.record(session, args)).toThrow(expect.objectContaining({ code: "not_found" }));
  });
});

test("copyText falls back to execCommand when there is no Clipboard API", async () => {
  const calls: string[] = [];
  const doc = {
    body: { appendChild: () => undefined },
    createElement: () => ({ value: "", setAttribute: () => undefined, style: {}, select: () => undefined, remove: () => undefined }),
    execCommand: (cmd: string) => (calls.push(cmd), true),
  } as unknown as Document;
  expect(await copyText("hi", doc, {} as Navigator)).toBe(true);
  expect(calls).toEqual(["copy"]);
  const written: string[] = [];
  const nav = { clipboard: { writeText: async (t: string) => void written.push(t) } } as unknown as Navigator;
  expect(await copyText("你好", doc, nav)).toBe(true);
  expect(written).toEqual(["你好"]);
});
