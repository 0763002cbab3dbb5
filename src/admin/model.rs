//! Types of the administration shared by the server and the browser: the démarches'
//! list and editor, notification emails with their variables, « Démarches à la Une »,
//! services, users and the audit log.

use serde::{Deserialize, Serialize};

use crate::account::model::Role;
use crate::demarches::model::{Audience, DemarcheState};
use crate::error::FieldError;
use crate::forms::{Field, FormDefinition};

// ---------------------------------------------------------------- audit log

/// What an audit line records. Stored as `as_str`; shown as `label`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SecondFactorFailed,
    PasswordResetRequested,
    PasswordReset,
    DemarcheCreated,
    DemarcheDuplicated,
    DemarcheUpdated,
    FormEdited,
    DemarchePublished,
    DemarcheClosed,
    DemarcheReopened,
    EmailCustomised,
    FeaturedChanged,
    ServiceCreated,
    ServiceRenamed,
    ServiceDemarches,
    ServiceMemberAdded,
    ServiceMemberRemoved,
    RoleChanged,
    AccountDeactivated,
    AccountReactivated,
    VerificationResent,
    SecondFactorReset,
    DossierStatusChanged,
    DossierFollowed,
    DossierAnnotated,
    DossierMessage,
    DossierDocument,
    DossiersExported,
    AuditExported,
}

impl AuditAction {
    pub const ALL: [AuditAction; 31] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SecondFactorFailed,
        AuditAction::PasswordResetRequested,
        AuditAction::PasswordReset,
        AuditAction::DemarcheCreated,
        AuditAction::DemarcheDuplicated,
        AuditAction::DemarcheUpdated,
        AuditAction::FormEdited,
        AuditAction::DemarchePublished,
        AuditAction::DemarcheClosed,
        AuditAction::DemarcheReopened,
        AuditAction::EmailCustomised,
        AuditAction::FeaturedChanged,
        AuditAction::ServiceCreated,
        AuditAction::ServiceRenamed,
        AuditAction::ServiceDemarches,
        AuditAction::ServiceMemberAdded,
        AuditAction::ServiceMemberRemoved,
        AuditAction::RoleChanged,
        AuditAction::AccountDeactivated,
        AuditAction::AccountReactivated,
        AuditAction::VerificationResent,
        AuditAction::SecondFactorReset,
        AuditAction::DossierStatusChanged,
        AuditAction::DossierFollowed,
        AuditAction::DossierAnnotated,
        AuditAction::DossierMessage,
        AuditAction::DossierDocument,
        AuditAction::DossiersExported,
        AuditAction::AuditExported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "connexion",
            AuditAction::SignInFailed => "connexion_echouee",
            AuditAction::SecondFactorFailed => "code_refuse",
            AuditAction::PasswordResetRequested => "reinitialisation_demandee",
            AuditAction::PasswordReset => "mot_de_passe_reinitialise",
            AuditAction::DemarcheCreated => "demarche_creee",
            AuditAction::DemarcheDuplicated => "demarche_dupliquee",
            AuditAction::DemarcheUpdated => "demarche_modifiee",
            AuditAction::FormEdited => "formulaire_modifie",
            AuditAction::DemarchePublished => "demarche_publiee",
            AuditAction::DemarcheClosed => "demarche_close",
            AuditAction::DemarcheReopened => "demarche_rouverte",
            AuditAction::EmailCustomised => "courriel_personnalise",
            AuditAction::FeaturedChanged => "a_la_une",
            AuditAction::ServiceCreated => "service_cree",
            AuditAction::ServiceRenamed => "service_renomme",
            AuditAction::ServiceDemarches => "service_demarches",
            AuditAction::ServiceMemberAdded => "instructeur_ajoute",
            AuditAction::ServiceMemberRemoved => "instructeur_retire",
            AuditAction::RoleChanged => "role_modifie",
            AuditAction::AccountDeactivated => "compte_desactive",
            AuditAction::AccountReactivated => "compte_reactive",
            AuditAction::VerificationResent => "confirmation_renvoyee",
            AuditAction::SecondFactorReset => "second_facteur_reinitialise",
            AuditAction::DossierStatusChanged => "dossier_statut",
            AuditAction::DossierFollowed => "dossier_suivi",
            AuditAction::DossierAnnotated => "dossier_annotation",
            AuditAction::DossierMessage => "dossier_message",
            AuditAction::DossierDocument => "dossier_document",
            AuditAction::DossiersExported => "dossiers_exportes",
            AuditAction::AuditExported => "journal_exporte",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Connexion",
            AuditAction::SignInFailed => "Connexion refusée",
            AuditAction::SecondFactorFailed => "Code de connexion refusé",
            AuditAction::PasswordResetRequested => "Réinitialisation du mot de passe demandée",
            AuditAction::PasswordReset => "Mot de passe réinitialisé",
            AuditAction::DemarcheCreated => "Démarche créée",
            AuditAction::DemarcheDuplicated => "Démarche dupliquée",
            AuditAction::DemarcheUpdated => "Démarche modifiée",
            AuditAction::FormEdited => "Formulaire modifié",
            AuditAction::DemarchePublished => "Démarche publiée",
            AuditAction::DemarcheClosed => "Démarche close",
            AuditAction::DemarcheReopened => "Démarche rouverte",
            AuditAction::EmailCustomised => "Courriel personnalisé",
            AuditAction::FeaturedChanged => "Démarches à la Une modifiées",
            AuditAction::ServiceCreated => "Service créé",
            AuditAction::ServiceRenamed => "Service renommé",
            AuditAction::ServiceDemarches => "Démarches d’un service modifiées",
            AuditAction::ServiceMemberAdded => "Instructeur ajouté à un service",
            AuditAction::ServiceMemberRemoved => "Instructeur retiré d’un service",
            AuditAction::RoleChanged => "Rôle modifié",
            AuditAction::AccountDeactivated => "Compte désactivé",
            AuditAction::AccountReactivated => "Compte réactivé",
            AuditAction::VerificationResent => "Courriel de confirmation renvoyé",
            AuditAction::SecondFactorReset => "Second facteur réinitialisé",
            AuditAction::DossierStatusChanged => "Statut d’un dossier modifié",
            AuditAction::DossierFollowed => "Suivi d’un dossier modifié",
            AuditAction::DossierAnnotated => "Annotation privée ajoutée",
            AuditAction::DossierMessage => "Message envoyé",
            AuditAction::DossierDocument => "Document envoyé",
            AuditAction::DossiersExported => "Dossiers exportés",
            AuditAction::AuditExported => "Journal exporté",
        }
    }
}

/// The journal's filters, as typed in its GET form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// `AuditAction::as_str`.
    pub action: Option<String>,
    /// Part of the actor's email address.
    pub qui: Option<String>,
    /// `demarche`, `dossier`, `compte`, `service`.
    pub objet: Option<String>,
    /// The object's identifier (with `objet`).
    pub id: Option<String>,
    /// `YYYY-MM-DD`, included.
    pub du: Option<String>,
    pub au: Option<String>,
    /// Keyset cursor: the last line's id.
    pub apres: Option<String>,
}

impl AuditQuery {
    /// The query string of these filters (without the cursor), for links.
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("action", &self.action),
            ("qui", &self.qui),
            ("objet", &self.objet),
            ("id", &self.id),
            ("du", &self.du),
            ("au", &self.au),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", encode_component(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value.
pub fn encode_component(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The kinds of object an audit line may name.
pub const AUDIT_OBJECTS: [(&str, &str); 5] = [
    ("demarche", "Démarche"),
    ("dossier", "Dossier"),
    ("compte", "Compte"),
    ("service", "Service"),
    ("journal", "Journal"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// « 30/11/2026 à 17:05:12 » (Paris time).
    pub at: String,
    /// The actor's email, or « — ».
    pub actor: String,
    pub action: String,
    pub action_label: String,
    /// « Démarche n° 3 : Aide au permis de conduire ».
    pub object: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The cursor of the next page.
    pub next: Option<String>,
    pub query: AuditQuery,
}

// ---------------------------------------------------------------- emails

/// The notification emails of a démarche that an administrator may customise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailKind {
    /// The receipt sent when a dossier is filed.
    Depot,
    EnInstruction,
    ComplementsDemandes,
    Accepte,
    Refuse,
    ClasseSansSuite,
}

/// The variables an administrator may write in a subject or a text.
pub const EMAIL_VARIABLES: [(&str, &str); 4] = [
    ("numero", "le numéro du dossier, par exemple 2026-000123"),
    ("demarche", "le titre de la démarche"),
    ("lien", "l’adresse de la page du dossier"),
    (
        "message",
        "le message écrit par les services instructeurs (vide s’il n’y en a pas)",
    ),
];

impl EmailKind {
    pub const ALL: [EmailKind; 6] = [
        EmailKind::Depot,
        EmailKind::EnInstruction,
        EmailKind::ComplementsDemandes,
        EmailKind::Accepte,
        EmailKind::Refuse,
        EmailKind::ClasseSansSuite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Depot => "depot",
            EmailKind::EnInstruction => "en_instruction",
            EmailKind::ComplementsDemandes => "complements_demandes",
            EmailKind::Accepte => "accepte",
            EmailKind::Refuse => "refuse",
            EmailKind::ClasseSansSuite => "classe_sans_suite",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            EmailKind::Depot => "Accusé de réception du dépôt",
            EmailKind::EnInstruction => "Passage en instruction",
            EmailKind::ComplementsDemandes => "Demande de compléments",
            EmailKind::Accepte => "Décision : accepté",
            EmailKind::Refuse => "Décision : refusé",
            EmailKind::ClasseSansSuite => "Décision : classé sans suite",
        }
    }

    /// The email of a new status, if it has one.
    pub fn of_status(status: crate::dossiers::model::DossierStatus) -> Option<Self> {
        use crate::dossiers::model::DossierStatus as S;
        match status {
            S::Depose => Some(EmailKind::Depot),
            S::EnInstruction => Some(EmailKind::EnInstruction),
            S::ComplementsDemandes => Some(EmailKind::ComplementsDemandes),
            S::Accepte => Some(EmailKind::Accepte),
            S::Refuse => Some(EmailKind::Refuse),
            S::ClasseSansSuite => Some(EmailKind::ClasseSansSuite),
            _ => None,
        }
    }
}

/// The values of the variables for one email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailVars {
    pub numero: String,
    pub demarche: String,
    pub lien: String,
    pub message: String,
}

impl EmailVars {
    /// The values of the preview.
    pub fn sample(demarche: &str) -> Self {
        EmailVars {
            numero: "2026-000123".into(),
            demarche: demarche.into(),
            lien: "https://demarches.example.fr/mon-compte/dossiers/123".into(),
            message: "Merci de joindre votre dernier avis d’imposition.".into(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "numero" => Some(&self.numero),
            "demarche" => Some(&self.demarche),
            "lien" => Some(&self.lien),
            "message" => Some(&self.message),
            _ => None,
        }
    }
}

/// The `{variables}` of a text that are not known.
pub fn unknown_variables(text: &str) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = after[..end].trim();
        if !EMAIL_VARIABLES.iter().any(|(v, _)| *v == name) && !unknown.contains(&name.to_owned()) {
            unknown.push(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    unknown
}

/// Replaces `{numero}`, `{demarche}`, `{lien}`, `{message}` by their values.
pub fn fill_variables(text: &str, vars: &EmailVars) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                match vars.get(after[..end].trim()) {
                    Some(value) => out.push_str(value),
                    None => out.push_str(&rest[start..start + end + 2]),
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A customised email as it will be sent: subject and paragraphs (blank lines split
/// paragraphs; a paragraph whose variables are all empty is dropped).
pub fn render_custom(subject: &str, body: &str, vars: &EmailVars) -> (String, Vec<String>) {
    let paragraphs = body
        .replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .filter(|p| !(p.contains("{message}") && vars.message.trim().is_empty()))
        .map(|p| fill_variables(p, vars).replace('\n', " "))
        .collect();
    (fill_variables(subject.trim(), vars), paragraphs)
}

/// Checks an administrator's email text; errors name the form's fields `subject` and
/// `body`.
pub fn email_problems(subject: &str, body: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut check = |field: &str, text: &str, what: &str, max: usize| {
        if text.trim().is_empty() {
            errors.push(FieldError {
                field: field.into(),
                message: format!("Saisissez {what}."),
            });
        } else if text.chars().count() > max {
            errors.push(FieldError {
                field: field.into(),
                message: format!("{} : {max} caractères au plus.", capitalise(what)),
            });
        } else {
            let unknown = unknown_variables(text);
            if !unknown.is_empty() {
                errors.push(FieldError {
                    field: field.into(),
                    message: format!(
                        "Variable inconnue : {}. Les variables possibles sont {}.",
                        unknown
                            .iter()
                            .map(|v| format!("{{{v}}}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        EMAIL_VARIABLES
                            .iter()
                            .map(|(v, _)| format!("{{{v}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
    };
    check("subject", subject, "l’objet du courriel", 200);
    check("body", body, "le texte du courriel", 5000);
    errors
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One email of a démarche in the editor: customised or the portal's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailSetting {
    pub kind: EmailKind,
    pub customised: bool,
    /// The text being shown in the form: the custom one, or the default's.
    pub subject: String,
    pub body: String,
    /// How it will read (with the sample values).
    pub preview_subject: String,
    pub preview_paragraphs: Vec<String>,
}

// ---------------------------------------------------------------- démarches

/// A démarche in the administrators' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminDemarcheRow {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub state: DemarcheState,
    pub audience: Audience,
    /// « du 5 janvier 2026 au 30 juin 2027 ».
    pub period: Option<String>,
    pub services: Vec<String>,
    pub dossiers: u64,
    pub featured: bool,
    /// The number of the published version.
    pub version: Option<i32>,
    /// The form was changed since the last publication.
    pub unpublished_changes: bool,
}

/// A démarche's description as edited (the form's inputs, all text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemarcheSettings {
    pub title: String,
    /// The address: `/demarches/{slug}`.
    pub slug: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    /// `Audience::as_str`.
    pub audience: String,
    pub processing_time: String,
    /// One document per line.
    pub documents: String,
    /// `YYYY-MM-DD` or empty.
    pub opens_on: String,
    pub closes_on: String,
}

/// A service in a choice list: id, name, chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceChoice {
    pub id: i32,
    pub name: String,
    pub chosen: bool,
}

/// A démarche in the editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemarcheEditor {
    pub id: i32,
    pub settings: DemarcheSettings,
    pub state: DemarcheState,
    pub services: Vec<ServiceChoice>,
    /// The number of the published version.
    pub version: Option<i32>,
    pub unpublished_changes: bool,
    /// The form being edited.
    pub definition: FormDefinition,
    /// Why it cannot be published now (empty when it can).
    pub problems: Vec<String>,
    pub dossiers: u64,
    /// Drafts and dossiers started on an older version.
    pub older_version_dossiers: u64,
    pub emails: Vec<EmailSetting>,
    /// The notice of the last action (« La démarche est publiée. »).
    pub notice: Option<String>,
    pub max_file_mb: u64,
}

/// A field in its editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEditor {
    pub demarche_id: i32,
    pub demarche_title: String,
    pub page_key: String,
    pub page_title: String,
    /// The group the field belongs to.
    pub group: Option<String>,
    pub field: Field,
    pub settings: FieldSettings,
    /// The questions a condition may name: key, label, possible answers.
    pub condition_choices: Vec<ConditionChoice>,
    pub max_file_mb: u64,
    pub notice: Option<String>,
}

/// A question a condition may name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionChoice {
    pub key: String,
    pub label: String,
    pub values: Vec<String>,
}

/// A page in its editor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageEditor {
    pub demarche_id: i32,
    pub demarche_title: String,
    pub key: String,
    pub title: String,
    pub intro: String,
    pub condition_field: String,
    pub condition_equals: String,
    pub condition_choices: Vec<ConditionChoice>,
}

/// The settings of a field as typed in its editor (all text; checked by
/// `builder::apply_settings`). Which ones apply depends on the field's type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSettings {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub help: String,
    /// `on` when ticked.
    #[serde(default)]
    pub required: Option<String>,
    #[serde(default)]
    pub condition_field: String,
    #[serde(default)]
    pub condition_equals: String,
    #[serde(default)]
    pub max_length: String,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub max: String,
    #[serde(default)]
    pub integer: Option<String>,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub past_only: Option<String>,
    /// One answer per line.
    #[serde(default)]
    pub options: String,
    /// `radio` or `list`.
    #[serde(default)]
    pub display: String,
    #[serde(default)]
    pub max_files: String,
    #[serde(default)]
    pub max_size_mb: String,
    #[serde(default)]
    pub add_label: String,
    #[serde(default)]
    pub item_label: String,
    #[serde(default)]
    pub min_items: String,
    #[serde(default)]
    pub max_items: String,
}

/// The types of field an administrator may add: slug and label.
pub const FIELD_TYPES: [(&str, &str); 16] = [
    ("short_text", "Texte court"),
    ("long_text", "Texte long"),
    ("number", "Nombre"),
    ("date", "Date"),
    ("email", "Adresse électronique"),
    ("phone", "Numéro de téléphone"),
    ("yes_no", "Oui / Non"),
    ("single_choice", "Choix unique"),
    ("multiple_choice", "Choix multiples"),
    ("address", "Adresse postale"),
    ("siret", "Numéro SIRET"),
    ("iban", "IBAN"),
    ("attachment", "Pièce jointe"),
    ("section", "Titre de section"),
    ("explanation", "Texte d’explication"),
    ("group", "Groupe répétable"),
];

/// The label of a field type slug.
pub fn field_type_label(slug: &str) -> &'static str {
    FIELD_TYPES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(_, l)| *l)
        .unwrap_or("Champ")
}

// ---------------------------------------------------------------- à la Une

/// A published démarche in « Démarches à la Une »'s settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeaturedRow {
    pub id: i32,
    pub title: String,
    pub featured: bool,
    pub order: Option<i32>,
    /// `YYYY-MM-DD` or empty.
    pub from: String,
    pub until: String,
    /// In the home page's banner right now.
    pub shown_now: bool,
}

// ---------------------------------------------------------------- services

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub account_id: i32,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRow {
    pub id: i32,
    pub name: String,
    pub demarches: Vec<String>,
    pub members: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub id: i32,
    pub name: String,
    pub demarches: Vec<ServiceChoice>,
    pub members: Vec<MemberRow>,
    pub notice: Option<String>,
}

// ---------------------------------------------------------------- users

/// The users' search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    pub q: Option<String>,
    /// `Role::as_str`.
    pub role: Option<String>,
    /// Keyset cursor: the last row's id.
    pub apres: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i32,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    pub next: Option<String>,
    pub query: UserQuery,
}

/// A profile the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub name: String,
    /// « Association », « Particulier »…
    pub kind: String,
    /// « Gestionnaire », « Membre ».
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub user: UserRow,
    pub created: String,
    pub deleted: bool,
    pub second_factor: bool,
    pub profiles: Vec<UserProfile>,
    pub services: Vec<String>,
    /// The administrator looks at their own account.
    pub is_self: bool,
    pub notice: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_and_unknown_ones_reported() {
        let vars = EmailVars {
            numero: "2026-000007".into(),
            demarche: "Aide".into(),
            lien: "https://x/7".into(),
            message: String::new(),
        };
        assert_eq!(
            fill_variables("Dossier {numero} ({demarche}) : {lien} {autre}", &vars),
            "Dossier 2026-000007 (Aide) : https://x/7 {autre}"
        );
        assert_eq!(
            fill_variables("ouvert { sans fin", &vars),
            "ouvert { sans fin"
        );
        assert_eq!(
            unknown_variables("{numero} {nom} {nom} {lien}"),
            vec!["nom"]
        );
        let (subject, paragraphs) = render_custom(
            "Dossier {numero}",
            "Bonjour,\r\n\r\nMessage : {message}\n\nVoir {lien}",
            &vars,
        );
        assert_eq!(subject, "Dossier 2026-000007");
        assert_eq!(paragraphs, vec!["Bonjour,", "Voir https://x/7"]);
    }

    #[test]
    fn email_text_is_checked() {
        assert!(email_problems("Dossier {numero}", "Bonjour {lien}").is_empty());
        let errors = email_problems("", "Texte {numro}");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].field, "subject");
        assert!(errors[1].message.contains("{numro}"));
    }

    #[test]
    fn audit_actions_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        for k in EmailKind::ALL {
            assert_eq!(EmailKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn audit_query_string_skips_empty_filters() {
        let q = AuditQuery {
            action: Some("connexion".into()),
            qui: Some("a b@x".into()),
            du: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "action=connexion&qui=a%20b%40x");
    }
}
