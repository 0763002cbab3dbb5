//! Which attachments Guichet accepts, decided from their bytes while they stream in.
//!
//! The portal accepts four kinds of attachments: **PDF, JPEG, PNG and WebP**. A file is
//! recognised by its *content* (its first bytes and its structure), never by its name or
//! by the type its browser declared: both are chosen by whoever sends it. Everything else
//! is refused, with a reason in French that names the file ([`Refusal::message`]).
//!
//! # Use
//!
//! Uploads are streamed. The handler creates a [`Scanner`] per file, gives it every chunk
//! as it arrives (and writes the chunk to storage), stops as soon as [`Scanner::feed`]
//! returns a refusal (then deletes what it stored), and calls [`Scanner::finish`] after
//! the last chunk to learn the [`FileKind`] to record and to serve the file with:
//!
//! ```ignore
//! let mut scanner = Scanner::new(DEFAULT_MAX_BYTES);
//! while let Some(chunk) = field.chunk().await? {
//!     if let Err(refusal) = scanner.feed(&chunk) {
//!         storage.delete(&key).await?;
//!         return Err(refusal.message(&file_name));
//!     }
//!     storage.append(&key, &chunk).await?;
//! }
//! let kind = scanner.finish()?; // kind.mime(), kind.extension()
//! ```
//!
//! The module does no I/O: bytes in, verdict out. The verdict does not depend on how the
//! file is cut into chunks (one byte at a time or 64 KiB at a time give the same answer),
//! and the memory a scanner holds stays under 100 KiB whatever the file size: the scanner
//! never keeps the file, only small windows and counters (see "Memory and time").
//!
//! # The rules, in the order they apply
//!
//! 1. **Size.** More than `max_bytes` bytes: [`Refusal::TooLarge`], as soon as the byte
//!    past the cap arrives. Zero bytes: [`Refusal::Empty`].
//! 2. **Signature at offset 0.** Accepted only if the file starts *exactly* with `%PDF-`
//!    (PDF), `FF D8 FF` (JPEG), the 8-byte PNG signature, or `RIFF????WEBP` (WebP). No
//!    leading junk, whitespace or BOM is tolerated (PDF readers would accept a header
//!    anywhere in the first KiB; we do not). Anything else is [`Refusal::NotAllowed`],
//!    named in French from its first 8 KiB: our own checks for HTML, SVG and XML text
//!    (after a BOM and whitespace), `#!` scripts and `MZ` executables, then the `infer`
//!    crate (ELF, Mach-O, ZIP, Office, OpenDocument, archives, other images, audio, video…).
//!    The name only helps the person: the refusal does not depend on it.
//! 3. **Polyglots, every kind.** A file that is also read as something else by another
//!    program is [`Refusal::Polyglot`]:
//!    - a ZIP local header `PK\x03\x04` or end-of-central-directory `PK\x05\x06` starting in
//!      the last 64 KiB + 22 bytes (where ZIP readers, Java's among them, look for the
//!      archive: this catches image + JAR "GIFAR" files and any appended archive);
//!    - `<script`, `<html` or `<svg` followed by a tag delimiter (whitespace, `/` or `>`,
//!      as an HTML parser needs to see a tag), or `<!doctype`, `<?php`, all ASCII
//!      case-insensitive, anywhere in an image or in the non-stream parts of a PDF;
//!    - `%PDF-` anywhere in an image (a JPEG/PNG that is also a PDF).
//! 4. **Structure of each kind** (anything wrong is [`Refusal::Damaged`] unless it is data
//!    past the end of the file, which is a polyglot):
//!    - PNG: the chunks are walked (length, type, CRC-32 checked); the first chunk is `IHDR`,
//!      at least one `IDAT` comes before `IEND`, and **no byte follows `IEND`**.
//!    - JPEG: the last `FF D9` (EOI) is followed by at most 16 bytes, all `00`, `CR` or `LF`.
//!    - WebP: the RIFF size + 8 equals the file length, and the chunks inside (the first
//!      one `VP8 `, `VP8L` or `VP8X`) fill it exactly.
//!    - PDF: a `%%EOF` starts within the last 2 KiB (earlier than that: data was appended,
//!      polyglot; none at all: damaged), and the file does not end inside a stream.
//! 5. **Active content in PDFs** ([`Refusal::ActiveContent`]): the names `/JavaScript`,
//!    `/JS`, `/Launch`, `/EmbeddedFile`, `/EmbeddedFiles`, `/FileAttachment`, `/RichMedia`
//!    and `/XFA`, after decoding `#xx` escapes (`/J#61vaScript` is `/JavaScript`). They are
//!    looked for in the raw parts of the file and in the *inflated* content of its
//!    `FlateDecode` streams, object streams (`/ObjStm`, which hold whole objects) first
//!    among them (the documentation of the private `PdfScan` has the details).
//!
//! # What this does not catch
//!
//! The scanner is one layer. The files must still be served with their exact type,
//! `X-Content-Type-Options: nosniff` and `Content-Disposition: attachment`, never
//! rendered inline from the portal's origin.
//! - Malformed pixel data meant to exploit an image decoder, fonts meant to exploit a font
//!   engine, or PDF exploits that use none of the names above (e.g. `/SubmitForm`,
//!   `/ImportData`, `/GoToR`, `/URI` phishing links) pass.
//! - Data hidden *inside* an image in a form no other program reads (a private PNG chunk,
//!   WebP chunk or JPEG segment holding bytes that are neither HTML nor a ZIP) passes.
//! - An appended payload that itself ends with `FF D9` passes the JPEG trailer check (the
//!   ZIP and markup rules still apply to it).
//! - Encrypted PDFs: names are visible (dictionaries are not encrypted), but encrypted
//!   streams cannot be inflated; an encrypted *object stream* therefore cannot be checked
//!   and the file is refused as damaged.
//! - PDF streams are delimited by the `endstream` keyword, not by `/Length`.
//!
//! False refusals are possible and rare: a random 4-byte `PK\x03\x04`/`PK\x05\x06` in the
//! last 64 KiB of compressed data (about 3 files in 100 000), `<svg` + delimiter in the
//! compressed data of an image (about 1 in 6 000 for a 3 MB photo, 1 in 1 000 at 20 MB),
//! "motion photos" (Pixel, Samsung) that append a video after the JPEG, PDFs whose raw
//! parts quote HTML tags or a URL with a `/JS/` path segment, PDFs padded with more than
//! 2 KiB after `%%EOF`. The person is told to save or export the file again.
//!
//! # Memory and time
//!
//! A scanner holds at most the first 8 KiB (only while a refused file is being named),
//! a few small state machines, and for PDFs one zlib inflater (~45 KiB) with a 16 KiB
//! output buffer and an 8 KiB input batch: about 72 KiB at most. The pattern tables
//! (~30 KiB) are built once and shared by all scanners.
//!
//! Time is linear in the file size plus the inflated bytes, which are capped at
//! 2 × 100 MiB per file. In a release build on one core, images go at 120–170 MB/s and
//! PDFs at about 50 MB/s; a crafted PDF (a "zip bomb") costs at most about 1 s of CPU,
//! and a single [`Scanner::feed`] call of 64 KiB can take a few hundred milliseconds on
//! one. An async handler that must not hold its worker that long can call `feed` through
//! `tokio::task::block_in_place` or `spawn_blocking`.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::OnceLock;

use flate2::{Crc, Decompress, FlushDecompress, Status};

/// The size cap of an attachment unless the caller says otherwise: 20 Mo (the portal
/// counts 1 Mo = 1 000 000 bytes, as it displays sizes).
pub const DEFAULT_MAX_BYTES: u64 = 20_000_000;

/// Bytes needed to recognise an accepted kind (`RIFF????WEBP` is the longest).
const SNIFF_LEN: usize = 12;
/// Bytes kept to name a refused file (what `infer` itself reads from a file).
const HEAD_LEN: usize = 8192;
/// ZIP readers look for the end-of-central-directory record in the last 64 KiB (the
/// largest comment) + 22 bytes (the record itself).
const ZIP_TAIL: u64 = 65_536 + 22;
/// The last `%%EOF` of a PDF must start within this many bytes of the end.
const PDF_EOF_TAIL: u64 = 2048;
/// Padding bytes (`00`, `CR`, `LF`) tolerated after the final JPEG EOI.
const JPEG_MAX_PADDING: u64 = 16;
/// Inflated bytes scanned per file in PDF object streams; past it the file is refused.
const INFLATE_BUDGET_OBJSTM: u64 = 100 << 20;
/// Inflated bytes scanned per file in other PDF streams; past it they are skipped.
const INFLATE_BUDGET_OTHER: u64 = 100 << 20;
/// Output buffer of the inflater.
const INFLATE_OUT: usize = 16 * 1024;
/// Compressed bytes gathered before calling the inflater.
const INFLATE_BATCH: usize = 8 * 1024;
/// Longest PDF name kept when lexing (the forbidden ones are at most 14 bytes).
const NAME_MAX: usize = 32;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const OLE_SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// What [`Refusal::ActiveContent`] says a PDF contains.
const JAVASCRIPT: &str = "du JavaScript";
const LAUNCH: &str = "une action de lancement";
const EMBEDDED_FILES: &str = "des fichiers intégrés";
const RICH_MEDIA: &str = "du contenu multimédia interactif (RichMedia)";
const XFA_FORM: &str = "un formulaire XFA";

// ---------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------

/// An accepted kind of attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    Webp,
}

impl FileKind {
    /// The `Content-Type` to serve the file with.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
        }
    }

    /// The extension to store and download the file with, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Webp => "webp",
        }
    }

    /// The kind stored under `extension` (`jpeg` too, as older rows say).
    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "pdf" => Some(FileKind::Pdf),
            "jpg" | "jpeg" => Some(FileKind::Jpeg),
            "png" => Some(FileKind::Png),
            "webp" => Some(FileKind::Webp),
            _ => None,
        }
    }

    /// A French label for the person: « PDF », « image JPEG »…
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Jpeg => "image JPEG",
            FileKind::Png => "image PNG",
            FileKind::Webp => "image WebP",
        }
    }

    /// The accepted kind whose signature starts `head` at offset 0 exactly.
    fn from_signature(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if head.starts_with(&PNG_SIGNATURE) {
            Some(FileKind::Png)
        } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
            Some(FileKind::Webp)
        } else {
            None
        }
    }
}

/// Why a file was refused. [`Refusal::message`] explains it in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The file has no bytes.
    Empty,
    /// The file is larger than the cap.
    TooLarge { max_bytes: u64 },
    /// The file is not a PDF, JPEG, PNG or WebP. `detected` is what it seems to be, in
    /// French with its article (« une page HTML », « un programme exécutable »), when known.
    NotAllowed { detected: Option<String> },
    /// The file is an accepted kind but also holds another file that other programs would
    /// read (an archive, a web page, a script, a PDF), or data after its end.
    Polyglot,
    /// The PDF holds active content; `what` says which, in French with its article
    /// (« du JavaScript », « une action de lancement », « des fichiers intégrés »…).
    ActiveContent { what: &'static str },
    /// The structure is broken, incomplete or cannot be checked.
    Damaged,
}

impl Refusal {
    /// The French message shown to the person, naming the file, e.g. « Le fichier
    /// « x.pdf » n’a pas été ajouté : c’est un programme exécutable, pas un PDF ni une
    /// image. Seuls les formats PDF, JPEG, PNG et WebP sont acceptés, pour des raisons de
    /// sécurité. »
    ///
    /// The name is shown as sent, without any path, control or bidirectional-override
    /// characters, and cut to 80 characters. The text is plain: escape it for HTML.
    pub fn message(&self, file_name: &str) -> String {
        let name = shown_name(file_name);
        let subject = if name.is_empty() {
            "Le fichier n’a pas été ajouté".to_owned()
        } else {
            format!("Le fichier « {name} » n’a pas été ajouté")
        };
        match self {
            Refusal::Empty => format!("{subject} : il est vide."),
            Refusal::TooLarge { max_bytes } => format!(
                "{subject} : il dépasse la taille maximale de {}.",
                format_size(*max_bytes)
            ),
            Refusal::NotAllowed { detected } => {
                let what = match detected.as_deref() {
                    Some(d) if d.starts_with("une image ") || d.starts_with("une photo ") => {
                        format!("c’est {d}, un format d’image qui n’est pas accepté.")
                    }
                    Some(d) => format!("c’est {d}, pas un PDF ni une image."),
                    None => "son format n’est pas reconnu.".to_owned(),
                };
                let hint = if detected.as_deref().is_some_and(|d| d.contains("HEIC")) {
                    " Sur iPhone, choisissez le format « Le plus compatible » \
                     (Réglages > Appareil photo > Formats) ou faites une capture d’écran."
                } else {
                    ""
                };
                format!(
                    "{subject} : {what} Seuls les formats PDF, JPEG, PNG et WebP sont \
                     acceptés, pour des raisons de sécurité.{hint}"
                )
            }
            Refusal::Polyglot => format!(
                "{subject} : en plus de son contenu, il cache des données d’un autre type \
                 (par exemple une archive, une page web ou un script). Ces fichiers sont \
                 refusés pour des raisons de sécurité. Enregistrez-le ou exportez-le de \
                 nouveau, puis joignez ce nouveau fichier."
            ),
            Refusal::ActiveContent { what } => format!(
                "{subject} : il contient {what}, ce qui est interdit pour des raisons de \
                 sécurité. Enregistrez-le de nouveau en PDF « simple » (Imprimer > \
                 Enregistrer au format PDF) et joignez ce nouveau fichier."
            ),
            Refusal::Damaged => format!(
                "{subject} : il semble endommagé ou incomplet, et n’a pas pu être vérifié. \
                 Enregistrez-le ou exportez-le de nouveau, puis joignez ce nouveau fichier."
            ),
        }
    }
}

/// A short English description, for logs.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => f.write_str("empty file"),
            Refusal::TooLarge { max_bytes } => write!(f, "larger than {max_bytes} bytes"),
            Refusal::NotAllowed { detected } => write!(
                f,
                "not an accepted kind ({})",
                detected.as_deref().unwrap_or("unknown")
            ),
            Refusal::Polyglot => f.write_str("polyglot: holds data of another kind"),
            Refusal::ActiveContent { what } => write!(f, "PDF active content: {what}"),
            Refusal::Damaged => f.write_str("damaged or unverifiable structure"),
        }
    }
}

impl std::error::Error for Refusal {}

/// Checks one uploaded file, chunk by chunk. See the module documentation for the rules.
#[derive(Debug)]
pub struct Scanner {
    max_bytes: u64,
    total: u64,
    stage: Stage,
    /// The refusal already returned: later calls return it again.
    refused: Option<Refusal>,
    marks: Marks,
    budgets: Budgets,
}

impl Scanner {
    /// A scanner for a file of at most `max_bytes` bytes ([`DEFAULT_MAX_BYTES`] unless a
    /// démarche says otherwise).
    pub fn new(max_bytes: u64) -> Self {
        Scanner {
            max_bytes,
            total: 0,
            stage: Stage::Sniffing(Vec::with_capacity(SNIFF_LEN)),
            refused: None,
            marks: Marks::default(),
            budgets: Budgets {
                objstm: INFLATE_BUDGET_OBJSTM,
                other: INFLATE_BUDGET_OTHER,
            },
        }
    }

    /// Feeds the next chunk (of any size, empty included).
    ///
    /// Returns the refusal as soon as the file is known to be refused: the caller then
    /// stops reading and deletes what it stored. Once refused, every later call returns
    /// the same refusal. Within a chunk, the refusal is the one the earliest bytes cause,
    /// so the verdict does not depend on the chunk boundaries.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Refusal> {
        if let Some(refusal) = &self.refused {
            return Err(refusal.clone());
        }
        let room = self.max_bytes.saturating_sub(self.total);
        let accepted = usize::try_from(room).map_or(chunk.len(), |room| room.min(chunk.len()));
        let mut result = self.process(&chunk[..accepted]);
        if result.is_ok() && accepted < chunk.len() {
            result = Err(Refusal::TooLarge {
                max_bytes: self.max_bytes,
            });
        }
        if let Err(refusal) = &result {
            self.refused = Some(refusal.clone());
        }
        result
    }

    /// Gives the verdict after the last chunk: the kind of the file, or why it is refused.
    pub fn finish(mut self) -> Result<FileKind, Refusal> {
        if let Some(refusal) = self.refused.take() {
            return Err(refusal);
        }
        if self.total == 0 {
            return Err(Refusal::Empty);
        }
        // A file shorter than the signature window is decided now.
        if let Stage::Sniffing(head) = &mut self.stage {
            let head = std::mem::take(head);
            self.decide(head)?;
        }
        let stage = std::mem::replace(&mut self.stage, Stage::Sniffing(Vec::new()));
        let kind = match &stage {
            Stage::Sniffing(_) => return Err(Refusal::Damaged),
            Stage::Naming(head) => return Err(refusal_for(head)),
            Stage::Pdf(_) => FileKind::Pdf,
            Stage::Image(image) => image.kind,
        };
        if let Some(at) = self.marks.last_zip
            && at >= self.total.saturating_sub(ZIP_TAIL)
        {
            return Err(Refusal::Polyglot);
        }
        match stage {
            Stage::Pdf(pdf) => pdf.finish(self.total, self.marks.last_pdf_eof)?,
            Stage::Image(image) => image.finish()?,
            Stage::Sniffing(_) | Stage::Naming(_) => {}
        }
        Ok(kind)
    }

    /// The number of bytes fed and accepted so far.
    pub fn bytes_seen(&self) -> u64 {
        self.total
    }

    /// The cap this scanner enforces.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Runs `data` (already within the size cap) through the current stage.
    fn process(&mut self, data: &[u8]) -> Result<(), Refusal> {
        self.marks.scan(data, self.total);
        self.total += data.len() as u64;
        let mut rest = data;
        loop {
            match &mut self.stage {
                Stage::Sniffing(head) => {
                    let taken = (SNIFF_LEN - head.len()).min(rest.len());
                    head.extend_from_slice(&rest[..taken]);
                    rest = &rest[taken..];
                    if head.len() < SNIFF_LEN {
                        return Ok(());
                    }
                    let head = std::mem::take(head);
                    self.decide(head)?;
                }
                Stage::Naming(head) => {
                    let taken = (HEAD_LEN - head.len()).min(rest.len());
                    head.extend_from_slice(&rest[..taken]);
                    if head.len() >= HEAD_LEN {
                        return Err(refusal_for(head));
                    }
                    return Ok(());
                }
                Stage::Pdf(pdf) => return pdf.feed(rest),
                Stage::Image(image) => return image.feed(rest),
            }
        }
    }

    /// Moves from sniffing to the stage of the kind that `head` starts with, replaying
    /// `head` into it.
    fn decide(&mut self, head: Vec<u8>) -> Result<(), Refusal> {
        let walk = match FileKind::from_signature(&head) {
            None => {
                self.stage = Stage::Naming(head);
                return Ok(());
            }
            Some(FileKind::Pdf) => {
                let mut pdf = Box::new(PdfScan::new(self.budgets));
                let result = pdf.feed(&head);
                self.stage = Stage::Pdf(pdf);
                return result;
            }
            Some(FileKind::Png) => (FileKind::Png, Walk::Png(PngWalk::default())),
            Some(FileKind::Jpeg) => (FileKind::Jpeg, Walk::Jpeg(JpegTail::default())),
            Some(FileKind::Webp) => (FileKind::Webp, Walk::Webp(WebpWalk::default())),
        };
        let mut image = ImageScan {
            kind: walk.0,
            walk: walk.1,
            markup: 0,
        };
        let result = image.feed(&head);
        self.stage = Stage::Image(image);
        result
    }

    /// Heap and inline bytes this scanner holds (tests check that it stays bounded).
    #[cfg(test)]
    fn retained_bytes(&self) -> usize {
        let stage = match &self.stage {
            Stage::Sniffing(head) | Stage::Naming(head) => head.capacity(),
            Stage::Pdf(pdf) => {
                std::mem::size_of::<PdfScan>()
                    + pdf.out.capacity()
                    + pdf.stream.batch.capacity()
                    // The miniz_oxide inflater state: its 32 KiB window and tables.
                    + if pdf.inflater.is_some() { 48 * 1024 } else { 0 }
            }
            Stage::Image(_) => 0,
        };
        std::mem::size_of::<Self>() + stage
    }
}

// ---------------------------------------------------------------------------------------
// Stages and whole-file marks
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Budgets {
    objstm: u64,
    other: u64,
}

#[derive(Debug)]
enum Stage {
    /// Fewer than [`SNIFF_LEN`] bytes seen.
    Sniffing(Vec<u8>),
    /// Not an accepted kind: keeping the first [`HEAD_LEN`] bytes to name it.
    Naming(Vec<u8>),
    Pdf(Box<PdfScan>),
    Image(ImageScan),
}

/// Where the last ZIP signature and the last `%%EOF` start, over every byte of the file.
///
/// Only the offsets are kept, not a 64 KiB tail: at the end, an offset within the last
/// [`ZIP_TAIL`] bytes means a ZIP reader would find an archive there.
#[derive(Debug, Default)]
struct Marks {
    state: u16,
    last_zip: Option<u64>,
    last_pdf_eof: Option<u64>,
}

const MARK_ZIP_LOCAL: u32 = 1 << 0;
const MARK_ZIP_END: u32 = 1 << 1;
const MARK_PDF_EOF: u32 = 1 << 2;

impl Marks {
    fn scan(&mut self, data: &[u8], start: u64) {
        let automaton = binary_automaton();
        for (i, &b) in data.iter().enumerate() {
            self.state = automaton.step(self.state, b);
            let found = automaton.matches(self.state);
            if found != 0 {
                let end = start + i as u64 + 1;
                if found & (MARK_ZIP_LOCAL | MARK_ZIP_END) != 0 {
                    self.last_zip = Some(end - 4);
                }
                if found & MARK_PDF_EOF != 0 {
                    self.last_pdf_eof = Some(end - 5);
                }
            }
        }
    }
}

fn binary_automaton() -> &'static Automaton {
    static AUTOMATON: OnceLock<Automaton> = OnceLock::new();
    AUTOMATON.get_or_init(|| {
        Automaton::new(
            &[
                b"PK\x03\x04".to_vec(),
                b"PK\x05\x06".to_vec(),
                b"%%EOF".to_vec(),
            ],
            false,
        )
    })
}

/// Set by the `%PDF-` pattern of [`markup_automaton`] (images only).
const MARKUP_PDF_HEADER: u32 = 1 << 0;

/// The tag-like strings that make a file readable as a web page or a PHP script (and
/// `%PDF-`, pattern 0, which makes an image readable as a PDF), ASCII case-insensitive.
///
/// `<script`, `<html` and `<svg` count only when followed by a delimiter that ends an
/// HTML tag name (whitespace, `/` or `>`): `<svgx` is no tag for a browser, and the
/// delimiter divides the false alarms in compressed image data by 36.
fn markup_automaton() -> &'static Automaton {
    static AUTOMATON: OnceLock<Automaton> = OnceLock::new();
    AUTOMATON.get_or_init(|| {
        let mut patterns = vec![b"%pdf-".to_vec(), b"<!doctype".to_vec(), b"<?php".to_vec()];
        for tag in [&b"<script"[..], b"<html", b"<svg"] {
            for delimiter in [b' ', b'\t', b'\n', b'\r', 0x0C, b'/', b'>'] {
                let mut pattern = tag.to_vec();
                pattern.push(delimiter);
                patterns.push(pattern);
            }
        }
        Automaton::new(&patterns, true)
    })
}

/// A multi-pattern matcher (Aho–Corasick compiled to a table, one lookup per byte).
///
/// It is fed one byte at a time and carries its state across chunks, so a pattern split
/// between two chunks is found like any other.
#[derive(Debug)]
struct Automaton {
    /// 256 transitions per state.
    next: Vec<u16>,
    /// The patterns (one bit each) that end in each state.
    out: Vec<u32>,
}

impl Automaton {
    /// At most 32 patterns. With `fold_case`, ASCII letters match in either case.
    fn new(patterns: &[Vec<u8>], fold_case: bool) -> Self {
        const NONE: u16 = u16::MAX;
        debug_assert!(patterns.len() <= 32);
        let key = |b: u8| {
            if fold_case {
                usize::from(b.to_ascii_lowercase())
            } else {
                usize::from(b)
            }
        };
        let mut trie: Vec<[u16; 256]> = vec![[NONE; 256]];
        let mut out: Vec<u32> = vec![0];
        for (id, pattern) in patterns.iter().enumerate() {
            let mut state = 0;
            for &b in pattern {
                let k = key(b);
                if trie[state][k] == NONE {
                    trie.push([NONE; 256]);
                    out.push(0);
                    trie[state][k] = (trie.len() - 1) as u16;
                }
                state = usize::from(trie[state][k]);
            }
            out[state] |= 1 << id;
        }
        // Breadth first, so that the failure state of a state (shallower) is complete
        // before the state itself is.
        let mut next = vec![0u16; trie.len() * 256];
        let mut fail = vec![0usize; trie.len()];
        let mut queue = VecDeque::from([0usize]);
        while let Some(state) = queue.pop_front() {
            for c in 0..256 {
                let child = trie[state][key(c as u8)];
                next[state * 256 + c] = if child != NONE {
                    child
                } else if state == 0 {
                    0
                } else {
                    next[fail[state] * 256 + c]
                };
            }
            for (k, &child) in trie[state].iter().enumerate() {
                if child == NONE {
                    continue;
                }
                let child = usize::from(child);
                fail[child] = if state == 0 {
                    0
                } else {
                    usize::from(next[fail[state] * 256 + k])
                };
                out[child] |= out[fail[child]];
                queue.push_back(child);
            }
        }
        Automaton { next, out }
    }

    fn step(&self, state: u16, b: u8) -> u16 {
        self.next[usize::from(state) * 256 + usize::from(b)]
    }

    fn matches(&self, state: u16) -> u32 {
        self.out[usize::from(state)]
    }
}

// ---------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------

/// An image being checked: its structure walk, and the markup search over every byte.
#[derive(Debug)]
struct ImageScan {
    kind: FileKind,
    walk: Walk,
    markup: u16,
}

#[derive(Debug)]
enum Walk {
    Png(PngWalk),
    Jpeg(JpegTail),
    Webp(WebpWalk),
}

impl ImageScan {
    fn feed(&mut self, data: &[u8]) -> Result<(), Refusal> {
        let broken = match &mut self.walk {
            Walk::Png(walk) => walk.feed(data),
            Walk::Jpeg(tail) => {
                tail.feed(data);
                None
            }
            Walk::Webp(walk) => walk.feed(data),
        };
        // Markup found before the byte that broke the structure wins; at the same byte,
        // the structure does. Either way the order depends on bytes, not on chunks.
        let end = broken.as_ref().map_or(data.len(), |(at, _)| *at);
        let automaton = markup_automaton();
        for &b in &data[..end] {
            self.markup = automaton.step(self.markup, b);
            if automaton.matches(self.markup) != 0 {
                return Err(Refusal::Polyglot);
            }
        }
        match broken {
            Some((_, refusal)) => Err(refusal),
            None => Ok(()),
        }
    }

    fn finish(self) -> Result<(), Refusal> {
        match self.walk {
            Walk::Png(walk) => walk.finish(),
            Walk::Jpeg(tail) => tail.finish(),
            Walk::Webp(walk) => walk.finish(),
        }
    }
}

/// Walks the chunks of a PNG: signature, then `length type data CRC` chunks.
///
/// Checks: chunk lengths below 2³¹, types of four ASCII letters, CRC-32 of type + data,
/// `IHDR` (13 bytes) first and only first, an `IDAT` before `IEND`, an empty `IEND`, and
/// nothing after `IEND` (a byte there is a polyglot: image + appended file). It does not
/// decode the pixels nor look inside ancillary or private chunks (the markup and ZIP rules
/// do, on their raw bytes).
#[derive(Debug)]
struct PngWalk {
    phase: PngPhase,
    buf: [u8; 8],
    have: usize,
    remaining: u32,
    crc: Crc,
    chunk_type: [u8; 4],
    chunks: u64,
    saw_idat: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PngPhase {
    Signature,
    Header,
    Data,
    Crc,
    Done,
}

impl Default for PngWalk {
    fn default() -> Self {
        PngWalk {
            phase: PngPhase::Signature,
            buf: [0; 8],
            have: 0,
            remaining: 0,
            crc: Crc::new(),
            chunk_type: [0; 4],
            chunks: 0,
            saw_idat: false,
        }
    }
}

impl PngWalk {
    /// Returns the index in `data` of the byte that breaks the file, and why.
    fn feed(&mut self, data: &[u8]) -> Option<(usize, Refusal)> {
        let mut i = 0;
        while i < data.len() {
            match self.phase {
                PngPhase::Signature | PngPhase::Header | PngPhase::Crc => {
                    let want = if self.phase == PngPhase::Crc { 4 } else { 8 };
                    let taken = (want - self.have).min(data.len() - i);
                    self.buf[self.have..self.have + taken].copy_from_slice(&data[i..i + taken]);
                    self.have += taken;
                    i += taken;
                    if self.have == want {
                        self.have = 0;
                        if let Err(refusal) = self.complete() {
                            return Some((i - 1, refusal));
                        }
                    }
                }
                PngPhase::Data => {
                    let taken = usize::try_from(self.remaining)
                        .map_or(data.len() - i, |remaining| remaining.min(data.len() - i));
                    self.crc.update(&data[i..i + taken]);
                    self.remaining -= taken as u32;
                    i += taken;
                    if self.remaining == 0 {
                        self.phase = PngPhase::Crc;
                    }
                }
                PngPhase::Done => return Some((i, Refusal::Polyglot)),
            }
        }
        None
    }

    /// Checks the signature, chunk header or CRC just gathered in `buf`.
    fn complete(&mut self) -> Result<(), Refusal> {
        match self.phase {
            PngPhase::Signature => {
                if self.buf != PNG_SIGNATURE {
                    return Err(Refusal::Damaged);
                }
                self.phase = PngPhase::Header;
            }
            PngPhase::Header => {
                let length =
                    u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                let chunk_type = [self.buf[4], self.buf[5], self.buf[6], self.buf[7]];
                if length > 0x7FFF_FFFF || !chunk_type.iter().all(u8::is_ascii_alphabetic) {
                    return Err(Refusal::Damaged);
                }
                let first = self.chunks == 0;
                self.chunks += 1;
                if first != (&chunk_type == b"IHDR") || (first && length != 13) {
                    return Err(Refusal::Damaged);
                }
                match &chunk_type {
                    b"IDAT" => self.saw_idat = true,
                    b"IEND" if length != 0 || !self.saw_idat => return Err(Refusal::Damaged),
                    _ => {}
                }
                self.chunk_type = chunk_type;
                self.crc.reset();
                self.crc.update(&chunk_type);
                self.remaining = length;
                self.phase = if length == 0 {
                    PngPhase::Crc
                } else {
                    PngPhase::Data
                };
            }
            PngPhase::Crc => {
                let stored =
                    u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
                if stored != self.crc.sum() {
                    return Err(Refusal::Damaged);
                }
                self.phase = if &self.chunk_type == b"IEND" {
                    PngPhase::Done
                } else {
                    PngPhase::Header
                };
            }
            PngPhase::Data | PngPhase::Done => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<(), Refusal> {
        if self.phase == PngPhase::Done {
            Ok(())
        } else {
            Err(Refusal::Damaged)
        }
    }
}

/// Follows the end of a JPEG: the last `FF D9` (end of image) and what comes after it.
///
/// A JPEG must contain an EOI (else it is damaged) and the last one may be followed only
/// by up to [`JPEG_MAX_PADDING`] bytes `00`/`CR`/`LF` that some encoders and transfers
/// add; more, or anything else, is data appended after the image (polyglot). The segments
/// are not walked: a payload hidden in an APPn/COM segment, or appended and itself ending
/// with `FF D9`, is left to the markup and ZIP rules.
#[derive(Debug, Default)]
struct JpegTail {
    previous_ff: bool,
    seen_eoi: bool,
    after_eoi: u64,
    padding_only: bool,
}

impl JpegTail {
    fn feed(&mut self, data: &[u8]) {
        for &b in data {
            if self.previous_ff && b == 0xD9 {
                self.seen_eoi = true;
                self.after_eoi = 0;
                self.padding_only = true;
            } else if self.seen_eoi {
                self.after_eoi += 1;
                if !matches!(b, 0x00 | b'\r' | b'\n') {
                    self.padding_only = false;
                }
            }
            self.previous_ff = b == 0xFF;
        }
    }

    fn finish(self) -> Result<(), Refusal> {
        if !self.seen_eoi {
            Err(Refusal::Damaged)
        } else if self.after_eoi > JPEG_MAX_PADDING || !self.padding_only {
            Err(Refusal::Polyglot)
        } else {
            Ok(())
        }
    }
}

/// Walks a WebP: the 12-byte `RIFF size WEBP` header, then `fourcc size data [pad]` chunks
/// that must end exactly at RIFF size + 8, which must be the end of the file.
///
/// A byte past that end is a polyglot (data appended); a chunk overflowing it, or a file
/// ending before it, is damaged. The first chunk must be `VP8 `, `VP8L` or `VP8X`. The
/// bitstream is not decoded, and unknown chunks inside the RIFF are allowed (as decoders
/// allow them): their raw bytes only go through the markup and ZIP rules.
#[derive(Debug)]
struct WebpWalk {
    phase: WebpPhase,
    buf: [u8; 12],
    have: usize,
    pos: u64,
    end: u64,
    remaining: u64,
    chunks: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WebpPhase {
    Header,
    ChunkHeader,
    ChunkData,
    Done,
}

impl Default for WebpWalk {
    fn default() -> Self {
        WebpWalk {
            phase: WebpPhase::Header,
            buf: [0; 12],
            have: 0,
            pos: 0,
            end: 0,
            remaining: 0,
            chunks: 0,
        }
    }
}

impl WebpWalk {
    fn feed(&mut self, data: &[u8]) -> Option<(usize, Refusal)> {
        let mut i = 0;
        while i < data.len() {
            match self.phase {
                WebpPhase::Header | WebpPhase::ChunkHeader => {
                    let want = if self.phase == WebpPhase::Header {
                        12
                    } else {
                        8
                    };
                    let taken = (want - self.have).min(data.len() - i);
                    self.buf[self.have..self.have + taken].copy_from_slice(&data[i..i + taken]);
                    self.have += taken;
                    self.pos += taken as u64;
                    i += taken;
                    if self.have == want {
                        self.have = 0;
                        if let Err(refusal) = self.complete() {
                            return Some((i - 1, refusal));
                        }
                    }
                }
                WebpPhase::ChunkData => {
                    let taken = usize::try_from(self.remaining)
                        .map_or(data.len() - i, |remaining| remaining.min(data.len() - i));
                    self.remaining -= taken as u64;
                    self.pos += taken as u64;
                    i += taken;
                    if self.remaining == 0 {
                        self.chunk_done();
                    }
                }
                WebpPhase::Done => return Some((i, Refusal::Polyglot)),
            }
        }
        None
    }

    fn complete(&mut self) -> Result<(), Refusal> {
        let le32 = |b: &[u8]| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if self.phase == WebpPhase::Header {
            if &self.buf[..4] != b"RIFF" || &self.buf[8..12] != b"WEBP" {
                return Err(Refusal::Damaged);
            }
            self.end = le32(&self.buf[4..8]) + 8;
            // At least one chunk header after "WEBP".
            if self.end < 20 {
                return Err(Refusal::Damaged);
            }
            self.phase = WebpPhase::ChunkHeader;
            return Ok(());
        }
        let fourcc = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
        if self.chunks == 0 && !matches!(&fourcc, b"VP8 " | b"VP8L" | b"VP8X") {
            return Err(Refusal::Damaged);
        }
        self.chunks += 1;
        let size = le32(&self.buf[4..8]);
        self.remaining = size + (size & 1);
        if self.pos > self.end || self.pos + self.remaining > self.end {
            return Err(Refusal::Damaged);
        }
        if self.remaining == 0 {
            self.chunk_done();
        } else {
            self.phase = WebpPhase::ChunkData;
        }
        Ok(())
    }

    fn chunk_done(&mut self) {
        self.phase = if self.pos == self.end {
            WebpPhase::Done
        } else {
            WebpPhase::ChunkHeader
        };
    }

    fn finish(self) -> Result<(), Refusal> {
        if self.phase == WebpPhase::Done {
            Ok(())
        } else {
            Err(Refusal::Damaged)
        }
    }
}

// ---------------------------------------------------------------------------------------
// PDF
// ---------------------------------------------------------------------------------------

/// Scans a PDF in one pass, without parsing its object graph.
///
/// **Raw parts** (everything outside stream data) go through three machines, byte by byte:
/// - the markup search (`<script`, `<html`… see [`markup_automaton`]);
/// - a *context-free* name lexer: every `/` starts a name, even inside a string or a
///   comment, `#xx` escapes are decoded, and a forbidden name refuses the file. Being
///   context-free is deliberate: a reader that rebuilds a broken cross-reference table
///   may parse an object out of what a strict lexer calls a string;
/// - a tokenizer that follows strings (nested parentheses, `\` escapes), hex strings and
///   comments, only to find the `stream` keywords that come right after a dictionary's
///   `>>` (a `stream` inside a string or a comment starts nothing), `obj`/`endobj`, and
///   the names of the dictionary before each stream.
///
/// **Stream data** (after `stream` and its end of line, up to the first `endstream`):
/// - its raw bytes go through a name lexer for the *long* forbidden names (all but `/JS`,
///   whose 3 bytes occur too often by chance in 20 MB of binary data), which catches
///   objects hidden in stream data for readers that reconstruct broken files;
/// - **object streams** (`/Type /ObjStm`, or a `/First` key: readers find them through
///   cross-reference streams and do not need the `/Type`) are inflated if `FlateDecode`,
///   read as they are if unfiltered, and every name of their content is checked, `/JS`
///   included. An object stream with any other filter, a predictor, an indirect filter,
///   that fails to inflate, or that inflates past its budget is refused as damaged: its
///   objects could not be checked (this is what an encrypted PDF with object streams gets);
/// - other `FlateDecode` streams (page contents, forms…) are inflated and their names
///   checked too, within their own budget, after which they are no longer inflated (the
///   file is not refused for that). A stream that fails to inflate is skipped;
/// - streams whose dictionary shows they hold no PDF syntax (images: `/Image`, `/Width`…;
///   font programs: `/Length1`, `/Type1C`…; ICC profiles: `/N` without `/First`; sampled
///   functions; cross-reference streams) and streams with other filters (`DCTDecode`…)
///   are not inflated: their decoded bytes are pixels or glyphs that no reader parses as
///   PDF objects, and scanning them for `/JS` would refuse good files by chance.
///
/// Limits: the dictionary flags come from the names seen since the last `obj`, so a
/// nested dictionary counts too (which can only make the scan stricter, except that a
/// content stream declaring `/Width` is not inflated: content streams cannot hold
/// objects). Budgets: 100 MiB of inflated object streams (then refused) and 100 MiB of
/// other streams (then skipped) per file.
#[derive(Debug)]
struct PdfScan {
    mode: PdfMode,
    lex: Lex,
    keyword: Keyword,
    /// The last token of the raw part was `>>`.
    after_dict: bool,
    names: NameLexer,
    markup: u16,
    dict: StreamDict,
    stream: StreamScan,
    inflater: Option<Decompress>,
    out: Vec<u8>,
    budgets: Budgets,
    used_objstm: u64,
    used_other: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PdfMode {
    Raw,
    /// After `stream` and a space: more spaces, then the end of line.
    StreamSpaces,
    /// After `stream` and a CR: an optional LF.
    StreamCr,
    StreamData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Normal,
    Comment,
    Literal {
        depth: u32,
        escape: bool,
    },
    Hex,
    Name,
    Regular,
    /// After `<`: `<<` or a hex string.
    Lt,
    /// After `>`: `>>` or a stray `>`.
    Gt,
}

/// A regular token (keyword or number), kept only up to the length of `endstream`.
#[derive(Debug, Clone, Copy, Default)]
struct Keyword {
    buf: [u8; 9],
    len: usize,
    overflow: bool,
}

impl Keyword {
    fn start(&mut self, b: u8) {
        self.len = 0;
        self.overflow = false;
        self.push(b);
    }

    fn push(&mut self, b: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
            self.len += 1;
        } else {
            self.overflow = true;
        }
    }

    fn get(&self) -> Option<&[u8]> {
        (!self.overflow).then_some(&self.buf[..self.len])
    }
}

/// What the names since the last `obj` say about the coming stream.
#[derive(Debug, Clone, Copy, Default)]
struct StreamDict {
    filter: bool,
    flate: bool,
    other_filter: bool,
    predictor: bool,
    objstm: bool,
    has_n: bool,
    opaque: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Handling {
    /// Raw bytes: long forbidden names only.
    #[default]
    Opaque,
    /// Unfiltered PDF syntax: every forbidden name.
    Text,
    /// `FlateDecode`: raw bytes as `Opaque`, inflated bytes as `Text`.
    Inflate { objstm: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum InflateState {
    #[default]
    Off,
    Running,
    Ended,
}

#[derive(Debug, Default)]
struct StreamScan {
    /// How much of `endstream` the last bytes match (they are held back meanwhile).
    matched: usize,
    handling: Handling,
    opaque: NameLexer,
    text: NameLexer,
    batch: Vec<u8>,
    inflate: InflateState,
}

impl StreamDict {
    fn note(&mut self, name: &[u8]) {
        match name {
            b"Filter" => self.filter = true,
            b"FlateDecode" | b"Fl" => self.flate = true,
            b"ASCIIHexDecode" | b"AHx" | b"ASCII85Decode" | b"A85" | b"LZWDecode" | b"LZW"
            | b"RunLengthDecode" | b"RL" | b"CCITTFaxDecode" | b"CCF" | b"JBIG2Decode"
            | b"DCTDecode" | b"DCT" | b"JPXDecode" | b"Crypt" => self.other_filter = true,
            b"Predictor" => self.predictor = true,
            b"ObjStm" | b"First" => self.objstm = true,
            b"N" => self.has_n = true,
            b"Image" | b"Width" | b"Height" | b"BitsPerComponent" | b"Length1" | b"Length2"
            | b"Length3" | b"Type1C" | b"CIDFontType0C" | b"OpenType" | b"XRef"
            | b"FunctionType" | b"HalftoneType" | b"EmbeddedFile" => self.opaque = true,
            _ => {}
        }
    }

    /// How the stream after this dictionary is read.
    fn handling(&self, other_budget_spent: bool) -> Result<Handling, Refusal> {
        if self.objstm {
            if self.other_filter || self.predictor || (self.filter && !self.flate) {
                return Err(Refusal::Damaged);
            }
            return Ok(if self.flate {
                Handling::Inflate { objstm: true }
            } else {
                Handling::Text
            });
        }
        if self.opaque || self.has_n || self.other_filter || self.predictor {
            Ok(Handling::Opaque)
        } else if self.flate {
            Ok(if other_budget_spent {
                Handling::Opaque
            } else {
                Handling::Inflate { objstm: false }
            })
        } else if self.filter {
            Ok(Handling::Opaque)
        } else {
            Ok(Handling::Text)
        }
    }
}

const ENDSTREAM: &[u8; 9] = b"endstream";
/// `ENDSTREAM_FAIL[i]`: the longest proper prefix of `ENDSTREAM[..=i]` that is also its
/// suffix (Knuth–Morris–Pratt), so that `endstrendstream` is still found.
const ENDSTREAM_FAIL: [usize; 9] = [0, 0, 0, 0, 0, 0, 1, 0, 0];

/// The next match length after `matched` bytes of `endstream` and then `b`.
fn endstream_step(mut matched: usize, b: u8) -> usize {
    loop {
        if ENDSTREAM[matched] == b {
            return matched + 1;
        }
        if matched == 0 {
            return 0;
        }
        matched = ENDSTREAM_FAIL[matched - 1];
    }
}

fn check_name(name: Name, with_js: bool) -> Result<(), Refusal> {
    match forbidden_name(name.bytes(), with_js) {
        Some(what) => Err(Refusal::ActiveContent { what }),
        None => Ok(()),
    }
}

/// The French description of a forbidden PDF name (decoded), if it is one. Names are
/// case-sensitive in PDF, so `/JSON` or `/javascript` are not these names.
fn forbidden_name(name: &[u8], with_js: bool) -> Option<&'static str> {
    match name {
        b"JavaScript" => Some(JAVASCRIPT),
        b"JS" if with_js => Some(JAVASCRIPT),
        b"Launch" => Some(LAUNCH),
        b"EmbeddedFile" | b"EmbeddedFiles" | b"FileAttachment" => Some(EMBEDDED_FILES),
        b"RichMedia" => Some(RICH_MEDIA),
        b"XFA" => Some(XFA_FORM),
        _ => None,
    }
}

impl PdfScan {
    fn new(budgets: Budgets) -> Self {
        PdfScan {
            mode: PdfMode::Raw,
            lex: Lex::Normal,
            keyword: Keyword::default(),
            after_dict: false,
            names: NameLexer::default(),
            markup: 0,
            dict: StreamDict::default(),
            stream: StreamScan::default(),
            inflater: None,
            out: Vec::new(),
            budgets,
            used_objstm: 0,
            used_other: 0,
        }
    }

    fn feed(&mut self, data: &[u8]) -> Result<(), Refusal> {
        for &b in data {
            self.byte(b)?;
        }
        // Inflate what this chunk brought, so that a refusal comes with its chunk.
        if self.mode == PdfMode::StreamData {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn finish(mut self, total: u64, last_eof: Option<u64>) -> Result<(), Refusal> {
        if self.mode != PdfMode::Raw {
            return Err(Refusal::Damaged);
        }
        if let Some(name) = self.names.flush() {
            check_name(name, true)?;
        }
        match last_eof {
            None => Err(Refusal::Damaged),
            Some(at) if total - at > PDF_EOF_TAIL => Err(Refusal::Polyglot),
            Some(_) => Ok(()),
        }
    }

    fn byte(&mut self, b: u8) -> Result<(), Refusal> {
        match self.mode {
            PdfMode::Raw => self.raw_byte(b),
            PdfMode::StreamSpaces => match b {
                b' ' | b'\t' => Ok(()),
                b'\r' => {
                    self.mode = PdfMode::StreamCr;
                    Ok(())
                }
                b'\n' => {
                    self.mode = PdfMode::StreamData;
                    Ok(())
                }
                _ => {
                    self.mode = PdfMode::StreamData;
                    self.data_byte(b)
                }
            },
            PdfMode::StreamCr => {
                self.mode = PdfMode::StreamData;
                if b == b'\n' {
                    Ok(())
                } else {
                    self.data_byte(b)
                }
            }
            PdfMode::StreamData => self.data_byte(b),
        }
    }

    fn raw_byte(&mut self, b: u8) -> Result<(), Refusal> {
        let automaton = markup_automaton();
        self.markup = automaton.step(self.markup, b);
        if automaton.matches(self.markup) & !MARKUP_PDF_HEADER != 0 {
            return Err(Refusal::Polyglot);
        }
        if let Some(name) = self.names.push(b) {
            check_name(name, true)?;
            self.dict.note(name.bytes());
        }
        self.lex_byte(b)
    }

    /// The tokenizer of the raw parts (see [`PdfScan`]).
    fn lex_byte(&mut self, b: u8) -> Result<(), Refusal> {
        loop {
            match self.lex {
                Lex::Normal => {
                    match b {
                        b'%' => self.lex = Lex::Comment,
                        b'(' => {
                            self.lex = Lex::Literal {
                                depth: 1,
                                escape: false,
                            };
                            self.after_dict = false;
                        }
                        b'<' => self.lex = Lex::Lt,
                        b'>' => self.lex = Lex::Gt,
                        b'/' => {
                            self.lex = Lex::Name;
                            self.after_dict = false;
                        }
                        b')' | b'[' | b']' | b'{' | b'}' => self.after_dict = false,
                        _ if is_pdf_whitespace(b) => {}
                        _ => {
                            self.lex = Lex::Regular;
                            self.keyword.start(b);
                        }
                    }
                    return Ok(());
                }
                Lex::Comment => {
                    if b == b'\r' || b == b'\n' {
                        self.lex = Lex::Normal;
                    }
                    return Ok(());
                }
                Lex::Literal { depth, escape } => {
                    self.lex = match b {
                        _ if escape => Lex::Literal {
                            depth,
                            escape: false,
                        },
                        b'\\' => Lex::Literal {
                            depth,
                            escape: true,
                        },
                        b'(' => Lex::Literal {
                            depth: depth.saturating_add(1),
                            escape: false,
                        },
                        b')' if depth <= 1 => Lex::Normal,
                        b')' => Lex::Literal {
                            depth: depth - 1,
                            escape: false,
                        },
                        _ => Lex::Literal {
                            depth,
                            escape: false,
                        },
                    };
                    return Ok(());
                }
                Lex::Hex => {
                    if b == b'>' {
                        self.lex = Lex::Normal;
                        self.after_dict = false;
                    }
                    return Ok(());
                }
                Lex::Lt => {
                    if b == b'<' {
                        self.lex = Lex::Normal;
                        self.after_dict = false;
                        return Ok(());
                    }
                    self.lex = Lex::Hex;
                }
                Lex::Gt => {
                    self.lex = Lex::Normal;
                    if b == b'>' {
                        self.after_dict = true;
                        return Ok(());
                    }
                    self.after_dict = false;
                }
                Lex::Name => {
                    if !is_pdf_terminator(b) {
                        return Ok(());
                    }
                    self.lex = Lex::Normal;
                }
                Lex::Regular => {
                    if !is_pdf_terminator(b) {
                        self.keyword.push(b);
                        return Ok(());
                    }
                    self.lex = Lex::Normal;
                    if self.end_keyword(b)? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Handles the regular token just ended by `b`; true if `b` was taken by a stream.
    fn end_keyword(&mut self, b: u8) -> Result<bool, Refusal> {
        let keyword = self.keyword;
        match keyword.get() {
            Some(b"obj" | b"endobj") => {
                self.dict = StreamDict::default();
                self.after_dict = false;
            }
            Some(b"stream") if self.after_dict => {
                self.begin_stream(b)?;
                return Ok(true);
            }
            _ => self.after_dict = false,
        }
        Ok(false)
    }

    /// Starts the data of a stream; `b` is the byte that ended the `stream` keyword.
    fn begin_stream(&mut self, b: u8) -> Result<(), Refusal> {
        if let Some(name) = self.names.flush() {
            check_name(name, true)?;
        }
        let handling = self.dict.handling(self.used_other >= self.budgets.other)?;
        self.markup = 0;
        self.stream.matched = 0;
        self.stream.handling = handling;
        self.stream.opaque = NameLexer::default();
        self.stream.text = NameLexer::default();
        self.stream.batch.clear();
        self.stream.inflate = InflateState::Off;
        if let Handling::Inflate { .. } = handling {
            match &mut self.inflater {
                Some(inflater) => inflater.reset(true),
                None => self.inflater = Some(Decompress::new(true)),
            }
            if self.out.is_empty() {
                self.out = vec![0; INFLATE_OUT];
            }
            if self.stream.batch.capacity() == 0 {
                self.stream.batch.reserve_exact(INFLATE_BATCH);
            }
            self.stream.inflate = InflateState::Running;
        }
        match b {
            b'\n' => self.mode = PdfMode::StreamData,
            b'\r' => self.mode = PdfMode::StreamCr,
            b' ' | b'\t' => self.mode = PdfMode::StreamSpaces,
            _ => {
                self.mode = PdfMode::StreamData;
                self.data_byte(b)?;
            }
        }
        Ok(())
    }

    /// One byte of stream data, or of the `endstream` that may be starting: the bytes that
    /// could begin `endstream` are held back and released once they cannot.
    fn data_byte(&mut self, b: u8) -> Result<(), Refusal> {
        let held = self.stream.matched;
        let matched = endstream_step(held, b);
        // The `held + 1` unreleased bytes are `ENDSTREAM[..held]` then `b`; all but the
        // last `matched` of them are now known to be data.
        let released = held + 1 - matched;
        for &byte in &ENDSTREAM[..released.min(held)] {
            self.stream_byte(byte)?;
        }
        if released > held {
            self.stream_byte(b)?;
        }
        self.stream.matched = matched;
        if matched == ENDSTREAM.len() {
            self.end_stream()?;
        }
        Ok(())
    }

    fn stream_byte(&mut self, b: u8) -> Result<(), Refusal> {
        if self.stream.handling == Handling::Text {
            if let Some(name) = self.stream.text.push(b) {
                check_name(name, true)?;
            }
            return Ok(());
        }
        if let Some(name) = self.stream.opaque.push(b) {
            check_name(name, false)?;
        }
        if self.stream.inflate == InflateState::Running {
            self.stream.batch.push(b);
            if self.stream.batch.len() >= INFLATE_BATCH {
                self.flush_batch()?;
            }
        }
        Ok(())
    }

    fn end_stream(&mut self) -> Result<(), Refusal> {
        self.flush_batch()?;
        if let Some(name) = self.stream.opaque.flush() {
            check_name(name, false)?;
        }
        if let Some(name) = self.stream.text.flush() {
            check_name(name, true)?;
        }
        self.stream.inflate = InflateState::Off;
        self.mode = PdfMode::Raw;
        self.lex = Lex::Normal;
        self.after_dict = false;
        self.dict = StreamDict::default();
        self.markup = 0;
        Ok(())
    }

    fn flush_batch(&mut self) -> Result<(), Refusal> {
        if self.stream.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.stream.batch);
        let result = self.inflate(&batch);
        self.stream.batch = batch;
        self.stream.batch.clear();
        result
    }

    /// Inflates compressed stream bytes and checks every name of the output, within the
    /// budget of the stream's kind.
    fn inflate(&mut self, mut input: &[u8]) -> Result<(), Refusal> {
        let Handling::Inflate { objstm } = self.stream.handling else {
            return Ok(());
        };
        let Some(inflater) = self.inflater.as_mut() else {
            return Ok(());
        };
        while self.stream.inflate == InflateState::Running {
            let (before_in, before_out) = (inflater.total_in(), inflater.total_out());
            let result = inflater.decompress(input, &mut self.out, FlushDecompress::None);
            let consumed = usize::try_from(inflater.total_in() - before_in)
                .map_or(input.len(), |n| n.min(input.len()));
            let produced = usize::try_from(inflater.total_out() - before_out)
                .map_or(self.out.len(), |n| n.min(self.out.len()));
            input = &input[consumed..];

            let (used, budget) = if objstm {
                (&mut self.used_objstm, self.budgets.objstm)
            } else {
                (&mut self.used_other, self.budgets.other)
            };
            let room = budget.saturating_sub(*used);
            let scanned = usize::try_from(room).map_or(produced, |room| room.min(produced));
            *used += scanned as u64;
            for &b in &self.out[..scanned] {
                if let Some(name) = self.stream.text.push(b) {
                    check_name(name, true)?;
                }
            }
            if scanned < produced {
                if objstm {
                    return Err(Refusal::Damaged);
                }
                self.stream.inflate = InflateState::Ended;
                break;
            }
            match result {
                Err(_) if objstm => return Err(Refusal::Damaged),
                Err(_) | Ok(Status::StreamEnd) => self.stream.inflate = InflateState::Ended,
                Ok(Status::Ok | Status::BufError) => {
                    let starved = input.is_empty() && produced < self.out.len();
                    if starved || (consumed == 0 && produced == 0) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// PDF whitespace: NUL, TAB, LF, FF, CR, space.
fn is_pdf_whitespace(b: u8) -> bool {
    matches!(b, 0x00 | 0x09 | 0x0A | 0x0C | 0x0D | 0x20)
}

/// Bytes that end a PDF name or keyword: whitespace and the delimiters `()<>[]{}/%`.
fn is_pdf_terminator(b: u8) -> bool {
    is_pdf_whitespace(b)
        || matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
        )
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Reads PDF names (`/Name`) out of a byte stream, decoding `#xx` escapes.
///
/// A `#` not followed by two hex digits is kept as it is (as readers do). Names longer
/// than [`NAME_MAX`] bytes are dropped: none of the names this module looks for is.
#[derive(Debug, Clone, Copy, Default)]
struct NameLexer {
    active: bool,
    overflow: bool,
    len: usize,
    buf: [u8; NAME_MAX],
    escape: Escape,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    Hash,
    Digit(u8),
}

/// A decoded name.
#[derive(Debug, Clone, Copy)]
struct Name {
    buf: [u8; NAME_MAX],
    len: usize,
}

impl Name {
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl NameLexer {
    /// Feeds one byte; returns the name this byte ended, if any.
    fn push(&mut self, b: u8) -> Option<Name> {
        if !self.active {
            if b == b'/' {
                self.begin();
            }
            return None;
        }
        match self.escape {
            Escape::None => {}
            Escape::Hash => {
                self.escape = Escape::None;
                if hex_value(b).is_some() {
                    self.escape = Escape::Digit(b);
                    return None;
                }
                self.add(b'#');
            }
            Escape::Digit(first) => {
                self.escape = Escape::None;
                if let (Some(high), Some(low)) = (hex_value(first), hex_value(b)) {
                    self.add((high << 4) | low);
                    return None;
                }
                self.add(b'#');
                self.add(first);
            }
        }
        if is_pdf_terminator(b) {
            let name = self.end();
            if b == b'/' {
                self.begin();
            }
            return name;
        }
        if b == b'#' {
            self.escape = Escape::Hash;
        } else {
            self.add(b);
        }
        None
    }

    /// Ends the name in progress at the end of the data.
    fn flush(&mut self) -> Option<Name> {
        if !self.active {
            return None;
        }
        match self.escape {
            Escape::None => {}
            Escape::Hash => self.add(b'#'),
            Escape::Digit(first) => {
                self.add(b'#');
                self.add(first);
            }
        }
        self.end()
    }

    fn begin(&mut self) {
        *self = NameLexer {
            active: true,
            ..NameLexer::default()
        };
    }

    fn add(&mut self, b: u8) {
        if self.len < NAME_MAX {
            self.buf[self.len] = b;
            self.len += 1;
        } else {
            self.overflow = true;
        }
    }

    fn end(&mut self) -> Option<Name> {
        let name = (!self.overflow).then_some(Name {
            buf: self.buf,
            len: self.len,
        });
        *self = NameLexer::default();
        name
    }
}

// ---------------------------------------------------------------------------------------
// Naming refused files
// ---------------------------------------------------------------------------------------

const OFFICE: &str = "un document Office (Word, Excel ou PowerPoint)";
const EXECUTABLE: &str = "un programme exécutable";
const HTML_PAGE: &str = "une page HTML";
const SVG_IMAGE: &str = "une image SVG";

/// The refusal of a file that does not start with an accepted signature.
///
/// `infer` checks fewer bytes than [`FileKind::from_signature`] for PNG (4), WebP (bytes
/// 8 to 12) and PDF (`%PDF`): a file it names so is a damaged file of an accepted kind,
/// not a kind to refuse.
fn refusal_for(head: &[u8]) -> Refusal {
    let near_accepted = matches!(
        infer::get(head).map(|kind| kind.extension()),
        Some("jpg" | "png" | "webp" | "pdf")
    );
    if near_accepted && describe_markup(head).is_none() {
        Refusal::Damaged
    } else {
        Refusal::NotAllowed {
            detected: describe(head),
        }
    }
}

/// What a refused file seems to be, in French with its article, from its first bytes.
fn describe(head: &[u8]) -> Option<String> {
    if let Some(markup) = describe_markup(head) {
        return Some(markup.to_owned());
    }
    if head.starts_with(b"#!") {
        return Some("un script exécutable".to_owned());
    }
    if head.starts_with(b"MZ") {
        return Some(EXECUTABLE.to_owned());
    }
    if let Some(name) = infer::get(head).and_then(|kind| french_name(kind.extension(), head)) {
        return Some(name.to_owned());
    }
    if head.starts_with(&OLE_SIGNATURE) {
        return Some(OFFICE.to_owned());
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(zip_name(head).to_owned());
    }
    if looks_like_text(head) {
        return Some("un fichier texte".to_owned());
    }
    None
}

/// HTML, SVG and XML, after a byte-order mark (UTF-8 or UTF-16) and whitespace.
fn describe_markup(head: &[u8]) -> Option<&'static str> {
    let text = ascii_view(head);
    let start = text
        .iter()
        .position(|b| !matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | b' '))?;
    let text = text[start..].to_ascii_lowercase();
    if !text.starts_with(b"<") {
        return None;
    }
    let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    if text.starts_with(b"<!doctype svg") || has(b"<svg") {
        Some(SVG_IMAGE)
    } else if text.starts_with(b"<!doctype html")
        || [&b"<html"[..], b"<head", b"<body", b"<script", b"<iframe"]
            .iter()
            .any(|tag| has(tag))
    {
        Some(HTML_PAGE)
    } else if text.starts_with(b"<?xml") {
        Some("un fichier XML")
    } else {
        None
    }
}

/// The head without a byte-order mark, UTF-16 reduced to its ASCII characters.
fn ascii_view(head: &[u8]) -> Cow<'_, [u8]> {
    if let Some(rest) = head.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Cow::Borrowed(rest)
    } else if let Some(rest) = head.strip_prefix(&[0xFF, 0xFE]) {
        Cow::Owned(
            rest.chunks_exact(2)
                .filter(|unit| unit[1] == 0)
                .map(|unit| unit[0])
                .collect(),
        )
    } else if let Some(rest) = head.strip_prefix(&[0xFE, 0xFF]) {
        Cow::Owned(
            rest.chunks_exact(2)
                .filter(|unit| unit[0] == 0)
                .map(|unit| unit[1])
                .collect(),
        )
    } else {
        Cow::Borrowed(head)
    }
}

/// The French name of an `infer` type, by its extension.
fn french_name(extension: &str, head: &[u8]) -> Option<&'static str> {
    Some(match extension {
        "wasm" | "elf" | "exe" | "dll" | "class" | "bc" | "mach" | "dex" | "dey" | "obj" => {
            EXECUTABLE
        }
        "sh" => "un script exécutable",
        "html" => HTML_PAGE,
        "xml" => "un fichier XML",
        "doc" | "docx" => "un document Word",
        "xls" | "xlsx" => "un classeur Excel",
        "ppt" | "pptx" => "une présentation PowerPoint",
        "odt" => "un document OpenDocument (LibreOffice Writer)",
        "ods" => "un classeur OpenDocument (LibreOffice Calc)",
        "odp" => "une présentation OpenDocument (LibreOffice Impress)",
        "rtf" => "un document RTF",
        "msi" => OFFICE,
        "zip" => zip_name(head),
        "rar" => "une archive RAR",
        "7z" => "une archive 7-Zip",
        "gz" => "une archive GZIP",
        "tar" => "une archive TAR",
        "bz2" | "bz3" | "xz" | "zst" | "lz4" | "lz" | "Z" => "un fichier compressé",
        "cab" | "cpio" | "ar" | "par2" => "une archive",
        "deb" | "rpm" | "crx" => "un paquet logiciel",
        "epub" | "mobi" => "un livre numérique",
        "swf" => "une animation Flash",
        "ps" => "un fichier PostScript",
        "sqlite" => "une base de données",
        "der" | "pem" => "un certificat",
        "qcow2" => "une image disque",
        "nes" => "un fichier de jeu",
        "eot" | "woff" | "woff2" | "ttf" | "otf" => "une police de caractères",
        "gif" => "une image GIF",
        "tif" => "une image TIFF",
        "bmp" => "une image BMP",
        "heif" => "une image HEIC",
        "avif" => "une image AVIF",
        "jxl" => "une image JPEG XL",
        "jp2" => "une image JPEG 2000",
        "jxr" => "une image JPEG XR",
        "psd" => "une image Photoshop (PSD)",
        "cr2" => "une photo RAW",
        "ico" => "une icône",
        "ora" => "une image OpenRaster",
        "djvu" => "un document DjVu",
        "dwg" => "un plan AutoCAD (DWG)",
        "dcm" => "une image médicale (DICOM)",
        "mp4" | "m4v" | "mkv" | "webm" | "mov" | "avi" | "wmv" | "mpg" | "flv" => "une vidéo",
        "midi" | "mp3" | "m4a" | "opus" | "ogg" | "flac" | "wav" | "amr" | "aac" | "aiff"
        | "dsf" | "ape" => "un fichier audio",
        _ => return None,
    })
}

/// A ZIP file, told apart by the names of its first entries.
fn zip_name(head: &[u8]) -> &'static str {
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"word/") {
        "un document Word"
    } else if has(b"xl/") {
        "un classeur Excel"
    } else if has(b"ppt/") {
        "une présentation PowerPoint"
    } else if has(b"application/vnd.oasis.opendocument") {
        "un document OpenDocument (LibreOffice)"
    } else if has(b"AndroidManifest.xml") {
        "une application Android"
    } else if has(b"META-INF/MANIFEST.MF") {
        "un programme Java"
    } else {
        "une archive ZIP"
    }
}

/// UTF-8 text (perhaps cut in the middle of a character) without control characters.
fn looks_like_text(head: &[u8]) -> bool {
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    };
    utf8 && head
        .iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

// ---------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------

/// The file name as shown in a message: its last path component, without control or
/// bidirectional-formatting characters (which can disguise `fdp.exe` as `exe.pdf`), cut
/// to 80 characters.
fn shown_name(file_name: &str) -> String {
    const MAX_CHARS: usize = 80;
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let cleaned: String = base
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.chars().count() <= MAX_CHARS {
        cleaned.to_owned()
    } else {
        let mut cut: String = cleaned.chars().take(MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// « 20 Mo », « 1,5 Mo », « 350 ko », « 10 octets » (1 Mo = 1 000 000 bytes).
fn format_size(bytes: u64) -> String {
    let (unit, size) = if bytes >= 1_000_000 {
        ("Mo", 1_000_000u128)
    } else if bytes >= 1_000 {
        ("ko", 1_000u128)
    } else if bytes > 1 {
        return format!("{bytes} octets");
    } else {
        return format!("{bytes} octet");
    };
    let tenths = (u128::from(bytes) * 10 + size / 2) / size;
    if tenths % 10 == 0 {
        format!("{} {unit}", tenths / 10)
    } else {
        format!("{},{} {unit}", tenths / 10, tenths % 10)
    }
}

// ---------------------------------------------------------------------------------------
// Samples for tests
// ---------------------------------------------------------------------------------------

/// A small valid one-page PDF (A4, Helvetica, « Justificatif de test ») with a correct
/// cross-reference table, that `pdftotext` and browsers open. Accepted by [`Scanner`].
#[cfg(any(test, feature = "ssr"))]
pub fn sample_pdf() -> Vec<u8> {
    let content = b"BT\n/F1 24 Tf\n72 760 Td\n(Justificatif de test) Tj\nET\n";
    let mut contents = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
    contents.extend_from_slice(content);
    contents.extend_from_slice(b"\nendstream");
    build_pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
          /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_vec(),
        contents,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ])
}

/// A valid 1×1 PNG (one blue pixel), with correct CRCs. Accepted by [`Scanner`].
#[cfg(any(test, feature = "ssr"))]
pub fn sample_png() -> Vec<u8> {
    let mut png = PNG_SIGNATURE.to_vec();
    // Width 1, height 1, 8 bits, RGB, deflate, no filter method, no interlace.
    png_chunk(&mut png, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    // One scanline: filter type 0, then R G B.
    png_chunk(&mut png, b"IDAT", &zlib_stored(&[0, 0x1F, 0x5F, 0xBF]));
    png_chunk(&mut png, b"IEND", &[]);
    png
}

/// A PDF 1.7 file made of `objects` (numbered from 1, the first one the catalog), with a
/// cross-reference table whose offsets are right.
#[cfg(any(test, feature = "ssr"))]
fn build_pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (number, body) in (1..).zip(objects) {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// Appends a PNG chunk with its length and CRC.
#[cfg(any(test, feature = "ssr"))]
fn png_chunk(png: &mut Vec<u8>, chunk_type: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    png.extend_from_slice(chunk_type);
    png.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(chunk_type);
    crc.update(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}

/// `data` (at most 65 535 bytes) as a zlib stream of one stored (uncompressed) block.
#[cfg(any(test, feature = "ssr"))]
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let length = u16::try_from(data.len()).unwrap_or(u16::MAX);
    let data = &data[..usize::from(length)];
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&(!length).to_le_bytes());
    out.extend_from_slice(data);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    const NAME: &str = "facture.pdf";

    fn scan_whole(bytes: &[u8], max: u64) -> Result<FileKind, Refusal> {
        let mut scanner = Scanner::new(max);
        scanner.feed(bytes)?;
        scanner.finish()
    }

    fn scan_in_chunks(bytes: &[u8], size: usize, max: u64) -> Result<FileKind, Refusal> {
        let mut scanner = Scanner::new(max);
        for chunk in bytes.chunks(size) {
            scanner.feed(chunk)?;
            // Empty chunks change nothing.
            scanner.feed(&[])?;
        }
        scanner.finish()
    }

    /// The verdict on `bytes`, checked to be the same in one chunk, one byte at a time,
    /// and in chunks of other sizes.
    fn verdict_with(bytes: &[u8], max: u64) -> Result<FileKind, Refusal> {
        let whole = scan_whole(bytes, max);
        for size in [1, 2, 3, 7, 13, 64, 4096, 65_536] {
            assert_eq!(
                scan_in_chunks(bytes, size, max),
                whole,
                "chunks of {size} bytes disagree with one chunk"
            );
        }
        whole
    }

    fn verdict(bytes: &[u8]) -> Result<FileKind, Refusal> {
        verdict_with(bytes, DEFAULT_MAX_BYTES)
    }

    fn not_allowed<T>(detected: &str) -> Result<T, Refusal> {
        Err(Refusal::NotAllowed {
            detected: Some(detected.to_owned()),
        })
    }

    fn active<T>(what: &'static str) -> Result<T, Refusal> {
        Err(Refusal::ActiveContent { what })
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    /// A stream object body: `dict` (without `/Length`) then `data`.
    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        body
    }

    /// A one-page PDF whose catalog carries `catalog_extra`, plus `extra` objects (6, 7…).
    fn pdf_with(catalog_extra: &str, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut objects = vec![
            format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>").into_bytes(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
              /Resources << /Font << /F1 5 0 R >> >> >>"
                .to_vec(),
            stream("", b"BT /F1 12 Tf 72 760 Td (Bonjour) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        ];
        objects.extend_from_slice(extra);
        build_pdf(&objects)
    }

    /// A stored (uncompressed) ZIP archive holding `entries`.
    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let mut crc = Crc::new();
            crc.update(data);
            let offset = out.len() as u32;
            let mut common = Vec::new();
            common.extend_from_slice(&20u16.to_le_bytes()); // version needed
            common.extend_from_slice(&0u16.to_le_bytes()); // flags
            common.extend_from_slice(&0u16.to_le_bytes()); // stored
            common.extend_from_slice(&0u32.to_le_bytes()); // time and date
            common.extend_from_slice(&crc.sum().to_le_bytes());
            common.extend_from_slice(&(data.len() as u32).to_le_bytes());
            common.extend_from_slice(&(data.len() as u32).to_le_bytes());
            common.extend_from_slice(&(name.len() as u16).to_le_bytes());
            common.extend_from_slice(&0u16.to_le_bytes()); // extra length
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&common);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(b"PK\x01\x02");
            central.extend_from_slice(&20u16.to_le_bytes()); // version made by
            central.extend_from_slice(&common);
            central.extend_from_slice(&[0; 8]); // comment, disk, attributes
            central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06");
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// A minimal JPEG as far as the structural checks go: SOI, APP0 (JFIF), `segments`,
    /// a few scan bytes, EOI.
    fn jpeg_with(segments: &[u8]) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        jpeg.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
        jpeg.extend_from_slice(segments);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        jpeg.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78]);
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg
    }

    fn jpeg() -> Vec<u8> {
        jpeg_with(&[])
    }

    /// A JPEG comment segment.
    fn com(text: &[u8]) -> Vec<u8> {
        let mut segment = vec![0xFF, 0xFE];
        segment.extend_from_slice(&((text.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(text);
        segment
    }

    /// A WebP made of a `VP8L` chunk (the bitstream is not decoded by the checks), whose
    /// RIFF size is off by `size_error`.
    fn webp(size_error: i64) -> Vec<u8> {
        let payload = [
            0x2F, 0x00, 0x00, 0x00, 0x00, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88,
        ];
        let mut body = b"WEBPVP8L".to_vec();
        body.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        body.extend_from_slice(&payload);
        body.push(0); // padding to an even size
        let size = (body.len() as i64 + size_error) as u32;
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&size.to_le_bytes());
        file.extend_from_slice(&body);
        file
    }

    fn with_tail(mut file: Vec<u8>, tail: &[u8]) -> Vec<u8> {
        file.extend_from_slice(tail);
        file
    }

    // --- PDF ---------------------------------------------------------------------------

    #[test]
    fn sample_pdf_is_accepted() {
        assert_eq!(verdict(&sample_pdf()), Ok(FileKind::Pdf));
        assert_eq!(verdict(&pdf_with("", &[])), Ok(FileKind::Pdf));
    }

    #[test]
    fn sample_pdf_has_a_correct_cross_reference_table() {
        let pdf = sample_pdf();
        let find = |needle: &[u8], from: usize| {
            pdf[from..]
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|at| from + at)
        };
        let number = |at: usize, digits: usize| -> usize {
            std::str::from_utf8(&pdf[at..at + digits])
                .unwrap()
                .parse()
                .unwrap()
        };
        // The binary comment on line 2 makes the file non-UTF-8: work on bytes.
        assert!(std::str::from_utf8(&pdf).is_err());
        let startxref = find(b"startxref\n", 0).unwrap() + 10;
        let digits = pdf[startxref..].iter().position(|&b| b == b'\n').unwrap();
        let xref = number(startxref, digits);
        assert!(pdf[xref..].starts_with(b"xref\n0 6\n0000000000 65535 f \n"));
        for object in 1..=5 {
            // Each entry is exactly 20 bytes: 10 digits, space, 5 digits, space, n, space, LF.
            let entry = xref + 9 + 20 * object;
            assert_eq!(&pdf[entry + 10..entry + 20], b" 00000 n \n");
            let offset = number(entry, 10);
            assert!(pdf[offset..].starts_with(format!("{object} 0 obj\n").as_bytes()));
        }
        let length_at = find(b"/Length ", 0).unwrap() + 8;
        let digits = pdf[length_at..].iter().position(|&b| b == b' ').unwrap();
        let length = number(length_at, digits);
        let data = find(b"stream\n", length_at).unwrap() + 7;
        assert_eq!(&pdf[data + length..data + length + 10], b"\nendstream");
        assert!(find(b"(Justificatif de test) Tj", 0).is_some());
        assert!(pdf.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn pdf_with_javascript_is_refused() {
        let pdf = pdf_with(
            "/OpenAction 6 0 R",
            &[b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>".to_vec()],
        );
        assert_eq!(verdict(&pdf), active(JAVASCRIPT));
    }

    #[test]
    fn pdf_with_hex_escaped_javascript_is_refused() {
        let pdf = pdf_with(
            "/OpenAction 6 0 R",
            &[b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>".to_vec()],
        );
        assert!(!contains(&pdf, b"/JavaScript") && !contains(&pdf, b"/JS"));
        assert_eq!(verdict(&pdf), active(JAVASCRIPT));
        // Only `/JS`, spelled `/#4A#53`, with no space before its value.
        let pdf = pdf_with("/OpenAction << /#4A#53(app.alert\\(1\\)) >>", &[]);
        assert_eq!(verdict(&pdf), active(JAVASCRIPT));
    }

    #[test]
    fn pdf_with_js_only_inside_a_compressed_object_stream_is_refused() {
        let objects = b"6 0 <</JS (app.alert\\(1\\))>>";
        let compressed = zlib(objects);
        let pdf = pdf_with(
            "/OpenAction 6 0 R",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                &compressed,
            )],
        );
        assert!(!contains(&pdf, b"/JS"), "the raw file does not show /JS");
        assert_eq!(verdict(&pdf), active(JAVASCRIPT));

        // Without `/Type /ObjStm`: `/First` is enough to treat it as an object stream.
        let pdf = pdf_with(
            "",
            &[stream("/N 1 /First 4 /Filter [/FlateDecode]", &compressed)],
        );
        assert_eq!(verdict(&pdf), active(JAVASCRIPT));

        // Unfiltered object stream.
        let pdf = pdf_with("", &[stream("/Type /ObjStm /N 1 /First 4", objects)]);
        assert_eq!(verdict(&pdf), active(JAVASCRIPT));
    }

    #[test]
    fn object_streams_that_cannot_be_checked_are_refused() {
        let objects = b"6 0 <</JS (app.alert\\(1\\))>>";
        let hex: String = zlib(objects).iter().map(|b| format!("{b:02X}")).collect();
        let chained = pdf_with(
            "",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter [/ASCIIHexDecode /FlateDecode]",
                format!("{hex}>").as_bytes(),
            )],
        );
        assert_eq!(verdict(&chained), Err(Refusal::Damaged));

        let predictor = pdf_with(
            "",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4 >>",
                &zlib(objects),
            )],
        );
        assert_eq!(verdict(&predictor), Err(Refusal::Damaged));

        let indirect = pdf_with(
            "",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter 9 0 R",
                &zlib(objects),
            )],
        );
        assert_eq!(verdict(&indirect), Err(Refusal::Damaged));

        // Encrypted (or corrupt) data does not inflate.
        let garbage: Vec<u8> = (0..200u32).map(|i| (i * 73 + 41) as u8).collect();
        let corrupt = pdf_with(
            "",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                &garbage,
            )],
        );
        assert_eq!(verdict(&corrupt), Err(Refusal::Damaged));
    }

    #[test]
    fn compressed_content_streams_are_scanned_and_corrupt_ones_skipped() {
        let content = pdf_with(
            "",
            &[stream(
                "/Filter /FlateDecode",
                &zlib(b"q /Launch gs Q << /S /JS >>"),
            )],
        );
        assert_eq!(verdict(&content), active(LAUNCH));

        let garbage: Vec<u8> = (0..300u32).map(|i| (i * 89 + 7) as u8).collect();
        let corrupt = pdf_with("", &[stream("/Filter /FlateDecode", &garbage)]);
        assert_eq!(verdict(&corrupt), Ok(FileKind::Pdf));
    }

    #[test]
    fn pixel_and_font_data_is_not_read_as_pdf_syntax() {
        // Inflated image samples that happen to contain "/JS ": not a name.
        let samples = zlib(&b"\x00\x01/JS \x02\x03".repeat(50));
        let image = pdf_with(
            "",
            &[stream(
                "/Type /XObject /Subtype /Image /Width 10 /Height 10 /ColorSpace /DeviceRGB \
                 /BitsPerComponent 8 /Filter /FlateDecode",
                &samples,
            )],
        );
        assert_eq!(verdict(&image), Ok(FileKind::Pdf));

        let font = pdf_with("", &[stream("/Length1 600 /Filter /FlateDecode", &samples)]);
        assert_eq!(verdict(&font), Ok(FileKind::Pdf));

        // Raw JPEG data with "/JS " in it.
        let jpeg_data = with_tail(jpeg(), b"/JS \xFF\xD9");
        let dct = pdf_with(
            "",
            &[stream(
                "/Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode",
                &jpeg_data,
            )],
        );
        assert_eq!(verdict(&dct), Ok(FileKind::Pdf));

        // But a long forbidden name in raw stream bytes is still refused (readers that
        // rebuild a broken file can find objects there).
        let hidden = with_tail(jpeg(), b"7 0 obj << /S /Launch /F (cmd.exe) >> endobj");
        let dct = pdf_with("", &[stream("/Subtype /Image /Filter /DCTDecode", &hidden)]);
        assert_eq!(verdict(&dct), active(LAUNCH));
    }

    #[test]
    fn pdf_names_that_only_look_forbidden_are_accepted() {
        let pdf = pdf_with(
            "/PageMode /UseNone /JSON (x) /JavaScripts 1 /Launcher 2 /xfa 3",
            &[],
        );
        assert_eq!(verdict(&pdf), Ok(FileKind::Pdf));
    }

    #[test]
    fn pdf_with_launch_embedded_files_and_others_is_refused() {
        let launch = pdf_with("/OpenAction << /S /Launch /F (cmd.exe) >>", &[]);
        assert_eq!(verdict(&launch), active(LAUNCH));

        let embedded = pdf_with(
            "/Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >>",
            &[b"<< /Type /Filespec /F (a.exe) >>".to_vec()],
        );
        assert_eq!(verdict(&embedded), active(EMBEDDED_FILES));

        let file = pdf_with("", &[stream("/Type /EmbeddedFile", b"MZ")]);
        assert_eq!(verdict(&file), active(EMBEDDED_FILES));

        let attachment = pdf_with(
            "",
            &[b"<< /Type /Annot /Subtype /FileAttachment >>".to_vec()],
        );
        assert_eq!(verdict(&attachment), active(EMBEDDED_FILES));

        let rich = pdf_with("", &[b"<< /Type /Annot /Subtype /RichMedia >>".to_vec()]);
        assert_eq!(verdict(&rich), active(RICH_MEDIA));

        let xfa = pdf_with("/AcroForm << /Fields [] /XFA 6 0 R >>", &[]);
        assert_eq!(verdict(&xfa), active(XFA_FORM));
    }

    #[test]
    fn a_stream_keyword_inside_a_string_or_comment_hides_nothing() {
        // If the scanner believed an image stream (`/Filter /DCTDecode` said so) started
        // here, the /JS after it would be read as opaque stream data, where 3-byte names
        // are not looked for.
        let string = pdf_with(
            "/Filter /DCTDecode /Title (>> stream\n) /OpenAction << /JS (app.alert\\(1\\)) >> \
             /Subject (endstream)",
            &[],
        );
        assert_eq!(verdict(&string), active(JAVASCRIPT));

        let comment = pdf_with(
            "/Filter /DCTDecode %>> stream\n /OpenAction << /JS (app.alert\\(1\\)) >> \
             %endstream\n",
            &[],
        );
        assert_eq!(verdict(&comment), active(JAVASCRIPT));

        // Nor does a `stream` token that does not follow a dictionary's `>>`.
        let bare = pdf_with(
            "/Filter /DCTDecode /Marker stream\n /OpenAction << /JS (app.alert\\(1\\)) >> \
             /Subject endstream",
            &[],
        );
        assert_eq!(verdict(&bare), active(JAVASCRIPT));
    }

    #[test]
    fn pdf_polyglots_and_damage_are_refused() {
        let html = pdf_with("/Title (<script>alert\\(1\\)</script>)", &[]);
        assert_eq!(verdict(&html), Err(Refusal::Polyglot));

        let archive = with_tail(sample_pdf(), &zip(&[("a.txt", b"hello")]));
        assert_eq!(verdict(&archive), Err(Refusal::Polyglot));

        let appended_html = with_tail(sample_pdf(), b"<html><body>x</body></html>");
        assert_eq!(verdict(&appended_html), Err(Refusal::Polyglot));

        let appended = with_tail(sample_pdf(), &[b'x'; 3000]);
        assert_eq!(verdict(&appended), Err(Refusal::Polyglot));

        let mut truncated = sample_pdf();
        truncated.truncate(truncated.len() - 7);
        assert_eq!(verdict(&truncated), Err(Refusal::Damaged));

        let unterminated = b"%PDF-1.7\n1 0 obj << /Length 99 >>\nstream\nabc\n%%EOF\n";
        assert_eq!(verdict(unterminated), Err(Refusal::Damaged));

        // A bare header.
        assert_eq!(verdict(b"%PDF-"), Err(Refusal::Damaged));
    }

    #[test]
    fn inflating_stops_at_the_budget() {
        let bomb = zlib(&vec![b' '; 3 << 20]);
        let small = Budgets {
            objstm: 1 << 20,
            other: 1 << 20,
        };
        let scan = |pdf: &[u8]| {
            let mut scanner = Scanner::new(DEFAULT_MAX_BYTES);
            scanner.budgets = small;
            scanner.feed(pdf).and_then(|()| scanner.finish())
        };

        // Content streams past the budget are skipped…
        let mut late = b" ".repeat(2 << 20);
        late.extend_from_slice(b"/Launch");
        let content = pdf_with(
            "",
            &[
                stream("/Filter /FlateDecode", &bomb),
                stream("/Filter /FlateDecode", &zlib(&late)),
            ],
        );
        assert_eq!(scan(&content), Ok(FileKind::Pdf));
        // …but object streams still have their own budget…
        let objects = pdf_with(
            "",
            &[
                stream("/Filter /FlateDecode", &bomb),
                stream(
                    "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                    &zlib(b"6 0 <</JS 1>>"),
                ),
            ],
        );
        assert_eq!(scan(&objects), active(JAVASCRIPT));
        // …and an object stream past it is refused.
        let objstm_bomb = pdf_with(
            "",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                &bomb,
            )],
        );
        assert_eq!(scan(&objstm_bomb), Err(Refusal::Damaged));
    }

    // --- PNG ---------------------------------------------------------------------------

    #[test]
    fn sample_png_is_accepted() {
        assert_eq!(verdict(&sample_png()), Ok(FileKind::Png));
    }

    #[test]
    fn png_with_appended_zip_or_html_is_refused() {
        let archive = with_tail(
            sample_png(),
            &zip(&[("payload.class", b"\xCA\xFE\xBA\xBE")]),
        );
        assert_eq!(verdict(&archive), Err(Refusal::Polyglot));

        let html = with_tail(sample_png(), b"<html><script>alert(1)</script></html>");
        assert_eq!(verdict(&html), Err(Refusal::Polyglot));

        let one_byte = with_tail(sample_png(), b"\n");
        assert_eq!(verdict(&one_byte), Err(Refusal::Polyglot));
    }

    /// The sample PNG with an extra chunk before IEND.
    fn png_with_chunk(chunk_type: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut png = sample_png();
        png.truncate(png.len() - 12);
        png_chunk(&mut png, chunk_type, data);
        png_chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn png_hiding_markup_or_an_archive_in_a_chunk_is_refused() {
        let svg = png_with_chunk(b"tEXt", b"Comment\0<SVG onload=alert(1)>");
        assert_eq!(verdict(&svg), Err(Refusal::Polyglot));

        let php = png_with_chunk(b"tEXt", b"Comment\0<?PHP system($_GET[0]); ?>");
        assert_eq!(verdict(&php), Err(Refusal::Polyglot));

        let archive = png_with_chunk(b"prVt", &zip(&[("a.js", b"alert(1)")]));
        assert_eq!(verdict(&archive), Err(Refusal::Polyglot));

        // `<svgz` is no tag: accepted.
        let harmless = png_with_chunk(b"tEXt", b"Comment\0file.<svgz");
        assert_eq!(verdict(&harmless), Ok(FileKind::Png));
    }

    #[test]
    fn damaged_pngs_are_refused() {
        let mut bad_crc = sample_png();
        let last = bad_crc.len() - 13;
        bad_crc[last] ^= 1;
        assert_eq!(verdict(&bad_crc), Err(Refusal::Damaged));

        let truncated = &sample_png()[..40];
        assert_eq!(verdict(truncated), Err(Refusal::Damaged));

        let mut no_ihdr = PNG_SIGNATURE.to_vec();
        png_chunk(&mut no_ihdr, b"IDAT", &zlib_stored(&[0, 0, 0, 0]));
        png_chunk(&mut no_ihdr, b"IEND", &[]);
        assert_eq!(verdict(&no_ihdr), Err(Refusal::Damaged));

        assert_eq!(verdict(&PNG_SIGNATURE), Err(Refusal::Damaged));
    }

    // --- JPEG --------------------------------------------------------------------------

    #[test]
    fn jpeg_is_accepted_with_a_little_padding() {
        assert_eq!(verdict(&jpeg()), Ok(FileKind::Jpeg));
        assert_eq!(verdict(&with_tail(jpeg(), b"\r\n\0\0")), Ok(FileKind::Jpeg));
        let thumbnail = jpeg_with(&com(b"\xFF\xD8\xFF\xD9 thumbnail"));
        assert_eq!(verdict(&thumbnail), Ok(FileKind::Jpeg));
    }

    #[test]
    fn jpeg_with_a_script_in_a_comment_is_refused() {
        let script = jpeg_with(&com(b"<script>alert(1)</script>"));
        assert_eq!(verdict(&script), Err(Refusal::Polyglot));

        let pdf = jpeg_with(&com(b"%PDF-1.4 1 0 obj"));
        assert_eq!(verdict(&pdf), Err(Refusal::Polyglot));
    }

    #[test]
    fn jpeg_with_data_after_the_end_is_refused() {
        let archive = with_tail(jpeg(), &zip(&[("Exploit.class", b"\xCA\xFE\xBA\xBE")]));
        assert_eq!(verdict(&archive), Err(Refusal::Polyglot));

        let text = with_tail(jpeg(), b"hello");
        assert_eq!(verdict(&text), Err(Refusal::Polyglot));

        let long_padding = with_tail(jpeg(), &[0; 17]);
        assert_eq!(verdict(&long_padding), Err(Refusal::Polyglot));

        let mut no_end = jpeg();
        no_end.truncate(no_end.len() - 2);
        assert_eq!(verdict(&no_end), Err(Refusal::Damaged));
    }

    // --- WebP --------------------------------------------------------------------------

    #[test]
    fn webp_size_must_match() {
        assert_eq!(verdict(&webp(0)), Ok(FileKind::Webp));
        assert_eq!(verdict(&webp(2)), Err(Refusal::Damaged));
        assert_eq!(verdict(&webp(-2)), Err(Refusal::Damaged));
        // Data after the RIFF end, even harmless-looking.
        let tail = with_tail(webp(0), b"hello");
        assert_eq!(verdict(&tail), Err(Refusal::Polyglot));
        assert_eq!(
            verdict(&with_tail(webp(0), b"<?php")),
            Err(Refusal::Polyglot)
        );
        assert_eq!(
            verdict(&with_tail(webp(0), &zip(&[("a", b"b")]))),
            Err(Refusal::Polyglot)
        );
        let mut wrong_chunk = webp(0);
        wrong_chunk[12..16].copy_from_slice(b"EXIF");
        assert_eq!(verdict(&wrong_chunk), Err(Refusal::Damaged));
    }

    // --- Other kinds, renamed ".pdf" ---------------------------------------------------

    #[test]
    fn other_kinds_are_refused_and_named() {
        let mut elf = b"\x7FELF\x02\x01\x01\x00".to_vec();
        elf.resize(64, 0);
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        exe.resize(128, 0);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "html",
                b"<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>".to_vec(),
                HTML_PAGE,
            ),
            (
                "html after a BOM and spaces",
                b"\xEF\xBB\xBF \r\n <HTML><p>x</p></HTML>".to_vec(),
                HTML_PAGE,
            ),
            (
                "svg",
                b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"
                    .to_vec(),
                SVG_IMAGE,
            ),
            ("bare svg", b"<svg><script>alert(1)</script></svg>".to_vec(), SVG_IMAGE),
            ("xml", b"<?xml version=\"1.0\"?><facture/>".to_vec(), "un fichier XML"),
            ("elf", elf, EXECUTABLE),
            ("exe", exe, EXECUTABLE),
            ("mach-o", b"\xCF\xFA\xED\xFE\x07\x00\x00\x01".repeat(4), EXECUTABLE),
            ("script", b"#!/bin/sh\nrm -rf ~\n".to_vec(), "un script exécutable"),
            ("zip", zip(&[("a.txt", b"hello")]), "une archive ZIP"),
            (
                "docx",
                zip(&[
                    ("[Content_Types].xml", b"<Types/>"),
                    ("_rels/.rels", b"<Relationships/>"),
                    ("word/document.xml", b"<w:document/>"),
                ]),
                "un document Word",
            ),
            (
                "odt",
                zip(&[
                    ("mimetype", b"application/vnd.oasis.opendocument.text"),
                    ("content.xml", b"<office:document-content/>"),
                ]),
                "un document OpenDocument (LibreOffice Writer)",
            ),
            ("doc", [&OLE_SIGNATURE[..], &[0; 504]].concat(), OFFICE),
            ("gzip", b"\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03".to_vec(), "une archive GZIP"),
            ("rar", b"Rar!\x1A\x07\x01\x00\x33\x92\xB5\xE5".to_vec(), "une archive RAR"),
            ("7z", b"7z\xBC\xAF\x27\x1C\x00\x04\x00\x00\x00\x00".to_vec(), "une archive 7-Zip"),
            ("gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(), "une image GIF"),
            ("text", "Bonjour, voici ma facture.\n".as_bytes().to_vec(), "un fichier texte"),
        ];
        for (case, bytes, expected) in cases {
            assert_eq!(verdict(&bytes), not_allowed(expected), "{case}");
        }
        // Close to an accepted signature: damaged, not "another kind".
        let mut png = sample_png();
        png[6] = b'x';
        assert_eq!(verdict(&png), Err(Refusal::Damaged));
        assert_eq!(verdict(b"%PDF1.7\n%%EOF\n"), Err(Refusal::Damaged));
        assert_eq!(
            verdict(&[
                0x00, 0x13, 0x37, 0xFE, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09
            ]),
            Err(Refusal::NotAllowed { detected: None })
        );
    }

    #[test]
    fn a_refused_kind_is_named_from_its_first_8_kib_then_refused_at_once() {
        let mut html = b"<html>".to_vec();
        html.resize(HEAD_LEN + 100, b' ');
        let mut scanner = Scanner::new(DEFAULT_MAX_BYTES);
        assert_eq!(scanner.feed(&html[..HEAD_LEN - 1]), Ok(()));
        assert_eq!(scanner.feed(&html[HEAD_LEN - 1..]), not_allowed(HTML_PAGE));
        // Sticky.
        assert_eq!(scanner.feed(b"more"), not_allowed(HTML_PAGE));
        assert_eq!(scanner.finish(), not_allowed(HTML_PAGE));
    }

    // --- Size --------------------------------------------------------------------------

    #[test]
    fn empty_and_too_large_files_are_refused() {
        assert_eq!(verdict(b""), Err(Refusal::Empty));
        let too_large = Refusal::TooLarge { max_bytes: 10 };
        assert_eq!(verdict_with(&sample_pdf(), 10), Err(too_large.clone()));
        assert_eq!(verdict_with(&jpeg(), 10), Err(too_large.clone()));
        assert_eq!(verdict_with(&sample_png()[..10], 10), Err(Refusal::Damaged));
        // Refused while streaming, before the end of the file.
        let mut scanner = Scanner::new(10);
        assert_eq!(scanner.feed(&sample_pdf()[..10]), Ok(()));
        assert_eq!(scanner.feed(b"x"), Err(too_large));
        // What comes first in the file wins over the size.
        let script = b"%PDF-1.7\n/JS (x)";
        assert_eq!(verdict_with(script, 13), active(JAVASCRIPT));
    }

    #[test]
    fn large_files_stream_in_bounded_memory() {
        // A 6 MB PDF with a big compressed content stream and a big image.
        let content: Vec<u8> = b"72 760 m 523 760 l S 0.5 g 10 10 100 100 re f\n"
            .iter()
            .copied()
            .cycle()
            .take(3_000_000)
            .collect();
        let pixels: Vec<u8> = (0..3_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let pdf = pdf_with(
            "",
            &[
                stream("/Filter /FlateDecode", &zlib(&content)),
                stream(
                    "/Subtype /Image /Width 1000 /Height 1000 /BitsPerComponent 8",
                    &pixels,
                ),
            ],
        );
        let mut scanner = Scanner::new(DEFAULT_MAX_BYTES);
        let mut peak = 0;
        for chunk in pdf.chunks(64 * 1024) {
            scanner.feed(chunk).unwrap();
            peak = peak.max(scanner.retained_bytes());
        }
        assert!(peak < 100 * 1024, "a scanner held {peak} bytes");
        assert_eq!(scanner.finish(), Ok(FileKind::Pdf));

        // A big JPEG: nothing kept at all.
        let mut big = jpeg_with(&com(&[b'a'; 60_000]));
        big.truncate(big.len() - 2);
        big.extend(std::iter::repeat_n(0x42, 5_000_000));
        big.extend_from_slice(&[0xFF, 0xD9]);
        let mut scanner = Scanner::new(DEFAULT_MAX_BYTES);
        for chunk in big.chunks(64 * 1024) {
            scanner.feed(chunk).unwrap();
            assert!(scanner.retained_bytes() < 1024);
        }
        assert_eq!(scanner.finish(), Ok(FileKind::Jpeg));
        assert_eq!(
            scan_whole(&big, 1_000_000),
            Err(Refusal::TooLarge {
                max_bytes: 1_000_000
            })
        );
    }

    // --- Messages ----------------------------------------------------------------------

    #[test]
    fn messages_name_the_file_and_the_reason_in_french() {
        let exe = Refusal::NotAllowed {
            detected: Some(EXECUTABLE.to_owned()),
        };
        assert_eq!(
            exe.message("x.pdf"),
            "Le fichier « x.pdf » n’a pas été ajouté : c’est un programme exécutable, pas un \
             PDF ni une image. Seuls les formats PDF, JPEG, PNG et WebP sont acceptés, pour \
             des raisons de sécurité."
        );
        assert_eq!(
            Refusal::TooLarge {
                max_bytes: DEFAULT_MAX_BYTES
            }
            .message(NAME),
            "Le fichier « facture.pdf » n’a pas été ajouté : il dépasse la taille maximale de 20 Mo."
        );
        assert_eq!(
            Refusal::Empty.message(NAME),
            "Le fichier « facture.pdf » n’a pas été ajouté : il est vide."
        );
        let js = Refusal::ActiveContent { what: JAVASCRIPT }.message(NAME);
        assert!(js.contains("« facture.pdf » n’a pas été ajouté : il contient du JavaScript, "));
        assert!(js.contains("(Imprimer > Enregistrer au format PDF)"));
        let svg = Refusal::NotAllowed {
            detected: Some(SVG_IMAGE.to_owned()),
        };
        assert!(
            svg.message(NAME)
                .contains("c’est une image SVG, un format d’image qui n’est pas accepté.")
        );
        let heic = Refusal::NotAllowed {
            detected: Some("une image HEIC".to_owned()),
        };
        assert!(
            heic.message("IMG_0001.HEIC")
                .contains("« Le plus compatible »")
        );
        let unknown = Refusal::NotAllowed { detected: None }.message(NAME);
        assert!(unknown.contains("son format n’est pas reconnu."));
        for refusal in [Refusal::Polyglot, Refusal::Damaged] {
            assert!(
                refusal
                    .message(NAME)
                    .starts_with("Le fichier « facture.pdf » n’a pas été ajouté : ")
            );
        }
    }

    #[test]
    fn file_names_are_cleaned_for_messages() {
        assert_eq!(shown_name("C:\\fakepath\\scan.pdf"), "scan.pdf");
        assert_eq!(shown_name("facture\u{202E}fdp.exe"), "facturefdp.exe");
        assert_eq!(shown_name(" a\nb "), "ab");
        assert_eq!(shown_name(&"é".repeat(100)).chars().count(), 80);
        assert_eq!(
            Refusal::Empty.message(""),
            "Le fichier n’a pas été ajouté : il est vide."
        );
    }

    #[test]
    fn sizes_are_written_the_french_way() {
        assert_eq!(format_size(20_000_000), "20 Mo");
        assert_eq!(format_size(1_500_000), "1,5 Mo");
        assert_eq!(format_size(350_000), "350 ko");
        assert_eq!(format_size(10), "10 octets");
        assert_eq!(format_size(1), "1 octet");
        assert_eq!(format_size(u64::MAX), "18446744073709,6 Mo");
    }

    #[test]
    fn every_message_names_the_file_for_every_sample() {
        let samples = [
            pdf_with("/OpenAction << /S /JavaScript >>", &[]),
            with_tail(sample_png(), b"<html>"),
            b"MZ\0\0\0\0\0\0\0\0\0\0\0".to_vec(),
            Vec::new(),
            webp(4),
        ];
        for sample in samples {
            let refusal = verdict(&sample).unwrap_err();
            assert!(
                refusal.message(NAME).contains("« facture.pdf »"),
                "{refusal}"
            );
        }
    }

    // --- Internals ---------------------------------------------------------------------

    #[test]
    fn endstream_matching_agrees_with_a_plain_search() {
        let text = b"endendstreamxendstrendstreamendstreaendstream";
        let mut matched = 0;
        let mut ends = Vec::new();
        for (i, &b) in text.iter().enumerate() {
            matched = endstream_step(matched, b);
            if matched == ENDSTREAM.len() {
                ends.push(i + 1);
                matched = 0;
            }
        }
        let expected: Vec<usize> = (ENDSTREAM.len()..=text.len())
            .filter(|&end| &text[end - ENDSTREAM.len()..end] == ENDSTREAM)
            .collect();
        assert_eq!(ends, expected);
    }

    #[test]
    fn the_automaton_finds_overlapping_and_case_folded_patterns() {
        let automaton = Automaton::new(&[b"%%eof".to_vec(), b"ab".to_vec(), b"b".to_vec()], true);
        let mut state = 0;
        let mut found = Vec::new();
        for (i, &b) in b"x%%%EoFAB".iter().enumerate() {
            state = automaton.step(state, b);
            if automaton.matches(state) != 0 {
                found.push((i, automaton.matches(state)));
            }
        }
        assert_eq!(found, vec![(6, 1), (8, 0b110)]);
    }

    /// Random damage to every kind of sample never panics, and the verdict still does not
    /// depend on the chunk boundaries.
    #[test]
    fn mutated_samples_get_the_same_verdict_in_any_chunks() {
        let objstm = pdf_with(
            "",
            &[stream(
                "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
                &zlib(b"6 0 << /Type /Annot /Subtype /Link >>"),
            )],
        );
        let samples = [
            sample_pdf(),
            objstm,
            sample_png(),
            jpeg_with(&com(b"un commentaire")),
            webp(0),
        ];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut random = move |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let mut outcomes = std::collections::BTreeMap::new();
        for sample in &samples {
            for _ in 0..150 {
                let mut bytes = sample.clone();
                for _ in 0..1 + random(3) {
                    let at = random(bytes.len());
                    match random(4) {
                        0 => bytes[at] ^= 1 << random(8),
                        1 => {
                            let alphabet = b"/<>()%sP\x00\xFF";
                            bytes[at] = alphabet[random(alphabet.len())];
                        }
                        2 => bytes.insert(at, random(256) as u8),
                        _ => {
                            bytes.remove(at);
                        }
                    }
                }
                let verdict = verdict(&bytes);
                *outcomes.entry(format!("{verdict:?}")).or_insert(0) += 1;
            }
        }
        // Damage is mostly caught, and some mutations leave a valid file.
        assert!(outcomes.keys().any(|k| k.starts_with("Ok")), "{outcomes:?}");
        assert!(outcomes.contains_key("Err(Damaged)"), "{outcomes:?}");
    }

    #[test]
    fn scanners_can_cross_threads() {
        fn send<T: Send>() {}
        send::<Scanner>();
    }
}
