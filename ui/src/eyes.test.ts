// @vitest-environment jsdom
// The eye-health record on the fake backend: exams, the form's refusals, amendments with a reason and
// their audit, the charts with the reference switch, presentation mode, and printing the parent report.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, test, vi } from "vitest";
import App from "./App.svelte";
import { FakeBackend } from "./lib/fakeBackend";

const TODAY = "2025-03-12";
const NOW = Date.UTC(2025, 2, 12, 2, 0);
const clock = () => new Date(NOW);

async function eyeRecord(login = "opto.bj02") {
  const backend = new FakeBackend({ today: TODAY, login, clock: () => NOW });
  render(App, { backend, clock });
  await screen.findByTestId("board-grid");
  await fireEvent.click(screen.getByTestId("open-eyes"));
  const search = await screen.findByTestId("eyes-search");
  await fireEvent.input(search, { target: { value: "张晓明" } });
  await fireEvent.submit(search.closest("form")!);
  await screen.findByTestId("exam-table");
  return backend;
}

const examDates = () => screen.getAllByTestId("exam-row").map((r) => r.querySelector("td")?.textContent);

function type(testId: string, value: string) {
  return fireEvent.input(screen.getByTestId(testId), { target: { value } });
}

describe("eye-health record", () => {
  test("exams are listed newest first with the SER and axial change since the previous exam", async () => {
    await eyeRecord();
    expect(examDates()).toEqual(["2024-09-10", "2024-03-05", "2023-09-02"]);
    const newest = screen.getAllByTestId("exam-row")[0]!;
    // OD: sphere -2.00, cylinder -0.50 → SER -2.25 D, 0.50 D more myopic than in March; axial +0.22 mm.
    expect(newest.textContent).toContain("-2.25 D");
    expect(newest.textContent).toContain("-0.50");
    expect(newest.textContent).toContain("+0.22 mm");
  });

  test("a value off the 0.25 D step is refused next to its field and nothing is saved; corrected, it is saved", async () => {
    const backend = await eyeRecord();
    await fireEvent.click(screen.getByTestId("exam-new"));
    await screen.findByTestId("exam-form");
    await type("exam-od-sphere_cd", "-2.30");
    await type("exam-os-sphere_cd", "-1.75");
    await type("exam-od-axial_length_um", "24.40");
    await fireEvent.click(screen.getByTestId("exam-save"));
    const error = await screen.findByTestId("field-error");
    expect(error.textContent).toContain("0.25");
    // The message sits in the right eye's sphere cell, and that input is marked.
    expect(error.closest("td")?.querySelector('[data-field="od.sphere_cd"]')?.getAttribute("aria-invalid")).toBe("true");
    expect((await backend.patientExams("patient-demo-1")).length).toBe(3);

    await type("exam-od-sphere_cd", "-2.25");
    await fireEvent.click(screen.getByTestId("exam-save"));
    await waitFor(() => expect(screen.queryByTestId("exam-form")).toBeNull());
    await waitFor(() => expect(examDates()).toEqual([TODAY, "2024-09-10", "2024-03-05", "2023-09-02"]));
    expect((await backend.patientExams("patient-demo-1")).length).toBe(4);
  });

  test("a value that is not a number is named before anything is sent", async () => {
    const backend = await eyeRecord();
    const execute = vi.spyOn(backend, "execute");
    await fireEvent.click(screen.getByTestId("exam-new"));
    await type("exam-os-axial_length_um", "24,1x");
    await fireEvent.click(screen.getByTestId("exam-save"));
    expect((await screen.findByTestId("field-error")).textContent).toContain("眼轴");
    expect(execute).not.toHaveBeenCalled();
  });

  test("full-width digits and a comma decimal are read as the number meant", async () => {
    const backend = await eyeRecord();
    await fireEvent.click(screen.getByTestId("exam-new"));
    await type("exam-od-axial_length_um", "２４，５０");
    await fireEvent.click(screen.getByTestId("exam-save"));
    await waitFor(() => expect(screen.queryByTestId("exam-form")).toBeNull());
    const rows = await backend.patientExams("patient-demo-1");
    expect(rows[0]!.exam.od.axial_length_um).toBe(24500);
  });

  test("an amendment needs a reason, and the audit shows who changed which value from what to what", async () => {
    await eyeRecord();
    const newest = screen.getAllByTestId("exam-row")[0]!;
    await fireEvent.click(within(newest).getByTestId("exam-amend"));
    await screen.findByTestId("exam-form");
    await type("exam-od-axial_length_um", "24.25");
    await fireEvent.click(screen.getByTestId("exam-save"));
    expect((await screen.findByRole("alert")).textContent).toContain("修改原因");
    await type("exam-reason", "抄错了一位");
    await fireEvent.click(screen.getByTestId("exam-save"));
    await waitFor(() => expect(screen.queryByTestId("exam-form")).toBeNull());
    const row = screen.getAllByTestId("exam-row")[0]!;
    expect(row.textContent).toContain("林雨桐 修改过");
    await fireEvent.click(within(row).getByTestId("exam-audit"));
    const lines = await screen.findByTestId("audit-lines");
    expect(lines.textContent).toContain("抄错了一位");
    expect(lines.textContent).toContain("od.axial_length_um: 24230 → 24250");
  });

  test("receptionists get no eye-record button; optometrists get no booking button", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    render(App, { backend, clock });
    await screen.findByTestId("board-grid");
    expect(screen.queryByTestId("open-eyes")).toBeNull();
    expect(screen.getByTestId("new-booking")).toBeDefined();
  });
});

describe("growth charts", () => {
  test("the chart shows each eye with the per-exam percentiles, and switching the reference redraws on it", async () => {
    const backend = await eyeRecord();
    const eyeView = vi.spyOn(backend, "eyeView");
    await fireEvent.click(screen.getByTestId("tab-charts"));
    const charts = await screen.findByTestId("charts");
    expect(charts.dataset.reference).toBe("sanz-diez-2022");
    expect(charts.querySelectorAll("section.eye")).toHaveLength(2);
    expect(charts.querySelectorAll('[data-testid="axial-chart"] svg')).toHaveLength(2);
    // Charts scale to their box: no fixed width left on the root <svg>.
    expect(charts.querySelector('[data-testid="axial-chart"] svg')?.getAttribute("width")).toBeNull();
    expect(within(charts).getAllByTestId("chart-point")).toHaveLength(6);

    await fireEvent.change(screen.getByTestId("reference-select"), { target: { value: "he-2023" } });
    await waitFor(() => expect(screen.getByTestId("charts").dataset.reference).toBe("he-2023"));
    expect(eyeView).toHaveBeenLastCalledWith("patient-demo-1", "he-2023");
  });

  test("presentation mode shows both eyes, then one at a time, and Esc leaves it", async () => {
    await eyeRecord();
    await fireEvent.click(screen.getByTestId("tab-charts"));
    await screen.findByTestId("charts");
    await fireEvent.click(screen.getByTestId("present-open"));
    const show = await screen.findByTestId("presentation");
    expect(within(show).getAllByTestId("present-chart").map((c) => c.dataset.eye)).toEqual(["od", "os"]);
    expect(within(show).getByTestId("present-summary").textContent).toContain("张晓明");
    await fireEvent.click(within(show).getByTestId("present-os"));
    expect(within(show).getAllByTestId("present-chart").map((c) => c.dataset.eye)).toEqual(["os"]);
    await fireEvent.keyDown(show, { key: "ArrowRight" });
    expect(within(show).getAllByTestId("present-chart").map((c) => c.dataset.eye)).toEqual(["od", "os"]);
    await fireEvent.keyDown(show, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("presentation")).toBeNull());
  });
});

describe("printing", () => {
  test("print writes the parent report and opens it in the system viewer; save as writes where the user chose", async () => {
    const backend = await eyeRecord();
    await fireEvent.click(screen.getByTestId("report-print"));
    const done = await screen.findByTestId("print-done");
    const path = done.dataset.path!;
    expect(backend.printed.get(path)).toEqual({ kind: "parent_report", patientId: "patient-demo-1", reference: null });
    expect(backend.opened).toEqual([path]);

    backend.savePath = "/tmp/zhang-report.pdf";
    await fireEvent.click(screen.getByTestId("report-save"));
    await waitFor(() => expect(screen.getByTestId("print-done").dataset.path).toBe("/tmp/zhang-report.pdf"));
    expect(backend.printed.has("/tmp/zhang-report.pdf")).toBe(true);
    expect(backend.opened).toHaveLength(1);
  });

  test("cancelling the save dialog writes nothing", async () => {
    const backend = await eyeRecord();
    backend.savePath = null;
    await fireEvent.click(screen.getByTestId("report-save"));
    await waitFor(() => expect(screen.queryByTestId("print-busy")).toBeNull());
    expect(backend.printed.size).toBe(0);
    expect(screen.queryByTestId("print-done")).toBeNull();
  });

  test("the day sheet prints the shown store and day", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    render(App, { backend, clock });
    await screen.findByTestId("board-grid");
    await fireEvent.click(screen.getByTestId("print-day"));
    const done = await screen.findByTestId("print-done");
    expect(backend.printed.get(done.dataset.path!)).toEqual({ kind: "day_sheet", storeId: "store-chaoyang", date: TODAY });
  });
});

describe("recall task list from the header", () => {
  test("reception opens today's recall tasks of the shown store and goes back to the board", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01", clock: () => NOW });
    render(App, { backend, clock });
    await screen.findByTestId("board-grid");
    await fireEvent.click(screen.getByTestId("open-recall"));
    await screen.findByTestId("recall-list");
    expect(screen.getByTestId("recall-date").textContent).toContain("2025");
    expect(screen.getAllByTestId("recall-row").length).toBeGreaterThan(0);
    expect(screen.queryByTestId("board-grid")).toBeNull();
    await fireEvent.click(screen.getByTestId("recall-close"));
    await screen.findByTestId("board-grid");
  });
});

/** The desk of `login` with the first appointment of the board checked in and its panel open. */
async function checkedInVisit(login: string) {
  const backend = new FakeBackend({ today: TODAY, login, clock: () => NOW });
  const day = await backend.boardDay(null, null);
  const visit = day.appointments[0]!;
  backend.patch(visit.id, { state: "checked_in" });
  render(App, { backend, clock });
  const card = await waitFor(() => {
    const el = document.querySelector<HTMLElement>(`[data-appointment-id="${visit.id}"]`);
    if (!el) throw new Error("card not drawn yet");
    return el;
  });
  await fireEvent.click(card);
  const panel = await screen.findByTestId("panel");
  return { backend, visit, panel };
}

describe("an exam at the visit", () => {
  test("from a checked-in appointment the optometrist opens the patient's record and the new exam is linked to that visit", async () => {
    const { backend, visit, panel } = await checkedInVisit("opto.bj02");
    await fireEvent.click(await within(panel).findByTestId("action-exam"));
    expect((await screen.findByTestId("eyes-patient")).textContent).toContain(visit.patientName);
    await fireEvent.click(await screen.findByTestId("exam-new"));
    expect(screen.getByTestId("exam-visit")).toBeDefined();
    await type("exam-od-axial_length_um", "23.10");
    await fireEvent.click(screen.getByTestId("exam-save"));
    await waitFor(() => expect(screen.queryByTestId("exam-form")).toBeNull());
    const detail = await backend.appointmentDetail(visit.id);
    const rows = await backend.patientExams(detail.patientId);
    expect(rows[0]!.appointmentId).toBe(visit.id);
  });

  test("reception sees no eye-exam action in the appointment panel", async () => {
    const { panel } = await checkedInVisit("front.bj01");
    await within(panel).findByTestId("panel-state");
    expect(within(panel).queryByTestId("action-exam")).toBeNull();
  });
});
