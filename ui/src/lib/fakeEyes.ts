// The fake backend's eye records: a few exams of the demo children, recording and amending with
// the core's field-named refusals for the checks the tests exercise (sphere and cylinder in 0.25 D
// steps and range, axial length range), an audit trail, and simple charts. The real charts,
// percentiles and checks are the Rust core's; this only lets the UI run without it.

import type { ChartPoint } from "../bindings/ChartPoint";
import type { ExamAuditLine } from "../bindings/ExamAuditLine";
import type { EyeChart } from "../bindings/EyeChart";
import type { EyeExam } from "../bindings/EyeExam";
import type { EyeReading } from "../bindings/EyeReading";
import type { EyeTrend } from "../bindings/EyeTrend";
import type { EyeView } from "../bindings/EyeView";
import type { PatientExamRow } from "../bindings/PatientExamRow";
import type { PatientHit } from "../bindings/PatientHit";
import type { BackendError, Commands } from "./backend";
import type { Locale } from "./i18n";

const REFERENCES = [
  { slug: "sanz-diez-2022", name: { "zh-CN": "Sanz Diez 2022（武汉儿童，6–15 岁）", "zh-TW": "Sanz Diez 2022（武漢兒童，6–15 歲）", en: "Sanz Diez 2022 (Wuhan children, 6–15 y)" } },
  { slug: "he-2023", name: { "zh-CN": "He 2023（上海儿童，4–18 岁）", "zh-TW": "He 2023（上海兒童，4–18 歲）", en: "He 2023 (Shanghai children, 4–18 y)" } },
] as const;

type Stored = { exam: EyeExam; appointmentId: string | null; recordedBy: string; recordedAt: string; amendedBy: string | null; amendedAt: string | null; audit: ExamAuditLine[] };

function reading(eye: "od" | "os", sphere: number, axial: number): EyeReading {
  return {
    eye,
    ucva_hundredths: null,
    bcva_hundredths: 100,
    sphere_cd: sphere,
    cylinder_cd: -50,
    axis_deg: 180,
    axial_length_um: axial,
    k1_cd: 4300,
    k2_cd: 4400,
    iop_dmmhg: 150,
    central_corneal_thickness_um: 540,
  };
}

const MESSAGES: Record<Locale, { step: string; range: string; axial: string; forbidden: string }> = {
  "zh-CN": {
    step: "{eye}{what} {value}D 须为 0.25D 的整数倍，请核对后重新录入",
    range: "{eye}{what} {value}D 超出范围，请核对后重新录入",
    axial: "{eye}眼轴 {value}mm 超出范围（14.00 至 40.00mm），请核对后重新录入",
    forbidden: "你的账号没有权限进行此操作。",
  },
  "zh-TW": {
    step: "{eye}{what} {value}D 須為 0.25D 的整數倍，請核對後重新輸入",
    range: "{eye}{what} {value}D 超出範圍，請核對後重新輸入",
    axial: "{eye}眼軸 {value}mm 超出範圍（14.00 至 40.00mm），請核對後重新輸入",
    forbidden: "你的帳號沒有權限進行此操作。",
  },
  en: {
    step: "{eye} {what} {value} D must be a multiple of 0.25 D; check it and enter it again",
    range: "{eye} {what} {value} D is out of range; check it and enter it again",
    axial: "{eye} axial length {value} mm is out of range (14.00 to 40.00 mm); check it and enter it again",
    forbidden: "Your account may not do this.",
  },
};

const EYE_NAMES: Record<Locale, Record<"od" | "os", string>> = {
  "zh-CN": { od: "右眼", os: "左眼" },
  "zh-TW": { od: "右眼", os: "左眼" },
  en: { od: "Right eye", os: "Left eye" },
};

function fill(text: string, params: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (w, k: string) => params[k] ?? w);
}

export class FakeEyes {
  readonly #exams = new Map<string, Stored>();

  constructor(storeId: string, patients: ReadonlyArray<PatientHit>) {
    // The first demo child has a year and a half of follow-up.
    const child = patients[0];
    if (!child) return;
    const rows: Array<[string, number, number, number, number]> = [
      ["2023-09-02", -100, -75, 23800, 23750],
      ["2024-03-05", -150, -125, 24010, 23930],
      ["2024-09-10", -200, -150, 24230, 24120],
    ];
    rows.forEach(([date, sOd, sOs, aOd, aOs], i) => {
      const id = `exam-demo-${i + 1}`;
      const exam: EyeExam = {
        id,
        patient_id: child.id,
        store_id: storeId,
        examined_at: date,
        biometer: "IOLMaster 700",
        od: reading("od", sOd, aOd),
        os: reading("os", sOs, aOs),
        next_recheck: null,
      };
      const at = `${date}T02:00:00Z`;
      this.#exams.set(id, { exam, appointmentId: null, recordedBy: "林雨桐", recordedAt: at, amendedBy: null, amendedAt: null, audit: [{ at, actor: "林雨桐", action: "recorded", reason: null, changes: [] }] });
    });
  }

  rows(patientId: string): PatientExamRow[] {
    const mine = this.#of(patientId);
    return [...mine].reverse().map((s, i, newestFirst) => {
      const older = newestFirst.slice(i + 1);
      const trend = (eye: "od" | "os"): EyeTrend => {
        const r = s.exam[eye];
        const ser = serOf(r);
        const prevSer = older.find((o) => serOf(o.exam[eye]) !== null);
        const prevAx = older.find((o) => o.exam[eye].axial_length_um !== null);
        return {
          eye,
          ser_cd: ser,
          ser_change_cd: ser !== null && prevSer ? ser - serOf(prevSer.exam[eye])! : null,
          ser_since: prevSer ? prevSer.exam.examined_at : null,
          axial_length_um: r.axial_length_um,
          axial_change_um: r.axial_length_um !== null && prevAx ? r.axial_length_um - prevAx.exam[eye].axial_length_um! : null,
          axial_since: prevAx ? prevAx.exam.examined_at : null,
          axial_other_biometer: prevAx ? prevAx.exam.biometer !== s.exam.biometer : false,
        };
      };
      return {
        exam: structuredClone(s.exam),
        appointmentId: s.appointmentId,
        od: trend("od"),
        os: trend("os"),
        recordedBy: s.recordedBy,
        recordedAt: s.recordedAt,
        amendedBy: s.amendedBy,
        amendedAt: s.amendedAt,
      };
    });
  }

  audit(examId: string): ExamAuditLine[] {
    return structuredClone(this.#exams.get(examId)?.audit ?? []);
  }

  view(patient: PatientHit, reference: string | null, lang: Locale, today: string): EyeView {
    const exams = this.#of(patient.id).map((s) => s.exam);
    const age = (on: string) => (Date.parse(on) - Date.parse(patient.birthDate)) / (365.25 * 86_400_000);
    const ref = REFERENCES.find((r) => r.slug === reference) ?? REFERENCES[0];
    const chart = (eye: "od" | "os"): EyeChart => {
      const points: ChartPoint[] = exams.map((e, i) => {
        const ax = e[eye].axial_length_um;
        const prev = exams.slice(0, i).reverse().find((p) => p[eye].axial_length_um !== null);
        const years = prev ? (Date.parse(e.examined_at) - Date.parse(prev.examined_at)) / (365.25 * 86_400_000) : 0;
        const growth = ax !== null && prev && years > 0 ? (ax - prev[eye].axial_length_um!) / 1000 / years : null;
        const ser = serOf(e[eye]);
        return {
          examId: e.id,
          examinedOn: e.examined_at,
          ageYears: Math.round(age(e.examined_at) * 10) / 10,
          axialMm: ax === null ? null : ax / 1000,
          zScore: null,
          percentile: ax === null ? null : "P50",
          growthMmPerYear: growth,
          physiologicalMmPerYear: growth === null ? null : 0.2,
          fast: growth !== null && growth > 0.3,
          serD: ser === null ? null : ser / 100,
        };
      });
      const line = (values: Array<number | null>) => {
        const v = values.filter((x): x is number => x !== null);
        return v.map((y, i) => `${40 + (i * 520) / Math.max(1, v.length - 1)},${300 - (y - Math.min(...v)) * 100}`).join(" ");
      };
      const svg = (title: string, pts: string) =>
        `<svg width="600" height="360" xmlns="http://www.w3.org/2000/svg"><text x="20" y="24">${title}</text><polyline fill="none" stroke="#1d6fd8" stroke-width="3" points="${pts}"/></svg>`;
      return {
        eye,
        axialSvg: svg(`${ref.name[lang]}`, line(points.map((p) => p.axialMm))),
        serSvg: svg("SER", line(points.map((p) => p.serD))),
        serRateDPerYear: null,
        points,
      };
    };
    return {
      patientId: patient.id,
      patientName: patient.name,
      sex: "male",
      birthDate: patient.birthDate,
      ageYears: Math.round(age(today) * 10) / 10,
      reference: ref.slug,
      referenceChosen: reference !== null,
      references: REFERENCES.map((r) => ({ slug: r.slug, name: r.name[lang] })),
      citation: ref.slug,
      od: chart("od"),
      os: chart("os"),
      summary: lang === "en" ? `${patient.name}'s eyes are followed with ${exams.length} exams.` : `${patient.name}已有 ${exams.length} 次检查记录。`,
    };
  }

  /** Records or amends; throws a BackendError (with `field`) like the core. */
  write(
    kind: "record" | "amend",
    args: Commands["eye_exam.record@1"] | Commands["eye_exam.amend@1"],
    actor: { name: string; mayEdit: boolean },
    lang: Locale,
    now: string,
  ): void {
    if (!actor.mayEdit) throw { code: "forbidden", message: MESSAGES[lang].forbidden } satisfies BackendError;
    const exam = args.exam;
    for (const eye of ["od", "os"] as const) {
      const r = exam[eye];
      for (const [field, what, max] of [
        ["sphere_cd", lang === "en" ? "sphere" : "球镜", 3000],
        ["cylinder_cd", lang === "en" ? "cylinder" : "柱镜", 1000],
      ] as const) {
        const v = r[field];
        if (v === null) continue;
        const params = { eye: EYE_NAMES[lang][eye], what, value: (v / 100).toFixed(2) };
        if (Math.abs(v) > max) throw { code: "invalid_exam", message: fill(MESSAGES[lang].range, params), field: `${eye}.${field}` } satisfies BackendError;
        if (v % 25 !== 0) throw { code: "invalid_exam", message: fill(MESSAGES[lang].step, params), field: `${eye}.${field}` } satisfies BackendError;
      }
      const ax = r.axial_length_um;
      if (ax !== null && (ax < 14000 || ax > 40000)) {
        throw { code: "invalid_exam", message: fill(MESSAGES[lang].axial, { eye: EYE_NAMES[lang][eye], value: (ax / 1000).toFixed(2) }), field: `${eye}.axial_length_um` } satisfies BackendError;
      }
    }
    const before = this.#exams.get(exam.id);
    if (kind === "record") {
      if (before) return; // the same command again: already recorded
      this.#exams.set(exam.id, {
        exam: structuredClone(exam),
        appointmentId: (args as Commands["eye_exam.record@1"]).appointment_id,
        recordedBy: actor.name,
        recordedAt: now,
        amendedBy: null,
        amendedAt: null,
        audit: [{ at: now, actor: actor.name, action: "recorded", reason: null, changes: [] }],
      });
      return;
    }
    if (!before) throw { code: "not_found", message: "" } satisfies BackendError;
    const changes = (["od", "os"] as const).flatMap((eye) =>
      (Object.keys(exam[eye]) as Array<keyof EyeReading>)
        .filter((k) => k !== "eye" && exam[eye][k] !== before.exam[eye][k])
        .map((k) => ({ field: `${eye}.${k}`, from: before.exam[eye][k], to: exam[eye][k] })),
    );
    before.exam = structuredClone(exam);
    before.amendedBy = actor.name;
    before.amendedAt = now;
    before.audit.push({ at: now, actor: actor.name, action: "amended", reason: (args as Commands["eye_exam.amend@1"]).reason, changes });
  }

  #of(patientId: string): Stored[] {
    return [...this.#exams.values()]
      .filter((s) => s.exam.patient_id === patientId)
      .sort((a, b) => a.exam.examined_at.localeCompare(b.exam.examined_at) || a.exam.id.localeCompare(b.exam.id));
  }
}

/** SER in 0.01 D: sphere + cylinder / 2, when the sphere was measured. */
function serOf(r: EyeReading): number | null {
  return r.sphere_cd === null ? null : r.sphere_cd + Math.round((r.cylinder_cd ?? 0) / 2);
}
