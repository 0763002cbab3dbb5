//! Types shared by the server and the browser: the statuses of a dossier with their
//! allowed transitions, and what the citizen's pages show.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::forms::{Answers, FormPage, ReviewPage};

/// The statuses of a dossier, for the whole portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DossierStatus {
    Brouillon,
    Depose,
    EnInstruction,
    ComplementsDemandes,
    ComplementsRecus,
    Accepte,
    Refuse,
    ClasseSansSuite,
}

/// Who the dossier is waiting for: the colour and wording follow this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waiting {
    /// The person must act (draft, compléments asked).
    OnYou,
    /// The département is working on it.
    OnDepartement,
    /// A decision was made.
    Decided,
}

/// What makes a dossier change status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transition {
    /// The citizen sends the draft: « Transmettre ».
    Transmettre,
    PasserEnInstruction,
    DemanderComplements,
    /// The citizen sends what was asked: « Transmettre les compléments ».
    TransmettreComplements,
    Accepter,
    Refuser,
    ClasserSansSuite,
    /// Reopening a decision: « Repasser en instruction ».
    RepasserEnInstruction,
}

impl DossierStatus {
    pub const ALL: [DossierStatus; 8] = [
        DossierStatus::Brouillon,
        DossierStatus::Depose,
        DossierStatus::EnInstruction,
        DossierStatus::ComplementsDemandes,
        DossierStatus::ComplementsRecus,
        DossierStatus::Accepte,
        DossierStatus::Refuse,
        DossierStatus::ClasseSansSuite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DossierStatus::Brouillon => "brouillon",
            DossierStatus::Depose => "depose",
            DossierStatus::EnInstruction => "en_instruction",
            DossierStatus::ComplementsDemandes => "complements_demandes",
            DossierStatus::ComplementsRecus => "complements_recus",
            DossierStatus::Accepte => "accepte",
            DossierStatus::Refuse => "refuse",
            DossierStatus::ClasseSansSuite => "classe_sans_suite",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The status in words, as the badge says it.
    pub fn label(self) -> &'static str {
        match self {
            DossierStatus::Brouillon => "Brouillon",
            DossierStatus::Depose => "Déposé",
            DossierStatus::EnInstruction => "En cours d’instruction",
            DossierStatus::ComplementsDemandes => "Compléments demandés",
            DossierStatus::ComplementsRecus => "Compléments reçus",
            DossierStatus::Accepte => "Accepté",
            DossierStatus::Refuse => "Refusé",
            DossierStatus::ClasseSansSuite => "Classé sans suite",
        }
    }

    pub fn waiting(self) -> Waiting {
        match self {
            DossierStatus::Brouillon | DossierStatus::ComplementsDemandes => Waiting::OnYou,
            DossierStatus::Depose
            | DossierStatus::EnInstruction
            | DossierStatus::ComplementsRecus => Waiting::OnDepartement,
            DossierStatus::Accepte | DossierStatus::Refuse | DossierStatus::ClasseSansSuite => {
                Waiting::Decided
            }
        }
    }

    /// The CSS modifier of the badge: one colour per kind of waiting, and one per
    /// decision.
    pub fn tone(self) -> &'static str {
        match self {
            DossierStatus::Accepte => "success",
            DossierStatus::Refuse => "danger",
            DossierStatus::ClasseSansSuite => "neutral",
            s => match s.waiting() {
                Waiting::OnYou => "warning",
                _ => "info",
            },
        }
    }

    /// The step reached in « Déposé → En cours d’instruction → Décision » (1 to 3; 0
    /// for a draft).
    pub fn progress(self) -> u8 {
        match self {
            DossierStatus::Brouillon => 0,
            DossierStatus::Depose => 1,
            DossierStatus::EnInstruction
            | DossierStatus::ComplementsDemandes
            | DossierStatus::ComplementsRecus => 2,
            DossierStatus::Accepte | DossierStatus::Refuse | DossierStatus::ClasseSansSuite => 3,
        }
    }

    /// One sentence on what happens next, or what the person must do.
    pub fn next_step(self) -> &'static str {
        match self {
            DossierStatus::Brouillon => {
                "Votre demande n’est pas encore transmise : complétez-la puis transmettez-la."
            }
            DossierStatus::Depose => {
                "Votre dossier a bien été reçu. Les services du Département vont l’examiner ; vous serez prévenu par courriel."
            }
            DossierStatus::EnInstruction => {
                "Les services du Département examinent votre dossier. Vous serez prévenu par courriel de la décision."
            }
            DossierStatus::ComplementsDemandes => {
                "Les services du Département vous demandent des compléments : lisez leur message, complétez votre dossier et transmettez les compléments."
            }
            DossierStatus::ComplementsRecus => {
                "Vos compléments ont été transmis. Les services du Département reprennent l’examen de votre dossier."
            }
            DossierStatus::Accepte => {
                "Votre demande est acceptée. Les documents du Département se trouvent dans « Mes documents reçus »."
            }
            DossierStatus::Refuse => {
                "Votre demande est refusée. Le message des services du Département en donne les raisons et les voies de recours."
            }
            DossierStatus::ClasseSansSuite => {
                "Votre dossier est classé sans suite. Le message des services du Département en donne la raison."
            }
        }
    }

    /// The status a transition leads to from this one, if it is allowed.
    pub fn apply(self, transition: Transition) -> Option<DossierStatus> {
        use DossierStatus as S;
        use Transition as T;
        match (self, transition) {
            (S::Brouillon, T::Transmettre) => Some(S::Depose),
            (S::Depose | S::ComplementsRecus, T::PasserEnInstruction) => Some(S::EnInstruction),
            (S::Depose | S::EnInstruction | S::ComplementsRecus, T::DemanderComplements) => {
                Some(S::ComplementsDemandes)
            }
            (S::ComplementsDemandes, T::TransmettreComplements) => Some(S::ComplementsRecus),
            (S::EnInstruction | S::ComplementsRecus, T::Accepter) => Some(S::Accepte),
            (S::EnInstruction | S::ComplementsRecus, T::Refuser) => Some(S::Refuse),
            (
                S::Depose | S::EnInstruction | S::ComplementsDemandes | S::ComplementsRecus,
                T::ClasserSansSuite,
            ) => Some(S::ClasseSansSuite),
            (S::Accepte | S::Refuse | S::ClasseSansSuite, T::RepasserEnInstruction) => {
                Some(S::EnInstruction)
            }
            _ => None,
        }
    }

    /// The queue tab of the back-office: 0 draft (never shown), 1 « À traiter »,
    /// 2 « En cours », 3 « Traités ». Stored in `dossier.stage` (one index per tab).
    pub fn stage(self) -> i16 {
        match self {
            DossierStatus::Brouillon => 0,
            DossierStatus::Depose | DossierStatus::ComplementsRecus => 1,
            DossierStatus::EnInstruction | DossierStatus::ComplementsDemandes => 2,
            DossierStatus::Accepte | DossierStatus::Refuse | DossierStatus::ClasseSansSuite => 3,
        }
    }

    /// The citizen may change the answers and the files: a draft, or a dossier whose
    /// compléments were asked.
    pub fn editable_by_citizen(self) -> bool {
        matches!(
            self,
            DossierStatus::Brouillon | DossierStatus::ComplementsDemandes
        )
    }
}

/// A file attached to a dossier, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRow {
    pub id: i32,
    /// The field key, or `group.index.key`.
    pub field_path: String,
    pub name: String,
    /// « 1,2 Mo ».
    pub size: String,
    /// « PDF », « image PNG ».
    pub kind: String,
}

impl FileRow {
    pub fn href(&self) -> String {
        format!("/pieces/{}", self.id)
    }
}

/// One page of the form, to fill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillPage {
    pub dossier_id: i32,
    pub demarche_title: String,
    pub demarche_slug: String,
    pub profile_name: String,
    pub status: DossierStatus,
    /// The page's index in the definition (0-based); URLs use index + 1.
    pub index: usize,
    /// The position among the shown pages (1-based) and their number; the last step
    /// is « Vérifiez vos réponses ».
    pub step: usize,
    pub steps: usize,
    pub page: FormPage,
    pub answers: Answers,
    pub files: Vec<FileRow>,
    /// Shown when the person asked to go on with missing or wrong answers.
    pub errors: Vec<FieldError>,
    /// Keys of fields hidden by an answer given on another page.
    pub hidden_fields: Vec<String>,
    /// Files refused at the last upload, or other notices.
    pub notices: Vec<String>,
    /// The previous shown page (index + 1), if any.
    pub previous: Option<usize>,
    pub max_file_mb: u64,
    pub today: String,
    pub lock_version: i32,
}

/// « Vérifiez vos réponses ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewView {
    pub dossier_id: i32,
    pub demarche_title: String,
    pub profile_name: String,
    pub status: DossierStatus,
    pub pages: Vec<ReviewPage>,
    pub files: Vec<FileRow>,
    /// The first page with missing or wrong answers (index + 1) and its messages.
    pub problem: Option<(usize, Vec<FieldError>)>,
    pub steps: usize,
    pub last_page: usize,
}

/// A line of « Mes brouillons ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftRow {
    pub id: i32,
    pub demarche_title: String,
    pub profile_name: String,
    /// « 30 novembre 2026 à 14 h 05 ».
    pub updated: String,
    pub answered: usize,
    pub required: usize,
    /// The first page with missing or wrong answers (index + 1); none: complete.
    pub first_problem: Option<usize>,
}

impl DraftRow {
    pub fn percent(&self) -> usize {
        (self.answered * 100)
            .checked_div(self.required)
            .unwrap_or(100)
    }
}

/// A line of « Mes dossiers ».
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierRow {
    pub id: i32,
    pub number: String,
    pub demarche_title: String,
    pub profile_name: String,
    /// « 30 novembre 2026 ».
    pub submitted: String,
    pub status: DossierStatus,
}

/// One page of « Mes dossiers », newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierList {
    pub rows: Vec<DossierRow>,
    /// The page shown, from 1 (a page past the last shows the last).
    pub page: u32,
    /// How many pages there are (at least 1).
    pub pages: u32,
    /// How many dossiers there are in all.
    pub total: u64,
}

impl DossierList {
    /// Dossiers per page: each card is tall (title, status, steps, next step), so ten
    /// fill about three screens.
    pub const PAGE_SIZE: u64 = 10;

    /// The position of the first and last dossier shown, from 1 (« 11 à 20 sur 26 »).
    pub fn range(&self) -> (u64, u64) {
        if self.rows.is_empty() {
            return (0, 0);
        }
        let first = u64::from(self.page.saturating_sub(1)) * Self::PAGE_SIZE + 1;
        (first, first + self.rows.len() as u64 - 1)
    }
}

/// One change in a dossier's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub date: String,
    pub status: DossierStatus,
    pub message: Option<String>,
}

/// A filed dossier's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DossierView {
    pub id: i32,
    pub number: String,
    pub demarche_title: String,
    pub demarche_slug: String,
    pub profile_name: String,
    pub filer: String,
    pub submitted: String,
    pub status: DossierStatus,
    pub events: Vec<EventRow>,
    pub pages: Vec<ReviewPage>,
    pub files: Vec<FileRow>,
    pub max_file_mb: u64,
    /// The message thread with the instructors.
    pub messages: Vec<crate::backoffice::model::MessageRow>,
    /// The result of the last message form sent without JavaScript.
    pub flash: crate::backoffice::model::Flash,
}

/// A profile the person may file for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileChoice {
    pub id: i32,
    pub name: String,
    pub kind_label: String,
}

/// « Commencer la démarche »: for whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartOptions {
    pub slug: String,
    pub title: String,
    pub profiles: Vec<ProfileChoice>,
    /// The démarche is open today.
    pub open: bool,
    /// Who may file, in words (when no profile fits).
    pub audience: String,
}

/// « 1,2 Mo », « 350 ko ».
pub fn format_size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        let tenths = (bytes + 50_000) / 100_000;
        format!("{},{} Mo", tenths / 10, tenths % 10)
    } else {
        format!("{} ko", bytes.div_ceil(1000).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in DossierStatus::ALL {
            assert_eq!(DossierStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DossierStatus::parse("autre"), None);
    }

    #[test]
    fn only_allowed_transitions_apply() {
        use DossierStatus as S;
        use Transition as T;
        assert_eq!(S::Brouillon.apply(T::Transmettre), Some(S::Depose));
        assert_eq!(S::Depose.apply(T::Transmettre), None);
        assert_eq!(S::Brouillon.apply(T::Accepter), None);
        assert_eq!(S::Depose.apply(T::Accepter), None);
        assert_eq!(S::EnInstruction.apply(T::Accepter), Some(S::Accepte));
        assert_eq!(
            S::ComplementsDemandes.apply(T::TransmettreComplements),
            Some(S::ComplementsRecus)
        );
        assert_eq!(
            S::Refuse.apply(T::RepasserEnInstruction),
            Some(S::EnInstruction)
        );
        assert_eq!(S::EnInstruction.apply(T::RepasserEnInstruction), None);
        // Only drafts and asked compléments are the citizen's to change.
        let editable: Vec<_> = S::ALL
            .into_iter()
            .filter(|s| s.editable_by_citizen())
            .collect();
        assert_eq!(editable, vec![S::Brouillon, S::ComplementsDemandes]);
    }

    #[test]
    fn wording_follows_who_is_waiting() {
        assert_eq!(DossierStatus::ComplementsDemandes.tone(), "warning");
        assert_eq!(DossierStatus::Depose.tone(), "info");
        assert_eq!(DossierStatus::Accepte.waiting(), Waiting::Decided);
        assert_eq!(DossierStatus::EnInstruction.progress(), 2);
    }

    #[test]
    fn sizes_are_french() {
        assert_eq!(format_size(0), "1 ko");
        assert_eq!(format_size(350_200), "351 ko");
        assert_eq!(format_size(1_234_567), "1,2 Mo");
        assert_eq!(format_size(20_000_000), "20,0 Mo");
    }
}
