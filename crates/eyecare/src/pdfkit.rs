//! A thin layer over printpdf: a page canvas in millimetres from the top-left corner with
//! text in the shipped font, and a plotters backend that draws charts as PDF vectors (lines,
//! polygons and real text), so charts stay sharp and small in the reports.

use std::convert::Infallible;

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind, FontTransform};
use printpdf::{
    Color, FontId, LineCapStyle, LineJoinStyle, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, TextMatrix, WindingOrder,
};

use crate::fonts::{Metrics, CJK_FONT};

pub const PT_PER_MM: f32 = 72.0 / 25.4;

pub fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::Rgb(Rgb { r: f32::from(r) / 255.0, g: f32::from(g) / 255.0, b: f32::from(b) / 255.0, icc_profile: None })
}

pub const BLACK: (u8, u8, u8) = (0x22, 0x22, 0x22);
pub const GREY: (u8, u8, u8) = (0x66, 0x66, 0x66);
pub const LIGHT: (u8, u8, u8) = (0xcc, 0xcc, 0xcc);
pub const ACCENT: (u8, u8, u8) = (0x1f, 0x5f, 0xa8);

fn col(c: (u8, u8, u8)) -> Color {
    rgb(c.0, c.1, c.2)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

/// A document in the shipped font, built page by page.
pub struct Doc {
    pub pdf: PdfDocument,
    pub font: FontId,
    pub pages: Vec<PdfPage>,
}

impl Doc {
    pub fn new(title: &str) -> Doc {
        let mut pdf = PdfDocument::new(title);
        let parsed = ParsedFont::from_bytes(CJK_FONT, 0, &mut Vec::new()).expect("the shipped font parses");
        let font = pdf.add_font(&parsed);
        Doc { pdf, font, pages: Vec::new() }
    }

    pub fn canvas(&self, width_mm: f32, height_mm: f32) -> Canvas {
        Canvas { ops: Vec::new(), font: self.font.clone(), width_mm, height_mm }
    }

    pub fn push(&mut self, c: Canvas) {
        self.pages.push(PdfPage::new(Mm(c.width_mm), Mm(c.height_mm), c.ops));
    }

    /// The PDF bytes, fonts subset to the glyphs used.
    pub fn finish(mut self) -> Vec<u8> {
        let pages = std::mem::take(&mut self.pages);
        let opts = PdfSaveOptions { subset_fonts: true, ..PdfSaveOptions::default() };
        self.pdf.with_pages(pages).save(&opts, &mut Vec::new())
    }
}

/// One page: coordinates in mm from the top-left corner; text positions are baselines.
pub struct Canvas {
    pub ops: Vec<Op>,
    font: FontId,
    pub width_mm: f32,
    pub height_mm: f32,
}

impl Canvas {
    fn point(&self, x_mm: f32, y_mm: f32) -> Point {
        Point { x: Pt(x_mm * PT_PER_MM), y: Pt((self.height_mm - y_mm) * PT_PER_MM) }
    }

    pub fn text_width(size_pt: f32, text: &str) -> f32 {
        Metrics::get().width_em(text) * size_pt / PT_PER_MM
    }

    pub fn text(&mut self, x_mm: f32, baseline_mm: f32, size_pt: f32, text: &str, align: Align, color: (u8, u8, u8)) {
        if text.is_empty() {
            return;
        }
        let w = Canvas::text_width(size_pt, text);
        let x = match align {
            Align::Left => x_mm,
            Align::Center => x_mm - w / 2.0,
            Align::Right => x_mm - w,
        };
        let p = self.point(x, baseline_mm);
        push_text(&mut self.ops, &self.font, p.x.0, p.y.0, 0.0, size_pt, text, col(color));
    }

    /// Text shrunk (down to 60 %) to fit `max_w` mm, then cut with "…" if it still does not.
    #[allow(clippy::too_many_arguments)]
    pub fn text_fit(&mut self, x_mm: f32, baseline_mm: f32, size_pt: f32, text: &str, max_w: f32, align: Align, color: (u8, u8, u8)) {
        let mut size = size_pt;
        while Canvas::text_width(size, text) > max_w && size > size_pt * 0.6 {
            size -= 0.25;
        }
        let mut s = text.to_string();
        while Canvas::text_width(size, &s) > max_w && s.chars().count() > 1 {
            s.pop();
            while s.ends_with('…') {
                s.pop();
            }
            s.pop();
            s.push('…');
        }
        self.text(x_mm, baseline_mm, size, &s, align, color);
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width_pt: f32, color: (u8, u8, u8)) {
        let pts = vec![self.point(x1, y1), self.point(x2, y2)];
        push_stroke(&mut self.ops, pts, width_pt, col(color), false);
    }

    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
        let pts = vec![self.point(x, y), self.point(x + w, y), self.point(x + w, y + h), self.point(x, y + h)];
        push_fill(&mut self.ops, pts, col(color));
    }

    pub fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, width_pt: f32, color: (u8, u8, u8)) {
        let pts = vec![self.point(x, y), self.point(x + w, y), self.point(x + w, y + h), self.point(x, y + h)];
        push_stroke(&mut self.ops, pts, width_pt, col(color), true);
    }

    /// A plotters backend drawing into the box (x, y, w, h) mm of this page, `units_per_mm`
    /// plotters pixels per millimetre.
    pub fn chart_area(&mut self, x: f32, y: f32, w: f32, h: f32, units_per_mm: f32) -> PdfBackend<'_> {
        PdfBackend {
            size: ((w * units_per_mm).round() as u32, (h * units_per_mm).round() as u32),
            origin: (x * PT_PER_MM, (self.height_mm - y) * PT_PER_MM),
            pt_per_unit: PT_PER_MM / units_per_mm,
            font: self.font.clone(),
            ops: &mut self.ops,
        }
    }
}

/// Wraps `text` into lines no wider than `max_w` mm: between words for spaced scripts and
/// between any two characters of CJK text.
pub fn wrap(text: &str, size_pt: f32, max_w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '-' | '+' | '(' | ')' | '%' | '/' | ':' | ';' | '\'' | '"') {
            word.push(c);
        } else {
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    for t in tokens {
        let candidate = format!("{line}{t}");
        if Canvas::text_width(size_pt, &candidate) > max_w && !line.trim().is_empty() {
            lines.push(line.trim_end().to_string());
            line = if t == " " { String::new() } else { t };
        } else {
            line = candidate;
        }
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[allow(clippy::too_many_arguments)]
fn push_text(ops: &mut Vec<Op>, font: &FontId, x_pt: f32, y_pt: f32, angle_deg: f32, size_pt: f32, text: &str, color: Color) {
    let (s, c) = angle_deg.to_radians().sin_cos();
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFillColor { col: color });
    ops.push(Op::SetFont { font: PdfFontHandle::External(font.clone()), size: Pt(size_pt) });
    ops.push(Op::SetTextMatrix { matrix: TextMatrix::Raw([c, s, -s, c, x_pt, y_pt]) });
    ops.push(Op::ShowText { items: vec![TextItem::Text(text.to_string())] });
    ops.push(Op::EndTextSection);
}

fn push_stroke(ops: &mut Vec<Op>, pts: Vec<Point>, width_pt: f32, color: Color, closed: bool) {
    if pts.len() < 2 {
        return;
    }
    ops.push(Op::SetOutlineColor { col: color });
    ops.push(Op::SetOutlineThickness { pt: Pt(width_pt) });
    ops.push(Op::SetLineJoinStyle { join: LineJoinStyle::Round });
    ops.push(Op::SetLineCapStyle { cap: LineCapStyle::Round });
    ops.push(Op::DrawLine {
        line: printpdf::Line { points: pts.into_iter().map(|p| LinePoint { p, bezier: false }).collect(), is_closed: closed },
    });
}

fn push_fill(ops: &mut Vec<Op>, pts: Vec<Point>, color: Color) {
    if pts.len() < 3 {
        return;
    }
    ops.push(Op::SetFillColor { col: color });
    ops.push(Op::DrawPolygon {
        polygon: Polygon {
            rings: vec![PolygonRing { points: pts.into_iter().map(|p| LinePoint { p, bezier: false }).collect() }],
            mode: PaintMode::Fill,
            winding_order: WindingOrder::NonZero,
        },
    });
}

/// Plotters drawing into a box of a PDF page as vectors. Plotters' pixel coordinates (y
/// down) are "units"; text sizes follow plotters' convention (em = size / 1.24, as its SVG
/// backend writes them), measured with the shipped font's real advance widths.
pub struct PdfBackend<'a> {
    ops: &'a mut Vec<Op>,
    font: FontId,
    size: (u32, u32),
    /// Top-left corner of the box in PDF points (y up).
    origin: (f32, f32),
    pt_per_unit: f32,
}

impl PdfBackend<'_> {
    fn point(&self, (x, y): (f32, f32)) -> Point {
        Point { x: Pt(self.origin.0 + x * self.pt_per_unit), y: Pt(self.origin.1 - y * self.pt_per_unit) }
    }

    fn coord(&self, c: BackendCoord) -> Point {
        self.point((c.0 as f32, c.1 as f32))
    }

    fn color(c: BackendColor) -> Option<Color> {
        if c.alpha <= 0.0 {
            return None;
        }
        // Blend with white paper instead of using transparency groups.
        let a = c.alpha.clamp(0.0, 1.0);
        let mix = |v: u8| (f64::from(v) * a + 255.0 * (1.0 - a)).round() as u8;
        Some(rgb(mix(c.rgb.0), mix(c.rgb.1), mix(c.rgb.2)))
    }
}

type Res = Result<(), DrawingErrorKind<Infallible>>;

impl DrawingBackend for PdfBackend<'_> {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Res {
        Ok(())
    }

    fn present(&mut self) -> Res {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res {
        self.draw_rect(point, (point.0 + 1, point.1 + 1), &color, true)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Res {
        self.draw_path([from, to], style)
    }

    fn draw_rect<S: BackendStyle>(&mut self, ul: BackendCoord, br: BackendCoord, style: &S, fill: bool) -> Res {
        let Some(color) = Self::color(style.color()) else { return Ok(()) };
        let pts = vec![self.coord(ul), self.coord((br.0, ul.1)), self.coord(br), self.coord((ul.0, br.1))];
        if fill {
            push_fill(self.ops, pts, color);
        } else {
            push_stroke(self.ops, pts, style.stroke_width() as f32 * self.pt_per_unit, color, true);
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Res {
        let Some(color) = Self::color(style.color()) else { return Ok(()) };
        let pts: Vec<Point> = path.into_iter().map(|c| self.coord(c)).collect();
        push_stroke(self.ops, pts, style.stroke_width().max(1) as f32 * self.pt_per_unit, color, false);
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(&mut self, center: BackendCoord, radius: u32, style: &S, fill: bool) -> Res {
        let Some(color) = Self::color(style.color()) else { return Ok(()) };
        let r = radius as f32;
        let pts: Vec<Point> = (0..24)
            .map(|i| {
                let a = i as f32 * std::f32::consts::TAU / 24.0;
                self.point((center.0 as f32 + r * a.cos(), center.1 as f32 + r * a.sin()))
            })
            .collect();
        if fill {
            push_fill(self.ops, pts, color);
        } else {
            push_stroke(self.ops, pts, style.stroke_width().max(1) as f32 * self.pt_per_unit, color, true);
        }
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Res {
        let Some(color) = Self::color(style.color()) else { return Ok(()) };
        let pts: Vec<Point> = vert.into_iter().map(|c| self.coord(c)).collect();
        push_fill(self.ops, pts, color);
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, style: &T, pos: BackendCoord) -> Res {
        let Some(color) = Self::color(style.color()) else { return Ok(()) };
        let m = Metrics::get();
        let em = (style.size() / 1.24) as f32;
        let width = m.width_em(text) * em;
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        // Baseline offset downwards (plotters' y points down).
        let dy = match style.anchor().v_pos {
            VPos::Top => m.ascent_em() * em,
            VPos::Center => (m.ascent_em() + m.descent_em()) / 2.0 * em,
            VPos::Bottom => m.descent_em() * em,
        };
        // Rotate the local offset like plotters does (clockwise on screen).
        let (ox, oy, angle) = match style.transform() {
            FontTransform::None => (dx, dy, 0.0),
            FontTransform::Rotate90 => (-dy, dx, -90.0),
            FontTransform::Rotate180 => (-dx, -dy, 180.0),
            FontTransform::Rotate270 => (dy, -dx, 90.0),
        };
        let p = self.point((pos.0 as f32 + ox, pos.1 as f32 + oy));
        push_text(self.ops, &self.font, p.x.0, p.y.0, angle, em * self.pt_per_unit, text, color);
        Ok(())
    }

    fn estimate_text_size<T: BackendTextStyle>(&self, text: &str, style: &T) -> Result<(u32, u32), DrawingErrorKind<Infallible>> {
        let em = style.size() / 1.24;
        Ok(((f64::from(Metrics::get().width_em(text)) * em).ceil() as u32, em.ceil() as u32))
    }

    fn blit_bitmap(&mut self, _pos: BackendCoord, _size: (u32, u32), _src: &[u8]) -> Res {
        Ok(())
    }
}
