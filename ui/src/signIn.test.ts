// @vitest-environment jsdom
// Staff sign-in before the board (DOMAIN.md §1): the sign-in screen, session end, sign-out and language.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, test, vi } from "vitest";
import App from "./App.svelte";
import type { Session } from "./bindings/Session";
import { FakeBackend } from "./lib/fakeBackend";

const TODAY = "2025-03-10";
const clock = () => new Date(Date.UTC(2025, 2, 10, 2, 0));

function setup(options: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  const backend = new FakeBackend({ today: TODAY, ...options });
  const spies = {
    signIn: vi.spyOn(backend, "signIn"),
    signOut: vi.spyOn(backend, "signOut"),
    session: vi.spyOn(backend, "session"),
    setLanguage: vi.spyOn(backend, "setLanguage"),
    boardDay: vi.spyOn(backend, "boardDay"),
  };
  render(App, { backend, clock });
  return { backend, user: userEvent.setup(), ...spies };
}

const loginField = () => screen.findByTestId<HTMLInputElement>("signin-login");
const passwordField = () => screen.getByTestId<HTMLInputElement>("signin-password");
const submitButton = () => screen.getByTestId<HTMLButtonElement>("signin-submit");

/** Resolves when the board of the signed-in staff member is on screen. */
const boardShown = () => screen.findAllByTestId("doctor-header");

describe("sign-in screen", () => {
  test("nobody signed in: the sign-in screen shows, with the app's name and the login field focused", async () => {
    const { boardDay } = setup();
    const login = await loginField();
    expect(document.activeElement).toBe(login);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toContain("诊所前台");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toContain("ClinicDesk");
    expect(submitButton().textContent?.trim()).toBe("登录");
    expect(screen.queryByTestId("signin-error")).toBeNull();
    expect(boardDay).not.toHaveBeenCalled();
  });

  test("signing in shows the board of the staff member's default store, with their name and role", async () => {
    const { user, boardDay } = setup();
    await user.type(await loginField(), "front.bj01");
    await user.type(passwordField(), "demo1234");
    await user.click(submitButton());
    await boardShown();
    expect(boardDay).toHaveBeenCalledWith("store-chaoyang", null);
    const staff = screen.getByTestId("staff");
    expect(staff.textContent).toContain("刘婷");
    expect(staff.textContent).toContain("前台");
    expect(screen.queryByTestId("signin-login")).toBeNull();
  });

  test("a wrong password shows the backend's message under the form and keeps the login typed", async () => {
    const { user } = setup();
    await user.type(await loginField(), "front.bj01");
    await user.type(passwordField(), "wrong");
    await user.click(submitButton());
    const error = await screen.findByTestId("signin-error");
    expect(error.textContent).toBe("账号或密码不正确。");
    expect(error.getAttribute("role")).toBe("alert");
    expect(screen.getByTestId<HTMLInputElement>("signin-login").value).toBe("front.bj01");
    // The password is typed again, so it is emptied and focused.
    expect(passwordField().value).toBe("");
    await waitFor(() => expect(document.activeElement).toBe(passwordField()));
    expect(screen.queryByTestId("doctor-header")).toBeNull();
  });

  test("Enter in the password field submits the form", async () => {
    const { user, signIn } = setup();
    await user.type(await loginField(), "manager.bj01");
    await user.type(passwordField(), "demo1234{Enter}");
    expect(signIn).toHaveBeenCalledWith("manager.bj01", "demo1234");
    await boardShown();
    expect(screen.getByTestId("staff").textContent).toContain("店长");
  });

  test("while signing in the button is disabled and says 正在登录…, and a second submit is not sent", async () => {
    const { user, backend, signIn } = setup();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    signIn.mockImplementation(async (login, password) => {
      await gate;
      return FakeBackend.prototype.signIn.call(backend, login, password);
    });
    await user.type(await loginField(), "front.bj01");
    await user.type(passwordField(), "demo1234");
    await user.click(submitButton());
    await waitFor(() => expect(submitButton().disabled).toBe(true));
    expect(submitButton().textContent?.trim()).toBe("正在登录…");
    await user.type(passwordField(), "{Enter}");
    expect(signIn).toHaveBeenCalledTimes(1);
    release();
    await boardShown();
  });

  test("an empty login or password is not sent; the screen says what is missing", async () => {
    const { user, signIn } = setup();
    await user.type(await loginField(), "front.bj01");
    await user.click(submitButton());
    expect((await screen.findByTestId("signin-error")).textContent).toBe("请输入账号和密码。");
    expect(document.activeElement).toBe(passwordField());
    expect(signIn).not.toHaveBeenCalled();
  });

  test("five wrong passwords lock sign-in, and the message says for how long", async () => {
    const { user, signIn } = setup();
    await user.type(await loginField(), "front.bj01");
    for (let i = 0; i < 5; i++) {
      await user.type(passwordField(), "nope{Enter}");
      await waitFor(() => expect(passwordField().value).toBe(""));
    }
    expect(screen.getByTestId("signin-error").textContent).toBe("登录失败次数过多，请 60 秒后再试。");
    // Locked: even the right password is refused, with the time left.
    await user.type(passwordField(), "demo1234{Enter}");
    await waitFor(() => expect(passwordField().value).toBe(""));
    expect(signIn).toHaveBeenCalledTimes(6);
    await expect(signIn.mock.results[5]!.value).rejects.toMatchObject({ code: "too_many_attempts" });
    expect(screen.getByTestId("signin-error").textContent).toMatch(/^登录失败次数过多，请 \d+ 秒后再试。$/);
    expect(screen.queryByTestId("doctor-header")).toBeNull();
  });

  test("the demo accounts hint lists the demo logins and a click fills the login field", async () => {
    const { user } = setup();
    const login = await loginField();
    const hint = screen.getByRole("region", { name: "演示账号" });
    expect(hint.textContent).toContain("demo1234");
    const accounts = within(hint).getAllByTestId("demo-account");
    expect(accounts.map((b) => b.querySelector(".login")?.textContent)).toEqual([
      "front.bj01",
      "manager.bj01",
      "opto.bj02",
      "admin",
    ]);
    await user.click(accounts[2]!);
    expect(login.value).toBe("opto.bj02");
    expect(document.activeElement).toBe(passwordField());
    await user.type(passwordField(), "demo1234{Enter}");
    await boardShown();
    expect(screen.getByTestId("staff").textContent).toContain("视光师");
  });

  test("a session from before (a reload of the window) goes straight to the board", async () => {
    const { signIn } = setup({ login: "front.bj01" });
    await boardShown();
    expect(signIn).not.toHaveBeenCalled();
  });
});

describe("session end and sign-out", () => {
  test("not_signed_in from boardDay returns to the sign-in screen and says the session ended", async () => {
    const { backend } = setup({ login: "admin" });
    await boardShown();
    await backend.signOut(); // the Rust side ended the session (e.g. restarted)
    await fireEvent.click(screen.getByRole("button", { name: "后一天" }));
    await loginField();
    expect(screen.getByRole("status").textContent).toBe("登录已失效，请重新登录。");
    expect(screen.queryByTestId("doctor-header")).toBeNull();
  });

  test("sign-out returns to the sign-in screen without asking, and the backend forgets the session", async () => {
    const { backend, user, signOut } = setup({ login: "admin" });
    await boardShown();
    await user.click(screen.getByTestId("signout"));
    await loginField();
    expect(signOut).toHaveBeenCalledTimes(1);
    expect(await backend.session()).toBeNull();
    expect(screen.queryByTestId("doctor-header")).toBeNull();
    expect(screen.queryByRole("status")).toBeNull();
  });

  test("signing in again after sign-out shows the new staff member's stores, not the previous one's", async () => {
    const { user, boardDay } = setup({ login: "admin" });
    await boardShown();
    await user.click(screen.getByTestId("signout"));
    await user.type(await loginField(), "opto.bj02");
    await user.type(passwordField(), "demo1234{Enter}");
    await waitFor(() => expect(screen.getByTestId("staff").textContent).toContain("林雨桐"));
    await boardShown();
    expect(boardDay).toHaveBeenLastCalledWith("store-haidian", null);
    const options = within(screen.getByTestId("store-switcher")).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["海淀门诊部"]);
  });
});

describe("language", () => {
  test("the backend is told the language at start, before it is asked for the session", async () => {
    const { setLanguage, session } = setup();
    await loginField();
    expect(setLanguage).toHaveBeenCalledWith("zh-CN");
    expect(setLanguage.mock.invocationCallOrder[0]!).toBeLessThan(session.mock.invocationCallOrder[0]!);
  });

  test("switching the language calls setLanguage and re-renders the sign-in screen in it", async () => {
    const { user, setLanguage } = setup();
    await loginField();
    await fireEvent.change(screen.getByLabelText("语言"), { target: { value: "en" } });
    expect(setLanguage).toHaveBeenLastCalledWith("en");
    expect(submitButton().textContent?.trim()).toBe("Sign in");
    expect(screen.getByLabelText("Login")).toBe(screen.getByTestId("signin-login"));
    expect(screen.getByRole("region", { name: "Demo accounts" })).toBeDefined();
    expect(document.documentElement.lang).toBe("en");
    // The backend's messages now come in English too.
    await user.type(screen.getByTestId("signin-login"), "front.bj01");
    await user.type(passwordField(), "nope{Enter}");
    expect((await screen.findByTestId("signin-error")).textContent).toBe("The login or password is not correct.");
  });

  test("the role in the header follows the language", async () => {
    setup({ login: "opto.bj02" });
    await boardShown();
    await fireEvent.change(screen.getByLabelText("语言"), { target: { value: "zh-TW" } });
    expect(screen.getByTestId("staff").textContent).toContain("驗光師");
    expect(screen.getByTestId("signout").textContent).toBe("登出");
  });
});

describe("store switcher", () => {
  test("lists only the session's stores and opens on the session's default store", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "admin" });
    const real = await backend.session();
    const session: Session = { ...real!, stores: real!.stores.slice(1), storeId: "store-xinyi" };
    vi.spyOn(backend, "session").mockResolvedValue(session);
    const boardDay = vi.spyOn(backend, "boardDay");
    render(App, { backend, clock });
    await boardShown();
    expect(boardDay).toHaveBeenCalledWith("store-xinyi", null);
    const select = screen.getByTestId<HTMLSelectElement>("store-switcher");
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["海淀门诊部", "信义诊所"]);
    expect(select.value).toBe("store-xinyi");
    expect(select.disabled).toBe(false);
  });

  test("a staff member of one store sees only that store, and cannot switch", async () => {
    setup({ login: "front.bj01" });
    await boardShown();
    const select = screen.getByTestId<HTMLSelectElement>("store-switcher");
    expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["朝阳门诊部"]);
    expect(select.disabled).toBe(true);
  });
});

describe("permissions in the header", () => {
  test("the cancellation-request count shows only to staff who may handle requests", async () => {
    setup({ login: "opto.bj02" });
    await boardShown();
    expect(screen.queryByTestId("open-requests")).toBeNull();
  });

  test("a session without view_board gets a notice instead of the board, and no board is loaded", async () => {
    const backend = new FakeBackend({ today: TODAY, login: "front.bj01" });
    const real = await backend.session();
    vi.spyOn(backend, "session").mockResolvedValue({ ...real!, permissions: [] });
    const boardDay = vi.spyOn(backend, "boardDay");
    render(App, { backend, clock });
    expect(await screen.findByText("你的账号没有查看预约看板的权限。")).toBeDefined();
    expect(boardDay).not.toHaveBeenCalled();
    expect(screen.getByTestId("signout")).toBeDefined();
  });
});
