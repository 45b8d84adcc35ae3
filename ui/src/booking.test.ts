// @vitest-environment jsdom
// Booking, reschedule by drag (with undo) and the desk keys, on the fake backend.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, test, vi } from "vitest";
import App from "./App.svelte";
import { FakeBackend } from "./lib/fakeBackend";
import { formatClock, zonedInstant } from "./lib/format";

const TODAY = "2025-03-10";
const NOW = Date.UTC(2025, 2, 10, 2, 0);
const clock = () => new Date(NOW);
const STORE = "store-chaoyang";
const TZ = "Asia/Shanghai";
const doc = (n: number) => `${STORE}-doc-${n}`;

const type = (el: HTMLElement, value: string) => fireEvent.input(el, { target: { value } });
const choose = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });

async function setup(options: { doctorCount?: number } = {}) {
  const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW, ...options });
  render(App, { backend, clock });
  await screen.findAllByTestId("doctor-column");
  return backend;
}

function column(doctorId: string): HTMLElement {
  return document.querySelector<HTMLElement>(`[data-testid="doctor-column"][data-doctor-id="${doctorId}"]`)!;
}

async function pickPatient(dialog: HTMLElement, query: string) {
  await type(within(dialog).getByTestId("patient-search"), query);
  await fireEvent.click(await within(dialog).findByTestId("patient-hit"));
}

async function departmentId(backend: FakeBackend, name: string): Promise<string> {
  return (await backend.bookingOptions(STORE, TODAY, null)).departments.find((d) => d.name === name)!.id;
}

afterEach(() => vi.restoreAllMocks());

describe("booking dialog", () => {
  test("booking from an empty slot preselects doctor and slot and creates the appointment", async () => {
    const backend = await setup();
    const slot = within(column(doc(1))).getAllByTestId("empty-slot")[0]!;
    const startMin = Number(slot.dataset.startMin);
    await fireEvent.click(slot);

    const dialog = await screen.findByTestId("booking");
    await waitFor(() => expect(within(dialog).getByRole("button", { pressed: true, name: /王建国/ })).toBeDefined());
    const chosen = within(dialog).getAllByTestId("slot").filter((b) => b.getAttribute("aria-pressed") === "true");
    expect(chosen.map((b) => b.textContent?.trim())).toEqual([formatClock(startMin)]);
    expect(within(dialog).getByTestId("visit-type-auto").textContent).toBe("按规则自动判定");

    await pickPatient(dialog, "zxm");
    await fireEvent.click(within(dialog).getByTestId("booking-submit"));

    await waitFor(() => expect(screen.queryByTestId("booking")).toBeNull());
    const panel = await screen.findByTestId("panel");
    await waitFor(() => expect(within(panel).getByRole("heading", { level: 2 }).textContent).toBe("张晓明"));
    const day = await backend.boardDay(null, TODAY);
    const made = day.appointments.find((a) => a.patientName === "张晓明" && a.doctorId === doc(1));
    expect(made).toMatchObject({ startMin, state: "pending", visitType: "初诊" });
    await waitFor(() => expect(document.querySelector(`[data-appointment-id="${made!.id}"]`)).not.toBeNull());
  });

  test("only doctors with free slots are offered (unlisted ones marked)", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW, doctorCount: 16 });
    const internal = await departmentId(backend, "内科");
    // Fill every free slot of 王建国 (doc-1); 王建国2 (doc-9) of the same department still has room.
    const before = await backend.bookingOptions(STORE, TODAY, internal);
    expect(before.doctors.map((d) => d.id)).toEqual([doc(1), doc(9)]);
    for (const s of before.doctors[0]!.slots) {
      await backend.execute("booking.create@1", {
        appointment_id: crypto.randomUUID(),
        store_id: STORE,
        doctor_id: doc(1),
        department_id: internal,
        patient_id: "patient-demo-4",
        complaint_id: null,
        start: s.start,
        end: s.end,
        visit_type: null,
        source: "phone",
        fee: null,
      });
    }
    expect((await backend.bookingOptions(STORE, TODAY, internal)).doctors.map((d) => d.id)).toEqual([doc(9)]);

    render(App, { backend, clock });
    await fireEvent.click(await screen.findByTestId("new-booking"));
    const dialog = await screen.findByTestId("booking");
    await waitFor(() => expect(within(dialog).getByTestId("department").querySelectorAll("option").length).toBeGreaterThan(1));
    await choose(within(dialog).getByTestId("department"), internal);
    await waitFor(() => expect(within(dialog).getAllByTestId("doctor").map((b) => b.dataset.doctorId)).toEqual([doc(9)]));

    // A complaint narrows the departments; 康复科 has a listed and an unlisted doctor.
    await choose(within(dialog).getByTestId("complaint"), "cc-back");
    const offered = [...within(dialog).getByTestId("department").querySelectorAll("option")].map((o) => o.textContent);
    expect(offered.slice(1)).toEqual(["中医科", "针灸", "康复科"]);
    await choose(within(dialog).getByTestId("department"), await departmentId(backend, "康复科"));
    await waitFor(() => expect(within(dialog).getAllByTestId("doctor")).toHaveLength(2));
    const [listed, unlisted] = within(dialog).getAllByTestId("doctor");
    expect(listed!.textContent).not.toContain("未排序");
    expect(unlisted!.textContent).toContain("未排序");
  });

  test("a bad phone shows the error next to the phone field and keeps the other inputs", async () => {
    await setup();
    await fireEvent.click(screen.getByTestId("new-booking"));
    const dialog = await screen.findByTestId("booking");
    await fireEvent.click(within(dialog).getByTestId("new-patient"));
    await type(within(dialog).getByTestId("new-name"), "赵小雨");
    await type(within(dialog).getByTestId("new-birth"), "2016-05-04");
    await type(within(dialog).getByTestId("new-phone"), "12345");
    await waitFor(() => expect(within(dialog).getByTestId("department").querySelectorAll("option").length).toBeGreaterThan(1));
    await choose(within(dialog).getByTestId("department"), "dept-2");
    await fireEvent.click(await within(dialog).findByTestId("doctor"));
    await fireEvent.click(within(dialog).getAllByTestId("slot")[0]!);
    await type(within(dialog).getByTestId("fee"), "25");
    await fireEvent.click(within(dialog).getByTestId("booking-submit"));

    const error = await within(dialog).findByTestId("error-phone");
    expect(error.textContent).toBe("手机号码无效，请输入 11 位手机号。");
    // Next to the phone field: in the same label.
    expect(error.closest("label")!.contains(within(dialog).getByTestId("new-phone"))).toBe(true);
    expect((within(dialog).getByTestId("new-name") as HTMLInputElement).value).toBe("赵小雨");
    expect((within(dialog).getByTestId("new-phone") as HTMLInputElement).value).toBe("12345");
    expect((within(dialog).getByTestId("fee") as HTMLInputElement).value).toBe("25");
    expect(within(dialog).getAllByTestId("slot")[0]!.getAttribute("aria-pressed")).toBe("true");

    // Fixed, it registers the patient and books.
    await type(within(dialog).getByTestId("new-phone"), "13912345678");
    await fireEvent.click(within(dialog).getByTestId("booking-submit"));
    await waitFor(() => expect(screen.queryByTestId("booking")).toBeNull());
    const panel = await screen.findByTestId("panel");
    await waitFor(() => expect(within(panel).getByRole("heading", { level: 2 }).textContent).toBe("赵小雨"));
  });

  test("a bad fee shows the error next to the fee field and keeps the other inputs; a good one is booked in fen", async () => {
    const backend = await setup();
    await fireEvent.click(screen.getByTestId("new-booking"));
    const dialog = await screen.findByTestId("booking");
    await pickPatient(dialog, "李");
    await choose(within(dialog).getByTestId("department"), "dept-1");
    await fireEvent.click(await within(dialog).findByTestId("doctor"));
    await fireEvent.click(within(dialog).getAllByTestId("slot")[1]!);
    await type(within(dialog).getByTestId("fee"), "12.345");
    await choose(within(dialog).getByTestId("pay-with"), "cash");
    await fireEvent.click(within(dialog).getByTestId("booking-submit"));

    const error = await within(dialog).findByTestId("error-fee");
    expect(error.textContent).toBe("金额最多两位小数");
    expect(error.closest("label")!.contains(within(dialog).getByTestId("fee"))).toBe(true);
    expect(within(dialog).getByTestId("patient-chosen").textContent).toContain("李雨桐");
    expect(within(dialog).getAllByTestId("slot")[1]!.getAttribute("aria-pressed")).toBe("true");
    expect((within(dialog).getByTestId("fee") as HTMLInputElement).value).toBe("12.345");

    await type(within(dialog).getByTestId("fee"), "-1");
    await fireEvent.click(within(dialog).getByTestId("booking-submit"));
    await waitFor(() => expect(within(dialog).getByTestId("error-fee").textContent).toBe("金额不能为负数"));

    await type(within(dialog).getByTestId("fee"), "12.5");
    await fireEvent.click(within(dialog).getByTestId("booking-submit"));
    await waitFor(() => expect(screen.queryByTestId("booking")).toBeNull());
    const day = await backend.boardDay(null, TODAY);
    const made = day.appointments.find((a) => a.patientName === "李雨桐")!;
    const detail = await backend.appointmentDetail(made.id);
    expect(detail.fee).toMatchObject({ amountFen: 1250, status: "charged", method: "cash" });
  });
});

describe("week view booking", () => {
  test("booking from an empty slot of a day in the week view preselects that day, the doctor and the time", async () => {
    await setup();
    await fireEvent.click((await screen.findAllByTestId("open-week"))[0]!);
    const view = await screen.findByTestId("week-view");
    const thursday = "2025-03-13";
    const day = await waitFor(() => {
      const el = view.querySelector<HTMLElement>(`[data-testid="doctor-column"][data-column-key="${thursday}"]`);
      if (!el) throw new Error("week not drawn yet");
      return el;
    });
    const slot = within(day).getAllByTestId("empty-slot")[1]!;
    const startMin = Number(slot.dataset.startMin);
    await fireEvent.click(slot);

    const dialog = await screen.findByTestId("booking");
    expect((within(dialog).getByTestId("booking-date") as HTMLInputElement).value).toBe(thursday);
    await waitFor(() => expect(within(dialog).getByRole("button", { pressed: true, name: /王建国/ })).toBeDefined());
    await waitFor(() =>
      expect(within(dialog).getAllByTestId("slot").filter((b) => b.getAttribute("aria-pressed") === "true").map((b) => b.textContent?.trim())).toEqual([
        formatClock(startMin),
      ]),
    );
  });
});

describe("reschedule by drag", () => {
  const PX_PER_MIN = 3; // the fake's shortest slot is 15 min → 44 px touch target → 3 px/min
  const GRID_START = 480;
  const COL_LEFT = (i: number) => 64 + i * 200;

  /** A card's top in its column as the browser lays out the flow (lib/cardFlow): margins and heights stacked. */
  function cardTop(card: HTMLElement): number {
    const column = card.closest<HTMLElement>('[data-testid="doctor-column"]')!;
    const usual = parseFloat(column.style.getPropertyValue("--card-height"));
    const height = (el: HTMLElement) => parseFloat(el.style.height || "") || usual;
    const margin = (el: HTMLElement) => parseFloat(el.style.marginTop || "0");
    const topIn = (el: HTMLElement): number => {
      let y = 0;
      for (let s = el.parentElement!.firstElementChild as HTMLElement | null; s && s !== el; s = s.nextElementSibling as HTMLElement | null)
        if (s.matches(".card, .cluster")) y += margin(s) + height(s);
      return y + margin(el);
    };
    const lane = card.parentElement!.classList.contains("lane") ? card.parentElement! : null;
    return lane ? topIn(lane.parentElement!) + topIn(card) : topIn(card);
  }

  /** jsdom has no layout: columns 200 px wide side by side, cards where their style puts them. */
  function fakeLayout() {
    vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
      const columns = [...document.querySelectorAll('[data-testid="doctor-column"]')];
      const i = columns.indexOf(this);
      const box = i >= 0 ? { x: COL_LEFT(i), y: 0, width: 200, height: 3000 } : { x: 0, y: this.matches(".card") ? cardTop(this) : parseFloat(this.style.top || "0"), width: 100, height: 44 };
      return { ...box, left: box.x, top: box.y, right: box.x + box.width, bottom: box.y + box.height, toJSON: () => box } as DOMRect;
    });
  }

  async function drag(card: HTMLElement, toColumn: number, toMin: number) {
    const top = cardTop(card);
    const x0 = COL_LEFT(0) + 50;
    await fireEvent.pointerDown(card, { pointerId: 1, pointerType: "mouse", button: 0, clientX: x0, clientY: top + 5 });
    const to = { pointerId: 1, pointerType: "mouse", clientX: COL_LEFT(toColumn) + 50, clientY: (toMin - GRID_START) * PX_PER_MIN + 5 };
    await fireEvent.pointerMove(card, to);
    expect(screen.getByTestId("drag-ghost").textContent?.trim()).toBe(formatClock(toMin));
    await fireEvent.pointerUp(card, to);
  }

  /** Two appointments of 王建国 that hold their slots, the first movable. */
  async function twoOfDoctorOne(backend: FakeBackend) {
    const day = await backend.boardDay(null, TODAY);
    const mine = day.appointments.filter((a) => a.doctorId === doc(1));
    const starts = new Map<number, number>();
    for (const a of mine) starts.set(a.startMin, (starts.get(a.startMin) ?? 0) + 1);
    const single = mine.filter((a) => starts.get(a.startMin) === 1);
    const [moving, taken] = single;
    backend.patch(moving!.id, { state: "confirmed" });
    backend.patch(taken!.id, { state: "confirmed" });
    return { moving: moving!, taken: taken! };
  }

  test("a drop onto a taken slot shows slot_conflict and the card stays", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    const { moving, taken } = await twoOfDoctorOne(backend);
    render(App, { backend, clock });
    const card = await findCard(moving.id);
    const before = await backend.appointmentDetail(moving.id);
    const top = cardTop(card);
    fakeLayout();

    await drag(card, 0, taken.startMin);

    expect((await screen.findByTestId("move-error")).textContent).toContain("该时段已被预约，请选择其他时段。");
    expect(screen.queryByTestId("drag-ghost")).toBeNull();
    expect(screen.queryByTestId("undo")).toBeNull();
    const after = document.querySelector<HTMLElement>(`[data-appointment-id="${moving.id}"]`)!;
    expect(cardTop(after)).toBe(top);
    expect(after.closest<HTMLElement>('[data-testid="doctor-column"]')!.dataset.doctorId).toBe(doc(1));
    expect((await backend.appointmentDetail(moving.id)).start).toBe(before.start);
    // The drag did not open the panel.
    expect(screen.queryByTestId("panel")).toBeNull();
  });

  test("undo after a successful move restores it", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    const { moving } = await twoOfDoctorOne(backend);
    render(App, { backend, clock });
    const card = await findCard(moving.id);
    const before = await backend.appointmentDetail(moving.id);
    const free = Number(within(column(doc(1))).getAllByTestId("empty-slot").at(-1)!.dataset.startMin);
    fakeLayout();

    await drag(card, 0, free);

    expect((await screen.findByTestId("undo-toast")).textContent).toContain(moving.patientName);
    expect((await backend.appointmentDetail(moving.id)).start).toBe(zonedInstant(TODAY, free, TZ));
    await waitFor(() =>
      expect(cardTop(document.querySelector<HTMLElement>(`[data-appointment-id="${moving.id}"]`)!)).toBe((free - GRID_START) * PX_PER_MIN),
    );

    await fireEvent.click(screen.getByTestId("undo"));
    await waitFor(() => expect(screen.queryByTestId("undo-toast")).toBeNull());
    const restored = await backend.appointmentDetail(moving.id);
    expect(restored).toMatchObject({ start: before.start, end: before.end, doctorId: doc(1) });
    expect(restored.history.map((h) => h.action).slice(-2)).toEqual(["reschedule", "reschedule"]);
  });

  /** The week view of 王建国 (doctor 1), Monday TODAY to Sunday. */
  async function openWeekOfDoctorOne(): Promise<HTMLElement> {
    await fireEvent.click((await screen.findAllByTestId("open-week"))[0]!);
    const view = await screen.findByTestId("week-view");
    await waitFor(() => expect(within(view).getAllByTestId("doctor-column")).toHaveLength(7));
    return view;
  }
  const weekDay = (view: HTMLElement, date: string) => view.querySelector<HTMLElement>(`[data-testid="doctor-column"][data-column-key="${date}"]`)!;

  test("in the week view a card dragged to another day moves there, and undo brings it back", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    const { moving } = await twoOfDoctorOne(backend);
    render(App, { backend, clock });
    const view = await openWeekOfDoctorOne();
    const card = await findCard(moving.id);
    const before = await backend.appointmentDetail(moving.id);
    const wednesday = "2025-03-12";
    const free = Number(within(weekDay(view, wednesday)).getAllByTestId("empty-slot").at(-1)!.dataset.startMin);
    fakeLayout();

    await drag(card, 2, free);

    expect((await screen.findByTestId("undo-toast")).textContent).toContain(moving.patientName);
    expect((await backend.appointmentDetail(moving.id)).start).toBe(zonedInstant(wednesday, free, TZ));
    await waitFor(() => expect(within(weekDay(view, wednesday)).queryByTestId("drag-ghost")).toBeNull());
    await waitFor(() => expect(weekDay(view, wednesday).querySelector(`[data-appointment-id="${moving.id}"]`)).not.toBeNull());

    await fireEvent.click(screen.getByTestId("undo"));
    await waitFor(() => expect(screen.queryByTestId("undo-toast")).toBeNull());
    expect(await backend.appointmentDetail(moving.id)).toMatchObject({ start: before.start, end: before.end, doctorId: doc(1) });
    await waitFor(() => expect(weekDay(view, TODAY).querySelector(`[data-appointment-id="${moving.id}"]`)).not.toBeNull());
  });

  test("in the week view a drop onto a taken slot shows slot_conflict and the card stays", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    const { moving, taken } = await twoOfDoctorOne(backend);
    render(App, { backend, clock });
    await openWeekOfDoctorOne();
    const card = await findCard(moving.id);
    const before = await backend.appointmentDetail(moving.id);
    fakeLayout();

    await drag(card, 0, taken.startMin);

    expect((await screen.findByTestId("move-error")).textContent).toContain("该时段已被预约，请选择其他时段。");
    expect(screen.queryByTestId("undo")).toBeNull();
    expect((await backend.appointmentDetail(moving.id)).start).toBe(before.start);
    expect(screen.queryByTestId("panel")).toBeNull();
  });

  test("the panel's 改约 form moves the appointment to an offered slot (keyboard alternative)", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    const { moving } = await twoOfDoctorOne(backend);
    render(App, { backend, clock });
    const card = await findCard(moving.id);
    await fireEvent.click(card);
    const panel = await screen.findByTestId("panel");
    await fireEvent.click(await within(panel).findByTestId("action-reschedule"));
    const form = await within(panel).findByTestId("reschedule-form");
    const slot = (await within(form).findAllByTestId("reschedule-slot")).at(-1)!;
    const time = slot.textContent!.trim();
    await fireEvent.click(slot);
    await fireEvent.click(within(form).getByTestId("reschedule-submit"));
    await waitFor(() => expect(within(panel).queryByTestId("reschedule-form")).toBeNull());
    const [h, m] = time.split(":").map(Number) as [number, number];
    expect((await backend.appointmentDetail(moving.id)).start).toBe(zonedInstant(TODAY, h * 60 + m, TZ));
  });
});

describe("desk keys", () => {
  test("N opens the booking dialog, Esc closes it, / opens it with the patient search focused", async () => {
    await setup();
    await fireEvent.keyDown(document.body, { key: "n" });
    expect(await screen.findByTestId("booking")).toBeDefined();
    await fireEvent.keyDown(document.body, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("booking")).toBeNull());
    await fireEvent.keyDown(document.body, { key: "/" });
    const dialog = await screen.findByTestId("booking");
    await waitFor(() => expect(document.activeElement).toBe(within(dialog).getByTestId("patient-search")));
    // Typing N in the search field types, it does not open anything.
    await fireEvent.keyDown(within(dialog).getByTestId("patient-search"), { key: "n" });
    expect(screen.getAllByTestId("booking")).toHaveLength(1);
  });

  test("arrow keys move the focus between cards and empty slots of the board", async () => {
    await setup();
    const col = column(doc(1));
    const items = [...col.querySelectorAll<HTMLElement>("[data-nav-key]")].sort(
      (a, b) => minOf(a) - minOf(b),
    );
    const first = items[0]!;
    first.focus();
    await fireEvent.keyDown(first, { key: "ArrowDown" });
    expect(minOf(document.activeElement as HTMLElement)).toBeGreaterThanOrEqual(minOf(first));
    expect((document.activeElement as HTMLElement).closest('[data-testid="doctor-column"]')).toBe(col);
    expect(document.activeElement).not.toBe(first);
    await fireEvent.keyDown(document.activeElement!, { key: "ArrowRight" });
    expect((document.activeElement as HTMLElement).closest<HTMLElement>('[data-testid="doctor-column"]')!.dataset.doctorId).toBe(doc(2));
  });
});

async function findCard(id: string): Promise<HTMLElement> {
  return waitFor(() => {
    const el = document.querySelector<HTMLElement>(`[data-appointment-id="${id}"]`);
    if (!el) throw new Error("card not drawn yet");
    return el;
  });
}

/** Start minute of a card (from its time label) or an empty slot. */
function minOf(el: HTMLElement): number {
  if (el.dataset.startMin) return Number(el.dataset.startMin);
  const [h, m] = (el.getAttribute("aria-label") ?? "").slice(0, 5).split(":").map(Number) as [number, number];
  return h * 60 + m;
}
