// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import type { BoardAppointment } from "../bindings/BoardAppointment";
import { cardIdOf, cardView, THREE_LINES_PX } from "./card";
import { translate, type MessageKey } from "./i18n";

const zh = (key: MessageKey) => translate("zh-CN", key);
const en = (key: MessageKey) => translate("en", key);

const appt = (over: Partial<BoardAppointment> = {}): BoardAppointment => ({
  id: "a1",
  doctorId: "d1",
  patientName: "王小明",
  startMin: 9 * 60 + 30,
  endMin: 9 * 60 + 45,
  state: "confirmed",
  visitType: "初诊",
  department: "口腔综合科",
  fee: "paid",
  sync: "confirmed",
  ...over,
});

describe("cardView", () => {
  test("the tooltip and accessible name give time, patient, visit, department, state, fee and sync in the user's language", () => {
    expect(cardView(appt(), { top: 0, height: 45 }, zh).summary).toBe(
      "09:30–09:45 · 王小明 · 初诊 · 口腔综合科 · 已确认 · 已缴费 · 已同步",
    );
    expect(cardView(appt({ state: "no_show", fee: "pending", sync: "pending" }), { top: 0, height: 45 }, en).summary).toBe(
      `09:30–09:45 · 王小明 · 初诊 · 口腔综合科 · ${en("state.no_show")} · ${en("fee.pending")} · ${en("sync.pending")}`,
    );
  });

  test("a card without a fee shows no fee badge, one with a fee names its state", () => {
    expect(cardView(appt({ fee: "none" }), { top: 0, height: 45 }, zh).fee).toBe("");
    expect(cardView(appt({ fee: "refunded" }), { top: 0, height: 45 }, zh).fee).toBe("已退费");
  });

  test("only a card tall enough shows the third line with time and state", () => {
    expect(cardView(appt(), { top: 0, height: THREE_LINES_PX - 1 }, zh).lines).not.toContain("09:30–09:45");
    expect(cardView(appt(), { top: 0, height: THREE_LINES_PX }, zh).lines.split("\n").at(-1)).toBe("09:30–09:45 · 已确认");
  });

  test("the lines after the name are meta, then the third line of a tall card, each after a line break", () => {
    expect(cardView(appt(), { top: 0, height: 45 }, zh).lines).toBe("\n初诊 · 口腔综合科");
    expect(cardView(appt(), { top: 0, height: THREE_LINES_PX }, zh).lines).toBe("\n初诊 · 口腔综合科\n09:30–09:45 · 已确认");
  });

  test("the sync state shows as an icon with its name", () => {
    const v = cardView(appt({ sync: "attention" }), { top: 0, height: 45 }, zh);
    expect([v.syncIcon, v.sync]).toEqual(["!", "同步异常"]);
  });
});

describe("cardIdOf", () => {
  test("an event inside a card names that card; one outside any card names none", () => {
    const column = document.createElement("div");
    column.innerHTML = `<div data-appointment-id="a7"><span class="name">王</span></div><button>+</button>`;
    expect(cardIdOf(column.querySelector(".name"))).toBe("a7");
    expect(cardIdOf(column.querySelector("button"))).toBeNull();
    expect(cardIdOf(null)).toBeNull();
  });
});
