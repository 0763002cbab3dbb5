//! PDF copy of a dossier, served by « Télécharger » on a citizen's dossier.
//!
//! Server-only and self-contained (no `crate::` paths). The document is produced with
//! [`krilla`] as a tagged PDF (structure tree, `fr-FR` language, title, outline, header and
//! footer decorations marked as artifacts). When the content allows it, the file is also
//! validated against PDF/UA-1 by krilla and declared as such; if that validation ever fails
//! the same content is written again as a plain tagged PDF 1.7 (see [`render`]).
//!
//! Text is drawn with Liberation Sans Regular and Bold (SIL OFL 1.1, see `fonts/LICENSE`),
//! embedded and subset by krilla. There is no shaping engine: every character maps to one
//! glyph through the font's `cmap` and is advanced by its `hmtx` width (read with `skrifa`,
//! which krilla already depends on), so the widths used for line breaking are exactly the
//! widths drawn. This is right for French and other Latin-script text; it does no kerning.
//!
//! Rendering happens in two passes: `Layouter` lays the whole dossier out into a list of
//! pages (each a display list of positioned text lines and rules) plus a logical structure
//! tree whose leaves point at those lines; then `draw` knows the page count, writes every
//! page with its footer « … — page 2 sur 3 », and builds krilla's tag tree from the leaves.

use std::num::NonZeroU16;

use krilla::color::rgb;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::error::KrillaError;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, Node, SpanTag, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use skrifa::MetadataProvider;
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;

/// The content of a PDF copy, already formatted for display (French labels and dates).
#[derive(Debug, Clone)]
pub struct PdfCopy {
    /// The organisation running the portal, e.g. « Département de la Vallée-Verte ».
    pub organisation: String,
    /// The démarche's title.
    pub title: String,
    /// The dossier number, e.g. « 2026-000123 »; `None` for a draft (« Brouillon »).
    pub number: Option<String>,
    /// The dossier's status, e.g. « Déposé ».
    pub status: String,
    /// The profile the dossier is filed for, e.g. « Commune de Valbourg (collectivité) ».
    pub profile: String,
    /// The person who filled the dossier in.
    pub filer: String,
    /// Labelled dates, e.g. (« Déposé le », « 30 novembre 2026 à 14 h 05 »).
    pub dates: Vec<(String, String)>,
    /// One section per form page.
    pub sections: Vec<PdfSection>,
    /// Files attached to the dossier.
    pub attachments: Vec<PdfAttachment>,
    /// When the copy was generated, e.g. « 30 novembre 2026 à 14 h 07 ».
    pub generated_at: String,
}

/// One form page of the dossier.
#[derive(Debug, Clone)]
pub struct PdfSection {
    /// The page's title, drawn as a level-2 heading.
    pub title: String,
    /// Headings and answers, in form order.
    pub items: Vec<PdfItem>,
}

/// An element of a section.
#[derive(Debug, Clone)]
pub enum PdfItem {
    /// A heading inside the form page (level-3 heading).
    Heading(String),
    /// A question and its answer. Each entry of `lines` is a paragraph (it may itself contain
    /// line breaks); an empty `lines` is shown as « Non renseigné ».
    Answer { label: String, lines: Vec<String> },
}

/// A file attached to the dossier.
#[derive(Debug, Clone)]
pub struct PdfAttachment {
    /// The label of the form field the file was attached to.
    pub field: String,
    /// The file name.
    pub name: String,
    /// The formatted size, e.g. « 248 Ko ».
    pub size: String,
}

/// Why a PDF copy could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// One of the embedded fonts could not be read (a corrupted build).
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    /// A geometry or configuration value was rejected by krilla (a programming error).
    #[error("invalid PDF setup: {0}")]
    Setup(&'static str),
    /// krilla's validation (PDF/UA-1) rejected the document; `render` then falls back to a
    /// plain tagged PDF, so callers only see this if that fails too.
    #[error("the PDF failed validation: {0}")]
    Validation(String),
    /// krilla refused to write the document.
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// Renders the dossier copy as a tagged A4 PDF.
///
/// The document is first written with krilla's PDF/UA-1 validation; should that fail (it
/// should not for text-only content), it is written again as a tagged PDF 1.7 without the
/// PDF/UA declaration rather than refusing the download.
pub fn render(copy: &PdfCopy) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let layout = Layouter::new(&fonts).run(copy);
    match draw(&layout, copy, &fonts, Conformance::PdfUa1) {
        Err(PdfError::Validation(_)) => draw(&layout, copy, &fonts, Conformance::Tagged),
        result => result,
    }
}

// ---------------------------------------------------------------------------------------
// Page geometry and typography (PDF points; krilla's origin is the top-left corner).

const MM: f32 = 72.0 / 25.4;
const PAGE_WIDTH: f32 = 210.0 * MM;
const PAGE_HEIGHT: f32 = 297.0 * MM;
const MARGIN: f32 = 20.0 * MM;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - MARGIN;
/// Baseline of the footer text and position of the thin rule above it, both in the margin.
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 11.0 * MM;
const FOOTER_RULE_Y: f32 = PAGE_HEIGHT - 15.5 * MM;
/// Width of the label column of the header block.
const HEADER_LABEL_WIDTH: f32 = 42.0 * MM;
const HEADER_COLUMN_GAP: f32 = 4.0 * MM;
/// Space between the paragraphs of one answer.
const PARAGRAPH_GAP: f32 = 3.0;
/// Indentation of attachment entries (after the bullet).
const LIST_INDENT: f32 = 5.0 * MM;

const BODY_SIZE: f32 = 10.5;
const ORGANISATION_SIZE: f32 = 11.0;
const H1_SIZE: f32 = 18.0;
const H2_SIZE: f32 = 13.5;
const H3_SIZE: f32 = 11.5;
const FOOTER_SIZE: f32 = 8.5;
const MIN_FOOTER_SIZE: f32 = 6.5;
/// Line height as a multiple of the font size.
const LINE_HEIGHT: f32 = 1.3;
/// Liberation Sans ascender and descender (hhea), in em.
const ASCENT: f32 = 0.905;
const DESCENT: f32 = 0.212;
const RULE_THICKNESS: f32 = 0.6;

const TEXT_COLOR: [u8; 3] = [0x1a, 0x1a, 0x1a];
/// Secondary text; 7.5:1 contrast on white.
const MUTED_COLOR: [u8; 3] = [0x55, 0x55, 0x55];
const RULE_COLOR: [u8; 3] = [0x8c, 0x8c, 0x8c];

const LANGUAGE: &str = "fr-FR";
const CREATOR: &str = "Guichet";
const REPLACEMENT: char = '?';

const REGULAR_TTF: &[u8] = include_bytes!("fonts/LiberationSans-Regular.ttf");
const BOLD_TTF: &[u8] = include_bytes!("fonts/LiberationSans-Bold.ttf");

// ---------------------------------------------------------------------------------------
// Fonts and measuring.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Clone, Copy, Debug)]
struct Style {
    weight: Weight,
    size: f32,
    color: [u8; 3],
}

impl Style {
    const fn new(weight: Weight, size: f32, color: [u8; 3]) -> Self {
        Self {
            weight,
            size,
            color,
        }
    }

    fn line_height(self) -> f32 {
        self.size * LINE_HEIGHT
    }
}

const BODY: Style = Style::new(Weight::Regular, BODY_SIZE, TEXT_COLOR);
const BODY_MUTED: Style = Style::new(Weight::Regular, BODY_SIZE, MUTED_COLOR);
const LABEL: Style = Style::new(Weight::Bold, BODY_SIZE, TEXT_COLOR);
const ORGANISATION: Style = Style::new(Weight::Bold, ORGANISATION_SIZE, MUTED_COLOR);
const H1: Style = Style::new(Weight::Bold, H1_SIZE, TEXT_COLOR);
const H2: Style = Style::new(Weight::Bold, H2_SIZE, TEXT_COLOR);
const H3: Style = Style::new(Weight::Bold, H3_SIZE, TEXT_COLOR);

/// One embedded font: krilla's handle for drawing, skrifa's tables for measuring.
struct Face {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Self, PdfError> {
        let font_ref = skrifa::FontRef::new(data).map_err(|_| PdfError::Font(name))?;
        let units_per_em = f32::from(
            font_ref
                .metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        if units_per_em <= 0.0 {
            return Err(PdfError::Font(name));
        }
        let font = Font::new(data.into(), 0).ok_or(PdfError::Font(name))?;
        Ok(Self {
            font,
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }

    /// The glyph for `c` and its advance in em, if the font really has one.
    fn glyph(&self, c: char) -> Option<(u32, f32)> {
        let id = self.charmap.map(c)?;
        if id.to_u32() == 0 {
            return None;
        }
        let advance = self.metrics.advance_width(id)?;
        Some((id.to_u32(), advance / self.units_per_em))
    }

    fn has(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    fn char_width(&self, c: char, size: f32) -> f32 {
        self.glyph(c).map_or(0.0, |(_, advance)| advance * size)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(c, size)).sum()
    }

    /// Makes `text` drawable with this font, on one line: control and invisible formatting
    /// characters are dropped, unusual spaces become plain or no-break spaces, and any
    /// character the font lacks (emoji, other scripts, private use) becomes `?`.
    fn sanitize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            let mapped = match c {
                '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => {
                    Some(' ')
                }
                // Soft hyphen, zero-width characters, word joiner, BOM, variation selectors,
                // bidi controls: invisible, and a `?` in their place would be noise.
                '\u{AD}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{1F3FB}'..='\u{1F3FF}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}' => None,
                c if c.is_control() => None,
                // Decomposed accents (macOS file names, some copy-pastes): without mark
                // positioning they would be drawn badly, so compose them when possible.
                '\u{0300}'..='\u{036F}'
                    if compose(out.chars().last(), c).is_some_and(|p| self.has(p)) =>
                {
                    if let Some(precomposed) = compose(out.pop(), c) {
                        out.push(precomposed);
                    }
                    None
                }
                // Private use characters have no meaning outside their producer.
                '\u{E000}'..='\u{F8FF}' | '\u{F0000}'.. => Some(REPLACEMENT),
                c if self.has(c) => Some(c),
                // Spaces the font may lack: keep whether a line may break there.
                '\u{2007}' | '\u{202F}' => Some(if self.has('\u{A0}') { '\u{A0}' } else { ' ' }),
                '\u{2000}'..='\u{200A}' | '\u{205F}' | '\u{3000}' => Some(' '),
                // Combining marks the font lacks would only add `?` next to their base letter.
                '\u{0300}'..='\u{036F}' => None,
                _ => Some(REPLACEMENT),
            };
            if let Some(m) = mapped {
                out.push(m);
            }
        }
        out
    }

    /// The glyphs of one (sanitized) line, one glyph per character.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .filter_map(|(start, c)| {
                let (id, advance) = self.glyph(c)?;
                Some(KrillaGlyph::new(
                    GlyphId::new(id),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    start..start + c.len_utf8(),
                    None,
                ))
            })
            .collect()
    }
}

struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    fn load() -> Result<Self, PdfError> {
        Ok(Self {
            regular: Face::load(REGULAR_TTF, "LiberationSans-Regular")?,
            bold: Face::load(BOLD_TTF, "LiberationSans-Bold")?,
        })
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

/// The precomposed form of a Latin letter followed by a combining accent, for the accents
/// of French and a few neighbours (no Unicode normalisation crate for this).
fn compose(base: Option<char>, mark: char) -> Option<char> {
    let (bases, composed) = match mark {
        '\u{0300}' => ("aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
        '\u{0301}' => ("aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ"),
        '\u{0302}' => ("aeiouAEIOU", "âêîôûÂÊÎÔÛ"),
        '\u{0303}' => ("anoANO", "ãñõÃÑÕ"),
        '\u{0308}' => ("aeiouyAEIOUY", "äëïöüÿÄËÏÖÜŸ"),
        '\u{0327}' => ("cC", "çÇ"),
        _ => return None,
    };
    let index = bases.chars().position(|b| Some(b) == base)?;
    composed.chars().nth(index)
}

/// Breaks one paragraph (already sanitized, so free of line breaks) into lines no wider
/// than `max_width`. Lines break at plain spaces (runs of spaces collapse); a word wider
/// than the line (an IBAN without spaces, a URL) is cut, after a punctuation mark when one
/// falls in the second half of the line, else anywhere. An empty paragraph yields no line.
fn wrap(face: &Face, size: f32, text: &str, max_width: f32) -> Vec<String> {
    let space = face.char_width(' ', size);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0.0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word_width = face.width(word, size);
        if !current.is_empty() {
            if current_width + space + word_width <= max_width {
                current.push(' ');
                current.push_str(word);
                current_width += space + word_width;
                continue;
            }
            lines.push(std::mem::take(&mut current));
        }
        if word_width <= max_width {
            current.push_str(word);
            current_width = word_width;
        } else {
            let mut pieces = split_long_word(face, size, word, max_width);
            if let Some(last) = pieces.pop() {
                lines.append(&mut pieces);
                current_width = face.width(&last, size);
                current = last;
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn split_long_word(face: &Face, size: f32, word: &str, max_width: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut width = 0.0;
    // Byte offset in `current` just after the last punctuation mark seen.
    let mut break_after: Option<usize> = None;
    for c in word.chars() {
        let char_width = face.char_width(c, size);
        if width + char_width > max_width && !current.is_empty() {
            match break_after {
                Some(at)
                    if at < current.len()
                        && face.width(&current[..at], size) >= max_width * 0.5 =>
                {
                    let rest = current.split_off(at);
                    pieces.push(std::mem::replace(&mut current, rest));
                    width = face.width(&current, size);
                }
                _ => {
                    pieces.push(std::mem::take(&mut current));
                    width = 0.0;
                }
            }
            break_after = None;
        }
        current.push(c);
        width += char_width;
        if matches!(
            c,
            '/' | '-' | '_' | '.' | ',' | ';' | ':' | '?' | '&' | '=' | '#' | '@' | '+'
        ) {
            break_after = Some(current.len());
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// The dossier number, if any (a blank one counts as none).
fn dossier_number(copy: &PdfCopy) -> Option<&str> {
    copy.number
        .as_deref()
        .map(str::trim)
        .filter(|number| !number.is_empty())
}

/// « Budget prévisionnel – budget-2027.pdf (248 Ko) », leaving out blank parts.
fn attachment_text(attachment: &PdfAttachment) -> String {
    let (field, name, size) = (
        attachment.field.trim(),
        attachment.name.trim(),
        attachment.size.trim(),
    );
    let mut text = String::from(field);
    if !name.is_empty() {
        if !text.is_empty() {
            text.push_str(" – ");
        }
        text.push_str(name);
    }
    if !size.is_empty() {
        text.push_str(&format!(" ({size})"));
    }
    text
}

/// Shortens `text` with an ellipsis so that it fits in `max_width`.
fn truncate_to_width(face: &Face, size: f32, text: &str, max_width: f32) -> String {
    if face.width(text, size) <= max_width {
        return text.to_owned();
    }
    let ellipsis = if face.has('…') { "…" } else { "..." };
    let budget = max_width - face.width(ellipsis, size);
    let mut out = String::new();
    let mut width = 0.0;
    for c in text.chars() {
        width += face.char_width(c, size);
        if width > budget {
            break;
        }
        out.push(c);
    }
    format!("{}{ellipsis}", out.trim_end())
}

// ---------------------------------------------------------------------------------------
// Layout: pages of display lists plus the logical structure.

enum Op {
    /// One line of text; `leaf` indexes the structure leaf that owns it.
    Text {
        x: f32,
        baseline: f32,
        style: Style,
        text: String,
        leaf: usize,
    },
    /// A decorative rule (drawn as a layout artifact).
    Rule { x: f32, y: f32, width: f32 },
}

/// The logical structure, built during layout; leaves are indices of text lines.
enum StructNode {
    Group(TagKind, Vec<StructNode>),
    Leaf(usize),
}

fn group(tag: impl Into<TagKind>, children: Vec<StructNode>) -> StructNode {
    StructNode::Group(tag.into(), children)
}

fn heading_tag(level: u16, title: &str) -> TagKind {
    let level = NonZeroU16::new(level).unwrap_or(NonZeroU16::MIN);
    Tag::Hn(level, Some(title.to_owned())).into()
}

struct Bookmark {
    title: String,
    page: usize,
    y: f32,
}

struct Layout {
    pages: Vec<Vec<Op>>,
    leaves: usize,
    structure: Vec<StructNode>,
    bookmarks: Vec<Bookmark>,
}

struct Layouter<'a> {
    fonts: &'a Fonts,
    done: Vec<Vec<Op>>,
    current: Vec<Op>,
    /// Top of the next line box on the current page.
    y: f32,
    leaves: usize,
    structure: Vec<StructNode>,
    bookmarks: Vec<Bookmark>,
}

impl<'a> Layouter<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Self {
            fonts,
            done: Vec::new(),
            current: Vec::new(),
            y: MARGIN,
            leaves: 0,
            structure: Vec::new(),
            bookmarks: Vec::new(),
        }
    }

    fn run(mut self, copy: &PdfCopy) -> Layout {
        self.title_block(copy);
        self.header_block(copy);
        for section in &copy.sections {
            self.section(section);
        }
        self.attachments(&copy.attachments);
        self.gap(BODY_SIZE);
        let closing = format!("Copie générée le {} par Guichet.", copy.generated_at);
        let lines = self.paragraph(MARGIN, CONTENT_WIDTH, &closing, BODY_MUTED);
        self.structure.push(group(Tag::P, lines));

        self.done.push(self.current);
        Layout {
            pages: self.done,
            leaves: self.leaves,
            structure: self.structure,
            bookmarks: self.bookmarks,
        }
    }

    // -- primitives ----------------------------------------------------------------------

    fn page_index(&self) -> usize {
        self.done.len()
    }

    fn at_page_top(&self) -> bool {
        self.y <= MARGIN
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.current));
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` still fits on this one (or this page is empty).
    fn keep_together(&mut self, height: f32) {
        if self.y + height > CONTENT_BOTTOM && !self.at_page_top() {
            self.new_page();
        }
    }

    /// Vertical space, dropped at the top of a page.
    fn gap(&mut self, height: f32) {
        if !self.at_page_top() {
            self.y += height;
        }
    }

    /// Reserves the next line box (breaking the page if needed) and returns its baseline.
    fn next_line(&mut self, style: Style) -> f32 {
        let height = style.line_height();
        self.keep_together(height);
        let baseline =
            self.y + (height - style.size * (ASCENT + DESCENT)) / 2.0 + style.size * ASCENT;
        self.y += height;
        baseline
    }

    /// Records a line of text at a given baseline and returns its structure leaf.
    fn text(&mut self, x: f32, baseline: f32, style: Style, text: String) -> StructNode {
        let leaf = self.leaves;
        self.leaves += 1;
        self.current.push(Op::Text {
            x,
            baseline,
            style,
            text,
            leaf,
        });
        StructNode::Leaf(leaf)
    }

    fn rule(&mut self) {
        self.current.push(Op::Rule {
            x: MARGIN,
            y: self.y,
            width: CONTENT_WIDTH,
        });
    }

    /// Sanitizes and wraps `text`, one paragraph per source line; empty source lines keep
    /// a blank line between paragraphs.
    fn lines_of(&self, text: &str, style: Style, width: f32) -> Vec<Option<String>> {
        let face = self.fonts.face(style.weight);
        let mut out = Vec::new();
        for paragraph in text.split('\n') {
            let wrapped = wrap(face, style.size, &face.sanitize(paragraph), width);
            if wrapped.is_empty() {
                out.push(None);
            } else {
                out.extend(wrapped.into_iter().map(Some));
            }
        }
        out
    }

    /// Lays out text flowing across pages; returns the structure leaves of its lines.
    fn paragraph(&mut self, x: f32, width: f32, text: &str, style: Style) -> Vec<StructNode> {
        let lines = self.lines_of(text, style, width);
        self.place_lines(x, lines, style)
    }

    fn place_lines(&mut self, x: f32, lines: Vec<Option<String>>, style: Style) -> Vec<StructNode> {
        let mut leaves = Vec::new();
        for line in lines {
            match line {
                Some(line) => {
                    let baseline = self.next_line(style);
                    leaves.push(self.text(x, baseline, style, line));
                }
                None => self.gap(style.line_height() * 0.5),
            }
        }
        leaves
    }

    fn heading(&mut self, level: u16, text: &str, style: Style, bookmark: bool) {
        let lines = self.lines_of(text, style, CONTENT_WIDTH);
        // Keep the heading with at least two lines of what follows.
        self.keep_together(style.line_height() * lines.len() as f32 + 2.0 * BODY.line_height());
        if bookmark {
            self.bookmarks.push(Bookmark {
                title: text.split_whitespace().collect::<Vec<_>>().join(" "),
                page: self.page_index(),
                y: self.y,
            });
        }
        let leaves = self.place_lines(MARGIN, lines, style);
        self.structure.push(group(heading_tag(level, text), leaves));
    }

    // -- blocks --------------------------------------------------------------------------

    fn title_block(&mut self, copy: &PdfCopy) {
        let organisation = self.paragraph(MARGIN, CONTENT_WIDTH, &copy.organisation, ORGANISATION);
        self.structure.push(group(Tag::P, organisation));
        self.gap(2.0);
        self.heading(1, &copy.title, H1, true);
        self.gap(6.0);
    }

    /// Number, status, profile, filer and dates as two columns (bold label, value), tagged
    /// as a list of label/body pairs, followed by a thin rule.
    fn header_block(&mut self, copy: &PdfCopy) {
        let mut rows: Vec<(&str, &str)> = Vec::new();
        if let Some(number) = dossier_number(copy) {
            rows.push(("Numéro de dossier", number));
        }
        rows.push(("Statut", &copy.status));
        rows.push(("Profil", &copy.profile));
        rows.push(("Rempli par", &copy.filer));
        for (label, value) in &copy.dates {
            rows.push((label, value));
        }

        let value_x = MARGIN + HEADER_LABEL_WIDTH + HEADER_COLUMN_GAP;
        let value_width = CONTENT_WIDTH - HEADER_LABEL_WIDTH - HEADER_COLUMN_GAP;
        let mut items = Vec::new();
        for (label, value) in rows {
            let labels: Vec<String> = self
                .lines_of(label, LABEL, HEADER_LABEL_WIDTH)
                .into_iter()
                .flatten()
                .collect();
            let values: Vec<String> = self
                .lines_of(value, BODY, value_width)
                .into_iter()
                .flatten()
                .collect();
            let rows_needed = labels.len().max(values.len()).max(1);
            self.keep_together(BODY.line_height() * rows_needed.min(4) as f32);
            let mut label_leaves = Vec::new();
            let mut value_leaves = Vec::new();
            let mut labels = labels.into_iter();
            let mut values = values.into_iter();
            for _ in 0..rows_needed {
                let baseline = self.next_line(BODY);
                if let Some(line) = labels.next() {
                    label_leaves.push(self.text(MARGIN, baseline, LABEL, line));
                }
                if let Some(line) = values.next() {
                    value_leaves.push(self.text(value_x, baseline, BODY, line));
                }
            }
            items.push(group(
                Tag::LI,
                vec![
                    group(Tag::Lbl, label_leaves),
                    group(Tag::LBody, vec![group(Tag::P, value_leaves)]),
                ],
            ));
            self.gap(2.0);
        }
        self.structure
            .push(group(Tag::L(ListNumbering::None), items));
        self.gap(4.0);
        self.rule();
        self.gap(6.0);
    }

    fn section(&mut self, section: &PdfSection) {
        let outer = std::mem::take(&mut self.structure);
        self.gap(8.0);
        if !section.title.trim().is_empty() {
            self.heading(2, &section.title, H2, true);
            self.gap(3.0);
        }
        let mut answers = Vec::new();
        for item in &section.items {
            match item {
                PdfItem::Heading(text) => {
                    self.flush_answers(&mut answers);
                    self.gap(4.0);
                    self.heading(3, text, H3, false);
                    self.gap(2.0);
                }
                PdfItem::Answer { label, lines } => answers.push(self.answer(label, lines)),
            }
        }
        self.flush_answers(&mut answers);
        let inner = std::mem::replace(&mut self.structure, outer);
        self.structure.push(group(Tag::Section, inner));
    }

    /// Consecutive answers form one list.
    fn flush_answers(&mut self, answers: &mut Vec<StructNode>) {
        if !answers.is_empty() {
            let items = std::mem::take(answers);
            self.structure
                .push(group(Tag::L(ListNumbering::None), items));
        }
    }

    /// A bold label above its value paragraphs; returns the list item.
    fn answer(&mut self, label: &str, lines: &[String]) -> StructNode {
        let label_lines = self.lines_of(label, LABEL, CONTENT_WIDTH);
        // Never leave a label alone at the bottom of a page.
        self.keep_together(LABEL.line_height() * (label_lines.len() + 1) as f32);
        let label_leaves = self.place_lines(MARGIN, label_lines, LABEL);

        let mut body = Vec::new();
        let answered = lines.iter().any(|l| !l.trim().is_empty());
        if answered {
            for (index, paragraph) in lines.iter().enumerate() {
                if index > 0 {
                    self.gap(PARAGRAPH_GAP);
                }
                let leaves = self.paragraph(MARGIN, CONTENT_WIDTH, paragraph, BODY);
                if leaves.is_empty() {
                    self.gap(BODY.line_height() * 0.5);
                } else {
                    body.push(group(Tag::P, leaves));
                }
            }
        } else {
            let leaves = self.paragraph(MARGIN, CONTENT_WIDTH, "Non renseigné", BODY_MUTED);
            body.push(group(Tag::P, leaves));
        }
        self.gap(5.0);
        group(
            Tag::LI,
            vec![group(Tag::Lbl, label_leaves), group(Tag::LBody, body)],
        )
    }

    fn attachments(&mut self, attachments: &[PdfAttachment]) {
        let outer = std::mem::take(&mut self.structure);
        self.gap(8.0);
        self.heading(2, "Pièces jointes", H2, true);
        self.gap(3.0);
        if attachments.is_empty() {
            let leaves = self.paragraph(MARGIN, CONTENT_WIDTH, "Aucune pièce jointe.", BODY);
            self.structure.push(group(Tag::P, leaves));
        } else {
            let mut items = Vec::new();
            for attachment in attachments {
                let text = attachment_text(attachment);
                let lines = self.lines_of(&text, BODY, CONTENT_WIDTH - LIST_INDENT);
                self.keep_together(BODY.line_height() * lines.len().min(3) as f32);
                // The bullet shares the baseline of the entry's first line.
                let bullet_baseline = self.y
                    + (BODY.line_height() - BODY.size * (ASCENT + DESCENT)) / 2.0
                    + BODY.size * ASCENT;
                let bullet = self.text(MARGIN + 1.0 * MM, bullet_baseline, BODY, "•".to_owned());
                let leaves = self.place_lines(MARGIN + LIST_INDENT, lines, BODY);
                items.push(group(
                    Tag::LI,
                    vec![
                        group(Tag::Lbl, vec![bullet]),
                        group(Tag::LBody, vec![group(Tag::P, leaves)]),
                    ],
                ));
                self.gap(2.0);
            }
            self.structure
                .push(group(Tag::L(ListNumbering::Disc), items));
        }
        let inner = std::mem::replace(&mut self.structure, outer);
        self.structure.push(group(Tag::Section, inner));
    }
}

// ---------------------------------------------------------------------------------------
// Drawing.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conformance {
    /// Tagged PDF 1.7, validated by krilla against PDF/UA-1 and declared as such.
    PdfUa1,
    /// Tagged PDF 1.7 without any declared conformance.
    Tagged,
}

fn fill(color: [u8; 3]) -> Fill {
    Fill {
        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw_line(
    surface: &mut Surface<'_>,
    fonts: &Fonts,
    x: f32,
    baseline: f32,
    style: Style,
    text: &str,
) {
    let face = fonts.face(style.weight);
    let glyphs = face.glyphs(text);
    surface.set_fill(Some(fill(style.color)));
    surface.draw_glyphs(
        Point::from_xy(x, baseline),
        &glyphs,
        face.font.clone(),
        text,
        style.size,
        false,
    );
}

fn draw_rule(surface: &mut Surface<'_>, x: f32, y: f32, width: f32) -> Result<(), PdfError> {
    let rect = Rect::from_xywh(x, y, width, RULE_THICKNESS).ok_or(PdfError::Setup("rule"))?;
    let mut builder = PathBuilder::new();
    builder.push_rect(rect);
    let path = builder.finish().ok_or(PdfError::Setup("rule"))?;
    surface.set_fill(Some(fill(RULE_COLOR)));
    surface.draw_path(&path);
    Ok(())
}

/// « Dossier 2026-000123 », or « Brouillon » for a draft.
fn dossier_label(copy: &PdfCopy) -> String {
    match dossier_number(copy) {
        Some(number) => format!("Dossier {number}"),
        None => "Brouillon".to_owned(),
    }
}

/// « Département de la Vallée-Verte — Dossier 2026-000123 — page 2 sur 3 ».
fn footer_text(copy: &PdfCopy, page: usize, pages: usize) -> String {
    let page = format!("page {page} sur {pages}");
    [copy.organisation.trim(), &dossier_label(copy), &page]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" — ")
}

fn draw_footer(
    surface: &mut Surface<'_>,
    fonts: &Fonts,
    copy: &PdfCopy,
    page: usize,
    pages: usize,
) -> Result<(), PdfError> {
    let face = &fonts.regular;
    let text = face.sanitize(&footer_text(copy, page, pages));
    // Shrink a long footer down to a floor, then shorten it.
    let width = face.width(&text, FOOTER_SIZE);
    let size = if width > CONTENT_WIDTH {
        (FOOTER_SIZE * CONTENT_WIDTH / width).max(MIN_FOOTER_SIZE)
    } else {
        FOOTER_SIZE
    };
    let text = truncate_to_width(face, size, &text, CONTENT_WIDTH);
    let x = MARGIN + (CONTENT_WIDTH - face.width(&text, size)) / 2.0;

    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
        ArtifactType::Footer,
    )));
    draw_rule(surface, MARGIN, FOOTER_RULE_Y, CONTENT_WIDTH)?;
    let style = Style::new(Weight::Regular, size, MUTED_COLOR);
    draw_line(surface, fonts, x, FOOTER_BASELINE, style, &text);
    surface.end_tagged();
    Ok(())
}

fn into_tag_node(node: &StructNode, ids: &[Option<Identifier>]) -> Option<Node> {
    match node {
        StructNode::Leaf(leaf) => ids.get(*leaf).copied().flatten().map(Node::from),
        StructNode::Group(tag, children) => {
            let children: Vec<Node> = children
                .iter()
                .filter_map(|child| into_tag_node(child, ids))
                .collect();
            if children.is_empty() {
                return None;
            }
            Some(TagGroup::with_children(tag.clone(), children).into())
        }
    }
}

fn document_title(copy: &PdfCopy) -> String {
    let title = copy.title.trim();
    if title.is_empty() {
        dossier_label(copy)
    } else {
        format!("{} — {title}", dossier_label(copy))
    }
}

fn draw(
    layout: &Layout,
    copy: &PdfCopy,
    fonts: &Fonts,
    conformance: Conformance,
) -> Result<Vec<u8>, PdfError> {
    let mut settings = SerializeSettings {
        enable_tagging: true,
        ..SerializeSettings::default()
    };
    if conformance == Conformance::PdfUa1 {
        settings.configuration = ConfigurationBuilder::new()
            .with_accessibility_validator(Accessibility::UA1)
            .finish()
            .map_err(|_| PdfError::Setup("PDF/UA-1 configuration"))?;
    }
    let mut document = Document::new_with(settings);

    let pages = layout.pages.len();
    let mut ids: Vec<Option<Identifier>> = vec![None; layout.leaves];
    for (index, ops) in layout.pages.iter().enumerate() {
        let page_settings =
            PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(PdfError::Setup("page size"))?;
        let mut page = document.start_page_with(page_settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    baseline,
                    style,
                    text,
                    leaf,
                } => {
                    let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
                    draw_line(&mut surface, fonts, *x, *baseline, *style, text);
                    surface.end_tagged();
                    if let Some(slot) = ids.get_mut(*leaf) {
                        *slot = Some(id);
                    }
                }
                Op::Rule { x, y, width } => {
                    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                        ArtifactType::Layout,
                    )));
                    let drawn = draw_rule(&mut surface, *x, *y, *width);
                    surface.end_tagged();
                    drawn?;
                }
            }
        }
        draw_footer(&mut surface, fonts, copy, index + 1, pages)?;
        surface.finish();
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some(LANGUAGE.to_owned()));
    for node in &layout.structure {
        if let Some(node) = into_tag_node(node, &ids) {
            tree.push(node);
        }
    }
    document.set_tag_tree(tree);

    let mut outline = Outline::new();
    for bookmark in &layout.bookmarks {
        outline.push_child(OutlineNode::new(
            bookmark.title.clone(),
            XyzDestination::new(bookmark.page, Point::from_xy(MARGIN, bookmark.y)),
        ));
    }
    document.set_outline(outline);

    document.set_metadata(
        Metadata::new()
            .title(document_title(copy))
            .description(format!(
                "Copie du dossier générée le {} par Guichet",
                copy.generated_at.trim()
            ))
            .authors(vec![copy.organisation.trim().to_owned()])
            .language(LANGUAGE.to_owned())
            .creator(CREATOR.to_owned()),
    );

    document.finish().map_err(|error| match error {
        KrillaError::Validation(errors) => PdfError::Validation(format!(
            "{} validation error(s): {:?}",
            errors.len(),
            errors.iter().map(|(e, _)| e).collect::<Vec<_>>()
        )),
        other => PdfError::Write(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;
    use std::time::Instant;

    const LONG_SENTENCES: [&str; 6] = [
        "L'Élève a présenté son projet de jardin partagé devant le conseil municipal, où chacun a pu s'exprimer.",
        "Le cœur du projet reste la sœur aînée de la coopérative, qui prête ses outils à titre gracieux.",
        "Le budget prévisionnel s'élève à 12 500 € pour la première année, entièrement financé par la commune.",
        "Les îlots de fraîcheur créés en été bénéficieront aux enfants de l'école maternelle voisine.",
        "Noël approche : la récolte des châtaignes sera vendue au marché, à côté de la crèche.",
        "Ça permettra d'ouvrir un deuxième créneau hebdomadaire, le jeudi après-midi, dès l'été.",
    ];

    fn long_text() -> Vec<String> {
        let mut paragraphs = Vec::new();
        let mut total = 0;
        let mut i = 0;
        while total < 3_000 {
            let mut paragraph = String::new();
            for _ in 0..4 {
                let sentence = LONG_SENTENCES[i % LONG_SENTENCES.len()];
                if !paragraph.is_empty() {
                    paragraph.push(' ');
                }
                paragraph.push_str(sentence);
                i += 1;
            }
            total += paragraph.chars().count();
            paragraphs.push(paragraph);
        }
        paragraphs
    }

    fn sample(answers: usize) -> PdfCopy {
        let mut sections = Vec::new();
        let mut n = 0;
        while n < answers {
            let s = sections.len() + 1;
            let mut items = vec![PdfItem::Heading(format!("Sous-partie {s}.1"))];
            for k in 0..10 {
                if n >= answers {
                    break;
                }
                n += 1;
                if k == 5 {
                    items.push(PdfItem::Heading(format!("Sous-partie {s}.2")));
                }
                let lines = match n {
                    3 => long_text(),
                    7 => vec![
                        "FR7630006000011234567890189FR7630006000011234567890189FR7630006000011234567890189"
                            .to_owned(),
                    ],
                    8 => vec![format!(
                        "https://www.vallee-verte.fr/demarches/subventions/associations/{}?utm_source=guichet&ref=2026-000123",
                        "tres-long-chemin/".repeat(8)
                    )],
                    9 => vec!["Avec émoji 🎉👍 et écriture ᚠᛇᚻ rare".to_owned()],
                    10 => Vec::new(),
                    11 => vec!["Première ligne\nDeuxième ligne\n\nAprès une ligne vide".to_owned()],
                    _ => vec![format!("Réponse numéro {n} : Élève, œuvre, 15 €")],
                };
                items.push(PdfItem::Answer {
                    label: format!("Question {n} – précisez votre situation"),
                    lines,
                });
            }
            sections.push(PdfSection {
                title: format!("Étape {s} : informations générales"),
                items,
            });
        }
        PdfCopy {
            organisation: "Département de la Vallée-Verte".to_owned(),
            title: "Demande de subvention pour un projet associatif d'intérêt local".to_owned(),
            number: Some("2026-000123".to_owned()),
            status: "Déposé".to_owned(),
            profile: "Commune de Valbourg (collectivité)".to_owned(),
            filer: "Camille Martin".to_owned(),
            dates: vec![
                (
                    "Créé le".to_owned(),
                    "28 novembre 2026 à 09 h 12".to_owned(),
                ),
                (
                    "Déposé le".to_owned(),
                    "30 novembre 2026 à 14 h 05".to_owned(),
                ),
            ],
            sections,
            attachments: vec![
                PdfAttachment {
                    field: "Budget prévisionnel".to_owned(),
                    name: "budget-2027.pdf".to_owned(),
                    size: "248 Ko".to_owned(),
                },
                PdfAttachment {
                    field: "Statuts de l'association".to_owned(),
                    name: "statuts signés — version définitive.pdf".to_owned(),
                    size: "1,2 Mo".to_owned(),
                },
            ],
            generated_at: "30 novembre 2026 à 14 h 07".to_owned(),
        }
    }

    /// Runs a poppler tool; `None` when it is not installed.
    fn poppler(tool: &str, args: &[&str]) -> Option<String> {
        match Command::new(tool).args(args).output() {
            Ok(output) => {
                assert!(
                    output.status.success(),
                    "{tool} failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                Some(String::from_utf8(output.stdout).expect("UTF-8 output"))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                println!("SKIPPED: `{tool}` is not installed (apt-get install -y poppler-utils)");
                None
            }
            Err(error) => panic!("{tool}: {error}"),
        }
    }

    fn squash(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn renders_a_tagged_multi_page_pdf_with_extractable_text() {
        let copy = sample(50);
        let pdf = render(&copy).expect("render");
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF header");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dossier.pdf");
        std::fs::write(&path, &pdf).expect("write");
        let path = path.to_str().expect("UTF-8 path");

        let Some(text) = poppler("pdftotext", &["-enc", "UTF-8", path, "-"]) else {
            return;
        };
        for needle in [
            "Département de la Vallée-Verte",
            "Demande de subvention",
            "2026-000123",
            "Commune de Valbourg (collectivité)",
            "Camille Martin",
            "Réponse numéro 1 : Élève, œuvre, 15 €",
            "Réponse numéro 25 : Élève, œuvre, 15 €",
            "Réponse numéro 50 : Élève, œuvre, 15 €",
            "Étape 5 : informations générales",
            "Non renseigné",
            "Première ligne",
            "Après une ligne vide",
            "Pièces jointes",
            "Budget prévisionnel – budget-2027.pdf (248 Ko)",
            "page 1 sur",
            "Copie générée le 30 novembre 2026 à 14 h 07 par Guichet.",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
        }
        // Every word of the 3,000-character answer, in order, accents intact (it runs over
        // a page break, so the footers are left out).
        let long = squash(&long_text().join(" "));
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with("Département de la Vallée-Verte — Dossier"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            squash(&body).contains(&long),
            "long answer not found in:\n{text}"
        );
        // Missing glyphs became `?` rather than failing.
        assert!(
            text.contains("Avec émoji ?? et écriture ??? rare"),
            "{text}"
        );
        assert!(!text.contains('\u{FFFD}'));

        let Some(info) = poppler("pdfinfo", &[path]) else {
            return;
        };
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(field("Tagged"), "yes", "{info}");
        let pages: usize = field("Pages").parse().expect("page count");
        assert!(pages >= 2, "{info}");
        assert!(text.contains(&format!("page {pages} sur {pages}")));
        assert_eq!(
            field("Title"),
            "Dossier 2026-000123 — Demande de subvention pour un projet associatif d'intérêt local"
        );
        assert_eq!(field("Creator"), "Guichet");
        println!("pdfinfo:\n{info}");
        let excerpt: String = text.chars().take(900).collect();
        println!("pdftotext (start):\n{excerpt}");

        if let Some(fonts) = poppler("pdffonts", &[path]) {
            println!("pdffonts:\n{fonts}");
            assert!(fonts.contains("LiberationSans-Bold"));
            assert!(
                fonts.contains("LiberationSans") && fonts.contains("yes yes"),
                "{fonts}"
            );
        }
    }

    #[test]
    fn is_valid_pdf_ua_1_for_ordinary_content() {
        let fonts = Fonts::load().expect("fonts");
        let copy = sample(50);
        let layout = Layouter::new(&fonts).run(&copy);
        let pdf = draw(&layout, &copy, &fonts, Conformance::PdfUa1).expect("PDF/UA-1");
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let xmp = String::from_utf8_lossy(&pdf);
        assert!(xmp.contains("pdfuaid:part"), "no PDF/UA identification");
        // The fallback used when validation fails: same content, no PDF/UA claim.
        let plain = draw(&layout, &copy, &fonts, Conformance::Tagged).expect("tagged PDF");
        assert!(plain.starts_with(b"%PDF-1.7"));
        assert!(!String::from_utf8_lossy(&plain).contains("pdfuaid:part"));
    }

    #[test]
    fn draft_without_answers_or_attachments() {
        let copy = PdfCopy {
            organisation: "Département de la Vallée-Verte".to_owned(),
            title: "Signalement".to_owned(),
            number: None,
            status: "Brouillon".to_owned(),
            profile: "Particulier".to_owned(),
            filer: "Camille Martin".to_owned(),
            dates: Vec::new(),
            sections: vec![PdfSection {
                title: String::new(),
                items: Vec::new(),
            }],
            attachments: Vec::new(),
            generated_at: "1er décembre 2026 à 08 h 00".to_owned(),
        };
        let pdf = render(&copy).expect("render");
        assert!(pdf.starts_with(b"%PDF-"));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("draft.pdf");
        std::fs::write(&path, &pdf).expect("write");
        let Some(text) = poppler(
            "pdftotext",
            &["-enc", "UTF-8", path.to_str().expect("path"), "-"],
        ) else {
            return;
        };
        assert!(text.contains("Brouillon — page 1 sur 1"), "{text}");
        assert!(text.contains("Aucune pièce jointe."), "{text}");
        assert!(!text.contains("Numéro de dossier"), "{text}");
    }

    #[test]
    fn degenerate_input_still_renders_as_pdf_ua() {
        let huge_word = "x".repeat(100_000);
        let copy = PdfCopy {
            organisation: String::new(),
            title: "\u{1F600}\u{200B}".to_owned(),
            number: Some(String::new()),
            status: String::new(),
            profile: "مرحبا بالعالم".to_owned(),
            filer: "\u{0}\u{7}\u{FEFF}".to_owned(),
            dates: vec![(String::new(), String::new())],
            sections: vec![PdfSection {
                title: "   ".to_owned(),
                items: vec![
                    PdfItem::Heading(String::new()),
                    PdfItem::Answer {
                        label: String::new(),
                        lines: vec![String::new(), "   ".to_owned()],
                    },
                    PdfItem::Answer {
                        label: "Décomposé : e\u{301}le\u{300}ve".to_owned(),
                        lines: vec![huge_word, "\n\n\n".to_owned(), "\u{E000}".to_owned()],
                    },
                ],
            }],
            attachments: vec![PdfAttachment {
                field: String::new(),
                name: "🙂.pdf".to_owned(),
                size: String::new(),
            }],
            generated_at: String::new(),
        };
        let fonts = Fonts::load().expect("fonts");
        let layout = Layouter::new(&fonts).run(&copy);
        assert!(
            layout.pages.len() > 10,
            "the 100,000-character word spans pages"
        );
        let pdf = draw(&layout, &copy, &fonts, Conformance::PdfUa1).expect("PDF/UA-1");
        assert!(pdf.starts_with(b"%PDF-"));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("odd.pdf");
        std::fs::write(&path, &pdf).expect("write");
        let Some(text) = poppler(
            "pdftotext",
            &["-enc", "UTF-8", path.to_str().expect("path"), "-"],
        ) else {
            return;
        };
        assert!(text.contains("Non renseigné"), "{text}");
        assert!(text.contains("Décomposé : élève"), "{text}");
        assert!(text.contains("• ?.pdf\n"), "{text}");
        assert!(text.contains("\nBrouillon — page 1 sur 2"), "{text}");
    }

    #[test]
    fn wrapping_respects_the_width_and_keeps_every_character() {
        let fonts = Fonts::load().expect("fonts");
        let face = &fonts.regular;
        let url = format!("https://exemple.fr/{}?q=1", "segment-de-chemin/".repeat(30));
        let text = format!(
            "Voir {url} puis FR76300060000112345678901890000000000000000000000000000000000000000000000000000000 fin"
        );
        for width in [60.0, 150.0, CONTENT_WIDTH] {
            let lines = wrap(face, BODY_SIZE, &text, width);
            assert!(lines.len() > 1);
            for line in &lines {
                assert!(
                    face.width(line, BODY_SIZE) <= width + 0.01,
                    "{line:?} wider than {width}"
                );
            }
            let rejoined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let expected: String = text.chars().filter(|c| *c != ' ').collect();
            assert_eq!(rejoined, expected);
        }
        // URLs prefer to break after punctuation.
        let lines = wrap(face, BODY_SIZE, &url, 150.0);
        assert!(
            lines[..lines.len() - 1]
                .iter()
                .all(|l| l.ends_with('/') || l.ends_with('-')),
            "{lines:?}"
        );
    }

    #[test]
    fn sanitize_replaces_what_the_font_cannot_draw() {
        let fonts = Fonts::load().expect("fonts");
        let face = &fonts.regular;
        assert_eq!(face.sanitize("Élève œ € « à » ç Ÿ"), "Élève œ € « à » ç Ÿ");
        assert_eq!(face.sanitize("a\u{200B}b\u{AD}c\u{FEFF}"), "abc");
        assert_eq!(face.sanitize("❤️ 😀"), "? ?");
        assert_eq!(face.sanitize("tab\there\u{7}"), "tab here");
        assert_eq!(face.sanitize("\u{E000}"), "?");
        assert_eq!(face.sanitize("漢字"), "??");
        assert_eq!(face.sanitize("👍🏽 🇫🇷"), "? ??");
        assert_eq!(
            face.sanitize("E\u{301}le\u{300}ve c\u{327}a Noe\u{308}l x\u{301}"),
            "Élève ça Noël x\u{301}"
        );
        for c in ["\u{A0}", "\u{202F}"] {
            let s = face.sanitize(&format!("14{c}h"));
            assert_eq!(s.chars().count(), 4);
            assert!(
                !s.contains(' '),
                "a no-break space must not become breakable"
            );
        }
    }

    #[test]
    fn bench_render_50_answers() {
        let copy = sample(50);
        let start = Instant::now();
        let pdf = render(&copy).expect("render");
        let first = start.elapsed();
        let runs = 10;
        let start = Instant::now();
        for _ in 0..runs {
            render(&copy).expect("render");
        }
        let average = start.elapsed() / runs;
        println!(
            "bench: 50 answers -> {} bytes; first render {first:?}, average of {runs} renders {average:?}",
            pdf.len()
        );
    }
}
