//! Types of the back-office shared by the server and the browser: the queue's tabs and
//! filters, the instructors' actions on a dossier and what their pages show.

use serde::{Deserialize, Serialize};

use crate::dossiers::model::{DossierStatus, FileRow, Transition};
use crate::forms::ReviewPage;

/// The tabs of a démarche's queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tab {
    /// Déposé, Compléments reçus.
    #[default]
    ATraiter,
    /// En cours d’instruction, Compléments demandés.
    EnCours,
    /// Decided.
    Traites,
    Tous,
    /// Dossiers the instructor follows.
    Suivis,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::ATraiter,
        Tab::EnCours,
        Tab::Traites,
        Tab::Tous,
        Tab::Suivis,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Tab::ATraiter => "a-traiter",
            Tab::EnCours => "en-cours",
            Tab::Traites => "traites",
            Tab::Tous => "tous",
            Tab::Suivis => "suivis",
        }
    }

    pub fn parse(value: &str) -> Option<Tab> {
        Self::ALL.into_iter().find(|t| t.slug() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::ATraiter => "À traiter",
            Tab::EnCours => "En cours",
            Tab::Traites => "Traités",
            Tab::Tous => "Tous",
            Tab::Suivis => "Suivis par moi",
        }
    }

    /// The `dossier.stage` of the tab (none: every filed dossier).
    pub fn stage(self) -> Option<i16> {
        match self {
            Tab::ATraiter => Some(1),
            Tab::EnCours => Some(2),
            Tab::Traites => Some(3),
            Tab::Tous | Tab::Suivis => None,
        }
    }

    /// The statuses a dossier of this tab may have.
    pub fn statuses(self) -> Vec<DossierStatus> {
        DossierStatus::ALL
            .into_iter()
            .filter(|s| *s != DossierStatus::Brouillon)
            .filter(|s| self.stage().is_none_or(|stage| s.stage() == stage))
            .collect()
    }
}

/// The queue's filters, as the page's GET form sends them (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueQuery {
    /// `Tab::slug`; « À traiter » by default.
    pub onglet: Option<String>,
    /// `DossierStatus::as_str`.
    pub statut: Option<String>,
    /// Submitted from (YYYY-MM-DD, inclusive).
    pub du: Option<String>,
    /// Submitted until (YYYY-MM-DD, inclusive).
    pub au: Option<String>,
    /// `ProfileKind::as_str`.
    pub type_profil: Option<String>,
    pub commune: Option<String>,
    /// A number, a name or a SIRET.
    pub q: Option<String>,
    /// « recents » (default) or « anciens ».
    pub tri: Option<String>,
    /// The keyset cursor of the next page.
    pub apres: Option<String>,
}

impl QueueQuery {
    pub fn tab(&self) -> Tab {
        self.onglet
            .as_deref()
            .and_then(Tab::parse)
            .unwrap_or(Tab::ATraiter)
    }

    pub fn oldest_first(&self) -> bool {
        self.tri.as_deref() == Some("anciens")
    }

    fn filled(value: &Option<String>) -> Option<&str> {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }

    /// The query string of these filters with another tab or cursor.
    pub fn href(&self, demarche_id: i32, tab: Option<Tab>, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> =
            vec![("onglet", tab.unwrap_or(self.tab()).slug().into())];
        for (key, value) in [
            ("statut", &self.statut),
            ("du", &self.du),
            ("au", &self.au),
            ("type_profil", &self.type_profil),
            ("commune", &self.commune),
            ("q", &self.q),
            ("tri", &self.tri),
        ] {
            if let Some(v) = Self::filled(value) {
                pairs.push((key, v.to_owned()));
            }
        }
        if let Some(a) = after {
            pairs.push(("apres", a.to_owned()));
        }
        let query: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", urlencode(&v)))
            .collect();
        format!("/instruction/demarches/{demarche_id}?{}", query.join("&"))
    }

    /// Whether a filter beyond the tab is set.
    pub fn filtered(&self) -> bool {
        [
            &self.statut,
            &self.du,
            &self.au,
            &self.type_profil,
            &self.commune,
            &self.q,
        ]
        .into_iter()
        .any(|v| Self::filled(v).is_some())
    }
}

/// Percent-encodes a query value.
pub fn urlencode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A line of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRow {
    pub id: i32,
    pub number: String,
    pub status: DossierStatus,
    /// « 30/11/2026 ».
    pub submitted: String,
    pub profile_name: String,
    pub profile_kind: String,
    pub filer: String,
    pub followed: bool,
}

/// How many dossiers each tab holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabCounts {
    pub a_traiter: u64,
    pub en_cours: u64,
    pub traites: u64,
    pub suivis: u64,
}

impl TabCounts {
    pub fn of(&self, tab: Tab) -> u64 {
        match tab {
            Tab::ATraiter => self.a_traiter,
            Tab::EnCours => self.en_cours,
            Tab::Traites => self.traites,
            Tab::Tous => self.a_traiter + self.en_cours + self.traites,
            Tab::Suivis => self.suivis,
        }
    }
}

/// A démarche's queue page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub demarche_id: i32,
    pub demarche_title: String,
    pub query: QueueQuery,
    pub rows: Vec<QueueRow>,
    /// The cursor of the next page, if there is one.
    pub next: Option<String>,
    pub counts: TabCounts,
    /// Filters that could not be read (a wrong date…), by field.
    pub filter_errors: Vec<crate::error::FieldError>,
    /// Communes of the démarche's dossiers, for the filter's suggestions.
    pub notice: Option<String>,
}

/// A démarche on the « Instruction » home, with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemarcheCounts {
    pub id: i32,
    pub title: String,
    pub services: Vec<String>,
    /// Filed dossiers by status (every status but the draft, in order).
    pub by_status: Vec<(DossierStatus, u64)>,
    pub counts: TabCounts,
}

/// What the instructors may do to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    PasserEnInstruction,
    DemanderComplements,
    Accepter,
    Refuser,
    ClasserSansSuite,
    RepasserEnInstruction,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::PasserEnInstruction,
        Action::DemanderComplements,
        Action::Accepter,
        Action::Refuser,
        Action::ClasserSansSuite,
        Action::RepasserEnInstruction,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Action::PasserEnInstruction => "passer-en-instruction",
            Action::DemanderComplements => "demander-des-complements",
            Action::Accepter => "accepter",
            Action::Refuser => "refuser",
            Action::ClasserSansSuite => "classer-sans-suite",
            Action::RepasserEnInstruction => "repasser-en-instruction",
        }
    }

    pub fn parse(value: &str) -> Option<Action> {
        Self::ALL.into_iter().find(|a| a.slug() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::PasserEnInstruction => "Passer en instruction",
            Action::DemanderComplements => "Demander des compléments",
            Action::Accepter => "Accepter",
            Action::Refuser => "Refuser",
            Action::ClasserSansSuite => "Classer sans suite",
            Action::RepasserEnInstruction => "Repasser en instruction",
        }
    }

    pub fn transition(self) -> Transition {
        match self {
            Action::PasserEnInstruction => Transition::PasserEnInstruction,
            Action::DemanderComplements => Transition::DemanderComplements,
            Action::Accepter => Transition::Accepter,
            Action::Refuser => Transition::Refuser,
            Action::ClasserSansSuite => Transition::ClasserSansSuite,
            Action::RepasserEnInstruction => Transition::RepasserEnInstruction,
        }
    }

    /// The citizen must be told why.
    pub fn message_required(self) -> bool {
        matches!(
            self,
            Action::Refuser | Action::ClasserSansSuite | Action::DemanderComplements
        )
    }

    /// A decision may come with a document (the notification letter).
    pub fn is_decision(self) -> bool {
        matches!(
            self,
            Action::Accepter | Action::Refuser | Action::ClasserSansSuite
        )
    }

    /// The actions allowed from `status`.
    pub fn allowed_from(status: DossierStatus) -> Vec<Action> {
        Self::ALL
            .into_iter()
            .filter(|a| status.apply(a.transition()).is_some())
            .collect()
    }

    /// What the message field asks for.
    pub fn message_hint(self) -> &'static str {
        match self {
            Action::DemanderComplements => {
                "Dites précisément quelles pièces ou réponses manquent : la personne lira ce message."
            }
            Action::Refuser => {
                "Donnez les raisons du refus et les voies de recours : la personne lira ce message."
            }
            Action::ClasserSansSuite => {
                "Donnez la raison du classement : la personne lira ce message."
            }
            _ => "La personne lira ce message dans le courriel et l’historique de son dossier.",
        }
    }
}

/// A message of the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRow {
    pub id: i32,
    /// « Karim Benali (Département) » or the citizen's name.
    pub author: String,
    pub from_instructor: bool,
    pub body: String,
    pub date: String,
    pub files: Vec<FileRow>,
}

/// A private annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationRow {
    pub author: String,
    pub body: String,
    pub date: String,
}

/// One change of the history, with its author (back-office view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub date: String,
    pub status: DossierStatus,
    pub author: String,
    pub message: Option<String>,
    pub document: Option<DocumentLink>,
}

/// A document sent to the profile, as a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentLink {
    pub id: i32,
    pub title: String,
}

impl DocumentLink {
    pub fn href(&self) -> String {
        format!("/documents/{}", self.id)
    }
}

/// Errors and values of the last form sent without JavaScript, shown once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// Which form: an action slug, « message », « annotation », « document ».
    pub form: String,
    pub errors: Vec<crate::error::FieldError>,
    pub kept: Vec<(String, String)>,
    /// A success notice (« Le dossier est passé en instruction. »).
    pub notice: Option<String>,
    /// Names of the files accepted by the failed try, kept for the next one.
    pub files: Vec<String>,
}

impl Flash {
    pub fn kept(&self, form: &str, field: &str) -> String {
        if self.form != form {
            return String::new();
        }
        self.kept
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The files kept for `form`.
    pub fn files_of(&self, form: &str) -> Vec<String> {
        if self.form == form {
            self.files.clone()
        } else {
            Vec::new()
        }
    }

    pub fn error(&self, form: &str, field: &str) -> Option<String> {
        (self.form == form)
            .then(|| {
                self.errors
                    .iter()
                    .find(|e| e.field == field)
                    .map(|e| e.message.clone())
            })
            .flatten()
    }
}

/// A dossier in the back-office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionView {
    pub id: i32,
    pub number: String,
    pub status: DossierStatus,
    pub lock_version: i32,
    pub demarche_id: i32,
    pub demarche_title: String,
    pub profile_name: String,
    pub profile_kind: String,
    pub profile_details: Vec<(String, String)>,
    pub filer_name: String,
    pub filer_email: String,
    pub submitted: String,
    pub pages: Vec<ReviewPage>,
    pub files: Vec<FileRow>,
    pub history: Vec<HistoryRow>,
    pub messages: Vec<MessageRow>,
    pub annotations: Vec<AnnotationRow>,
    pub followers: Vec<String>,
    pub followed_by_me: bool,
    pub actions: Vec<Action>,
    pub documents: Vec<DocumentLink>,
    pub flash: Flash,
    pub max_file_mb: u64,
}

/// A line of « Mes documents reçus ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedRow {
    pub id: i32,
    pub title: String,
    pub message: Option<String>,
    pub profile_name: String,
    pub dossier: Option<(i32, String)>,
    pub demarche_title: Option<String>,
    pub date: String,
    pub size: String,
    pub unread: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_cover_every_filed_status_once() {
        let mut seen = Vec::new();
        for tab in [Tab::ATraiter, Tab::EnCours, Tab::Traites] {
            seen.extend(tab.statuses());
        }
        seen.sort_by_key(|s| s.as_str());
        let mut all = Tab::Tous.statuses();
        all.sort_by_key(|s| s.as_str());
        assert_eq!(seen, all);
        assert!(!all.contains(&DossierStatus::Brouillon));
        assert_eq!(
            Tab::ATraiter.statuses(),
            vec![DossierStatus::Depose, DossierStatus::ComplementsRecus]
        );
    }

    #[test]
    fn actions_follow_the_status_machine() {
        assert_eq!(
            Action::allowed_from(DossierStatus::Depose),
            vec![
                Action::PasserEnInstruction,
                Action::DemanderComplements,
                Action::ClasserSansSuite
            ]
        );
        assert_eq!(
            Action::allowed_from(DossierStatus::Accepte),
            vec![Action::RepasserEnInstruction]
        );
        assert!(Action::allowed_from(DossierStatus::Brouillon).is_empty());
        for a in Action::ALL {
            assert_eq!(Action::parse(a.slug()), Some(a));
        }
    }

    #[test]
    fn queue_links_keep_the_filters() {
        let q = QueueQuery {
            onglet: Some("traites".into()),
            commune: Some("Saint-Éloi".into()),
            q: Some(" ".into()),
            ..Default::default()
        };
        assert_eq!(
            q.href(3, Some(Tab::Tous), Some("abc")),
            "/instruction/demarches/3?onglet=tous&commune=Saint-%C3%89loi&apres=abc"
        );
        assert!(q.filtered());
        assert!(!QueueQuery::default().filtered());
    }
}
