// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, test, vi } from "vitest";
import App from "./App.svelte";
import { FakeBackend } from "./lib/fakeBackend";

const TODAY = "2025-03-10";
/** 10:00 in Shanghai on TODAY. */
const clock = () => new Date(Date.UTC(2025, 2, 10, 2, 0));

/** The app on the fake backend, signed in from before (as after a reload) as `admin`, who works in every store. */
function setup(options: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  const backend = new FakeBackend({ today: TODAY, login: "admin", ...options });
  const boardDay = vi.spyOn(backend, "boardDay");
  render(App, { backend, clock });
  return { backend, boardDay };
}

describe("board with 60 doctors", () => {
  test("shows every doctor in the backend's order, the unlisted one last and marked", async () => {
    const { backend } = setup({ doctorCount: 60 });
    const expected = await backend.boardDay(null, null);
    const headers = await screen.findAllByTestId("doctor-header");
    expect(headers.map((h) => h.querySelector(".name")?.textContent)).toEqual(expected.doctors.map((d) => d.name));
    expect(within(headers[59]!).queryByText("未排序")).not.toBeNull();
    expect(within(headers[0]!).queryByText("未排序")).toBeNull();
  });

  test("keeps every column at least 140 px wide, so the grid scrolls sideways instead of squeezing", async () => {
    setup({ doctorCount: 60 });
    const grid = await screen.findByTestId("board-grid");
    expect(grid.style.gridTemplateColumns).toBe("64px repeat(60, minmax(140px, 1fr))");
    expect(grid.style.minWidth).toBe(`${64 + 60 * 140}px`);
  });

  // jsdom lays nothing out: the board takes the window (1024 × 768) as its viewport.
  test("only the doctor columns in view are drawn first, then one more; each in its own grid column", async () => {
    const { backend } = setup({ doctorCount: 60 });
    const expected = await backend.boardDay(null, null);
    await screen.findByTestId("board-grid");
    // (1024 − 64) / 140 → 7 columns in view; the one more on the right follows a moment later.
    expect(screen.getAllByTestId("doctor-column").map((c) => c.dataset.doctorId)).toEqual(expected.doctors.slice(0, 7).map((d) => d.id));
    await waitFor(() => expect(screen.getAllByTestId("doctor-column")).toHaveLength(8));
    const columns = screen.getAllByTestId("doctor-column");
    expect(columns.map((c) => c.dataset.doctorId)).toEqual(expected.doctors.slice(0, 8).map((d) => d.id));
    expect(columns.map((c) => c.style.gridColumn)).toEqual(["2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  test("a day of more than 600 cards draws only the cards near the viewport, and says how many the day has", async () => {
    const { backend } = setup({ doctorCount: 60 });
    const expected = await backend.boardDay(null, null);
    const board = await screen.findByTestId("board");
    expect(board.dataset.loadedDay).toBe(TODAY);
    expect(board.dataset.cardCount).toBe(String(expected.appointments.length));
    expect(expected.appointments.length).toBeGreaterThan(600);
    const drawn = screen.getAllByTestId("appointment");
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.length).toBeLessThan(expected.appointments.length / 4);
  });

  test("scrolling sideways draws the columns that come into view and drops those that left", async () => {
    const { backend } = setup({ doctorCount: 60 });
    const expected = await backend.boardDay(null, null);
    const board = await screen.findByTestId("board");
    board.scrollLeft = 140 * 30;
    await fireEvent.scroll(board);
    await waitFor(() => expect(screen.getAllByTestId("doctor-column")).toHaveLength(9));
    const ids = screen.getAllByTestId("doctor-column").map((c) => c.dataset.doctorId);
    expect(ids).toEqual(expected.doctors.slice(29, 38).map((d) => d.id));
  });

  test("arrow keys onto a card of a column not drawn scroll it into view, draw it and focus it", async () => {
    const { backend } = setup({ doctorCount: 60 });
    const expected = await backend.boardDay(null, null);
    const board = await screen.findByTestId("board");
    const last = expected.doctors[7]!.id;
    await waitFor(() => expect(board.querySelector(`[data-doctor-id="${last}"] [data-nav-key]`)).not.toBeNull());
    const from = board.querySelector<HTMLElement>(`[data-doctor-id="${last}"] [data-nav-key]`)!;
    from.focus();
    await fireEvent.keyDown(from, { key: "ArrowRight" });
    const focused = document.activeElement as HTMLElement;
    expect(focused.closest<HTMLElement>('[data-testid="doctor-column"]')!.dataset.doctorId).toBe(expected.doctors[8]!.id);
    expect(board.scrollLeft).toBeGreaterThan(0);
  });
});

describe("navigation", () => {
  test("› loads the next day of the same store, ‹ the day before", async () => {
    const { boardDay } = setup();
    await fireEvent.click(await screen.findByRole("button", { name: "后一天" }));
    expect(boardDay).toHaveBeenLastCalledWith("store-chaoyang", "2025-03-11");
    await waitFor(() => expect(screen.getByLabelText<HTMLInputElement>("日期").value).toBe("2025-03-11"));
    await fireEvent.click(screen.getByRole("button", { name: "前一天" }));
    expect(boardDay).toHaveBeenLastCalledWith("store-chaoyang", "2025-03-10");
  });

  test("today asks the backend for the store's today and is disabled when already there", async () => {
    const { boardDay } = setup();
    const todayButton = await screen.findByRole("button", { name: "今天" });
    expect(todayButton).toHaveProperty("disabled", true);
    await fireEvent.click(screen.getByRole("button", { name: "后一天" }));
    await waitFor(() => expect(todayButton).toHaveProperty("disabled", false));
    await fireEvent.click(todayButton);
    expect(boardDay).toHaveBeenLastCalledWith("store-chaoyang", null);
  });

  test("picking another store loads that store on the same date", async () => {
    const { boardDay } = setup();
    const select = await screen.findByLabelText<HTMLSelectElement>("门店");
    await fireEvent.change(select, { target: { value: "store-haidian" } });
    expect(boardDay).toHaveBeenLastCalledWith("store-haidian", TODAY);
    await waitFor(() => expect(select.value).toBe("store-haidian"));
  });

  test("typing a date loads it", async () => {
    const { boardDay } = setup();
    const input = await screen.findByLabelText<HTMLInputElement>("日期");
    await fireEvent.change(input, { target: { value: "2025-04-01" } });
    expect(boardDay).toHaveBeenLastCalledWith("store-chaoyang", "2025-04-01");
  });
});

describe("now-line", () => {
  test("is drawn at the current minute of the store on its today, and not on other days", async () => {
    setup();
    const line = await screen.findByTestId("now-line");
    // 10:00 is 120 minutes after the 08:00 grid start; the fake's shortest slot (15 min) sets 3 px per minute.
    expect((line.firstElementChild as HTMLElement).style.top).toBe(`${120 * 3}px`);
    await fireEvent.click(screen.getByRole("button", { name: "后一天" }));
    await waitFor(() => expect(screen.queryByTestId("now-line")).toBeNull());
  });
});

describe("errors", () => {
  test("a store time zone Intl does not know hides the now-line but still shows the board", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "admin" });
    vi.spyOn(backend, "boardDay").mockImplementation(async (storeId, date) => {
      const day = await new FakeBackend({ today: TODAY, login: "admin" }).boardDay(storeId, date);
      return { ...day, store: { ...day.store, timezone: "Mars/Olympus" } };
    });
    render(App, { backend, clock });
    expect(await screen.findAllByTestId("doctor-header")).toHaveLength(8);
    expect(screen.queryByTestId("now-line")).toBeNull();
  });


  test("the backend's message is shown in an alert, and retry asks again", async () => {
    const { boardDay } = setup({ fail: { code: "db_unavailable", message: "数据库暂时不可用，请稍后重试。" } });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("数据库暂时不可用，请稍后重试。");
    await fireEvent.click(within(alert).getByRole("button", { name: "重试" }));
    expect(boardDay).toHaveBeenCalledTimes(2);
  });

  test("an error without a message gets the app's own wording", async () => {
    setup({ fail: { code: "unexpected", message: "" } });
    expect((await screen.findByRole("alert")).textContent).toContain("发生了意外错误");
  });
});

describe("header and language", () => {
  test("shows the number of open cancellation requests", async () => {
    const { backend } = setup();
    const { openRequests } = await backend.boardDay(null, null);
    expect((await screen.findByTestId("open-requests")).textContent).toBe(String(openRequests));
  });

  test("switching the language changes the texts at once, without reloading the board", async () => {
    const { boardDay } = setup();
    await screen.findByRole("button", { name: "今天" });
    const calls = boardDay.mock.calls.length;
    await fireEvent.change(screen.getByLabelText("语言"), { target: { value: "en" } });
    expect(screen.getByRole("button", { name: "Today" })).toBeDefined();
    expect(screen.queryByRole("button", { name: "今天" })).toBeNull();
    expect(document.documentElement.lang).toBe("en");
    expect(boardDay.mock.calls.length).toBe(calls);
  });
});
