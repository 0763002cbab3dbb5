//! The démarches of the administration: the list, a new démarche, a démarche's page
//! (description, publication, services) and its notification emails.

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::AdminNav;
use crate::account::pages::error_view;
use crate::admin::api::{
    AttachService, CreateDemarche, DuplicateDemarche, PublishDemarche, ResetEmail, SaveEmail,
    SetDemarcheOpen, UpdateDemarche, admin_demarche, admin_demarches,
};
use crate::admin::model::{DemarcheEditor, DemarcheSettings, EMAIL_VARIABLES, EmailSetting};
use crate::demarches::model::{Audience, DemarcheState};
use crate::error::AppError;
use crate::ui::form::{
    ErrorSummary, FieldMessage, RadioGroup, SubmitButton, TextField, form_error,
};
use crate::ui::{Breadcrumb, Loading};

fn id_param() -> impl Fn() -> i32 + Clone + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

pub fn state_label(state: DemarcheState) -> &'static str {
    match state {
        DemarcheState::Brouillon => "Brouillon",
        DemarcheState::Publiee => "Publiée",
        DemarcheState::Close => "Close",
    }
}

fn state_class(state: DemarcheState) -> &'static str {
    match state {
        DemarcheState::Brouillon => "badge badge-neutral",
        DemarcheState::Publiee => "badge badge-success",
        DemarcheState::Close => "badge badge-warning",
    }
}

/// A notice of the last action.
#[component]
pub fn AdminNotice(notice: Option<String>) -> impl IntoView {
    notice.map(|text| {
        view! {
            <div class="notice notice-success" role="status">
                <p>{text}</p>
            </div>
        }
    })
}

/// A labelled textarea with its hint and error, like `TextField`.
#[component]
pub fn TextAreaField(
    #[prop(into)] label: String,
    name: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = 5)] rows: u32,
) -> impl IntoView {
    let id = format!("champ-{}", name.replace('_', "-"));
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    let initial = value.unwrap_or_default();
    let value = move || {
        error
            .get()
            .and_then(|e| e.kept_value(name))
            .unwrap_or_else(|| initial.clone())
    };
    let has_hint = hint.is_some();
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    let describe = {
        let id = id.clone();
        move || crate::ui::form::described_by(has_hint, &id, message.get().is_some())
    };
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <FieldMessage id=error_id message />
            <textarea
                id=id.clone()
                name=name
                rows=rows
                aria-describedby=describe
                aria-invalid=move || message.get().is_some().then_some("true")
                prop:value=value.clone()
            >
                {value.clone()}
            </textarea>
        </div>
    }
}

// ---------------------------------------------------------------- list

/// « Démarches »: every démarche with its state, audience, period, services and dossiers.
#[component]
pub fn AdminDemarchesPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_demarches());
    view! {
        <Title text="Démarches – Administration" />
        <div class="container page page-wide">
            <Breadcrumb trail=vec![("/admin", "Administration")] current="Démarches" />
            <AdminNav current="Démarches" />
            <h1>"Démarches"</h1>
            <p class="button-group">
                <a class="button" href="/admin/demarches/nouvelle">
                    "Créer une démarche"
                </a>
            </p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(e),
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="empty-state">"Aucune démarche pour l’instant."</p> }
                                .into_any()
                        }
                        Ok(rows) => {
                            view! {
                                <table class="table adm-table">
                                    <caption>"Toutes les démarches, par titre"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Démarche"</th>
                                            <th scope="col">"État"</th>
                                            <th scope="col">"Public"</th>
                                            <th scope="col">"Période"</th>
                                            <th scope="col">"Service(s)"</th>
                                            <th scope="col" class="num">"Dossiers"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows
                                            .into_iter()
                                            .map(|r| {
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <a href=format!("/admin/demarches/{}", r.id)>{r.title.clone()}</a>
                                                            {r.featured.then(|| view! { " " <span class="badge badge-info">"À la Une"</span> })}
                                                            {r.unpublished_changes.then(|| view! { " " <span class="badge badge-warning">"Modifications non publiées"</span> })}
                                                        </td>
                                                        <td>
                                                            <span class=state_class(r.state)>{state_label(r.state)}</span>
                                                            {r.version.map(|v| view! { <span class="muted">{format!(" (version {v})")}</span> })}
                                                        </td>
                                                        <td>{r.audience.label()}</td>
                                                        <td>{r.period.clone().unwrap_or_else(|| "Permanente".into())}</td>
                                                        <td>
                                                            {if r.services.is_empty() {
                                                                "Aucun".to_owned()
                                                            } else {
                                                                r.services.join(", ")
                                                            }}
                                                        </td>
                                                        <td class="num">{r.dossiers}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

// ---------------------------------------------------------------- the description form

#[component]
fn SettingsFields(settings: DemarcheSettings, error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <TextField label="Titre" name="settings[title]" value=settings.title error />
        <TextField
            label="Adresse de la page"
            name="settings[slug]"
            hint="La fin de l’adresse : /demarches/… Lettres minuscules sans accent, chiffres et tirets. Laissez vide pour la déduire du titre."
            value=settings.slug
            error
        />
        <TextAreaField
            label="Résumé"
            name="settings[summary]"
            hint="Une ou deux phrases, affichées dans la liste des démarches."
            value=settings.summary
            rows=2
            error
        />
        <TextAreaField
            label="Description"
            name="settings[description]"
            hint="Qui peut demander, à quelles conditions, ce qui se passe ensuite. Mise en forme Markdown : **gras**, listes avec « - »."
            value=settings.description
            rows=10
            error
        />
        <RadioGroup
            legend="Public"
            name="settings[audience]"
            options=vec![
                (Audience::Particuliers.as_str(), Audience::Particuliers.label()),
                (Audience::Organisations.as_str(), Audience::Organisations.label()),
                (Audience::Tous.as_str(), Audience::Tous.label()),
            ]
            selected=settings.audience
            error
        />
        <TextField
            label="Délai de traitement (facultatif)"
            name="settings[processing_time]"
            hint="Par exemple 2 mois"
            value=settings.processing_time
            error
        />
        <TextAreaField
            label="Documents à préparer (facultatif)"
            name="settings[documents]"
            hint="Un document par ligne."
            value=settings.documents
            rows=4
            error
        />
        <TextField
            label="Ouverture (facultatif)"
            name="settings[opens_on]"
            kind="date"
            hint="Avant cette date, la démarche est visible mais n’accepte pas de dossier."
            value=settings.opens_on
            width="input-medium"
            error
        />
        <TextField
            label="Clôture (facultatif)"
            name="settings[closes_on]"
            kind="date"
            hint="Après cette date, plus aucun dossier n’est accepté."
            value=settings.closes_on
            width="input-medium"
            error
        />
    }
}

/// « Créer une démarche ».
#[component]
pub fn NewDemarchePage() -> impl IntoView {
    let action = ServerAction::<CreateDemarche>::new();
    let error = form_error(action);
    let settings = DemarcheSettings {
        audience: Audience::Particuliers.as_str().into(),
        ..Default::default()
    };
    view! {
        <Title text="Créer une démarche – Administration" />
        <div class="container page">
            <Breadcrumb
                trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
                current="Créer une démarche"
            />
            <AdminNav current="Démarches" />
            <h1>"Créer une démarche"</h1>
            <p class="lead">
                "La démarche est créée en brouillon : vous construirez ensuite son formulaire, puis vous la publierez."
            </p>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <ErrorSummary error />
                <SettingsFields settings error />
                <SubmitButton label="Créer la démarche" />
            </ActionForm>
        </div>
    }
}

// ---------------------------------------------------------------- a démarche

/// A démarche in the administration: state and publication, description, services,
/// links to its form, preview and emails.
#[component]
pub fn AdminDemarchePage() -> impl IntoView {
    let id = id_param();
    let update = ServerAction::<UpdateDemarche>::new();
    let publish = ServerAction::<PublishDemarche>::new();
    let open = ServerAction::<SetDemarcheOpen>::new();
    let duplicate = ServerAction::<DuplicateDemarche>::new();
    let attach = ServerAction::<AttachService>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                update.version().get(),
                publish.version().get(),
                open.version().get(),
                attach.version().get(),
            )
        },
        |(id, ..)| admin_demarche(id),
    );
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(d) => {
                            view! { <DemarcheView d update publish open duplicate attach /> }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn DemarcheView(
    d: DemarcheEditor,
    update: ServerAction<UpdateDemarche>,
    publish: ServerAction<PublishDemarche>,
    open: ServerAction<SetDemarcheOpen>,
    duplicate: ServerAction<DuplicateDemarche>,
    attach: ServerAction<AttachService>,
) -> impl IntoView {
    let id = d.id;
    let update_error = form_error(update);
    let publish_error = form_error(publish);
    let open_error = form_error(open);
    let attach_error = form_error(attach);
    let state_error = Signal::derive(move || {
        publish_error
            .get()
            .or_else(|| open_error.get())
            .or_else(|| attach_error.get())
    });
    let title = d.settings.title.clone();
    let can_publish = d.problems.is_empty();
    let publish_label = match (d.state, d.version) {
        (DemarcheState::Brouillon, _) => "Publier la démarche",
        (_, Some(_)) if d.unpublished_changes => "Publier la nouvelle version du formulaire",
        _ => "Publier",
    };
    let show_publish = d.state == DemarcheState::Brouillon || d.unpublished_changes;
    view! {
        <Title text=format!("{title} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
            current=title.clone()
        />
        <AdminNav current="Démarches" />
        <h1>{title.clone()}</h1>
        <AdminNotice notice=d.notice.clone() />
        <ErrorSummary error=state_error />
        <section class="card adm-state" aria-labelledby="titre-etat">
            <h2 id="titre-etat">"État et publication"</h2>
            <dl class="summary-list">
                <div>
                    <dt>"État"</dt>
                    <dd>
                        <span class=state_class(d.state)>{state_label(d.state)}</span>
                    </dd>
                </div>
                <div>
                    <dt>"Formulaire publié"</dt>
                    <dd>
                        {match d.version {
                            Some(v) => format!("Version {v}"),
                            None => "Aucune version publiée".to_owned(),
                        }}
                        {d.unpublished_changes.then(|| view! { " " <span class="badge badge-warning">"Modifications non publiées"</span> })}
                    </dd>
                </div>
                <div>
                    <dt>"Dossiers déposés"</dt>
                    <dd>{d.dossiers}</dd>
                </div>
                {(d.older_version_dossiers > 0).then(|| view! {
                    <div>
                        <dt>"Sur une version antérieure"</dt>
                        <dd>{format!("{} dossier(s) ou brouillon(s) gardent la version sur laquelle ils ont été commencés.", d.older_version_dossiers)}</dd>
                    </div>
                })}
                {(d.state != DemarcheState::Brouillon).then(|| view! {
                    <div>
                        <dt>"Page publique"</dt>
                        <dd><a href=format!("/demarches/{}", d.settings.slug)>{format!("/demarches/{}", d.settings.slug)}</a></dd>
                    </div>
                })}
            </dl>
            <p class="button-group">
                <a class="button button-secondary" href=format!("/admin/demarches/{id}/formulaire")>"Modifier le formulaire"</a>
                <a class="button button-secondary" href=format!("/admin/demarches/{id}/apercu")>"Aperçu du formulaire"</a>
                <a class="button button-secondary" href=format!("/admin/demarches/{id}/courriels")>"Courriels"</a>
            </p>
            {(!d.problems.is_empty()).then(|| view! {
                <div class="notice notice-warning">
                    <p class="notice-title">"Le formulaire ne peut pas encore être publié. Corrigez :"</p>
                    <ul>
                        {d.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}
                    </ul>
                </div>
            })}
            <div class="button-group">
                {(show_publish && can_publish).then(|| view! {
                    <ActionForm action=publish attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" class="button">{publish_label}</button>
                    </ActionForm>
                })}
                {(d.state == DemarcheState::Publiee).then(|| view! {
                    <ActionForm action=open attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" name="ouvrir" value="false" class="button button-secondary">"Clore la démarche"</button>
                    </ActionForm>
                })}
                {(d.state == DemarcheState::Close).then(|| view! {
                    <ActionForm action=open attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" name="ouvrir" value="true" class="button button-secondary">"Rouvrir la démarche"</button>
                    </ActionForm>
                })}
                <ActionForm action=duplicate attr:class="inline-form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <button type="submit" class="button button-secondary">"Dupliquer"</button>
                </ActionForm>
            </div>
            {show_publish.then(|| view! {
                <p class="hint">
                    "Publier fige une version du formulaire : les dossiers déjà commencés gardent la leur, les nouveaux utilisent celle-ci."
                </p>
            })}
        </section>

        <section class="card" aria-labelledby="titre-description">
            <h2 id="titre-description">"Description"</h2>
            <p class="hint">"Les changements de la description s’affichent dès leur enregistrement."</p>
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <ErrorSummary error=update_error />
                <input type="hidden" name="id" value=id.to_string() />
                <SettingsFields settings=d.settings.clone() error=update_error />
                <SubmitButton label="Enregistrer la description" />
            </ActionForm>
        </section>

        <section class="card" id="services" aria-labelledby="titre-services">
            <h2 id="titre-services">"Services instructeurs"</h2>
            {d.services.is_empty().then(|| view! {
                <p>"Aucun service n’existe encore : " <a href="/admin/services">"créez-en un"</a> "."</p>
            })}
            <ul class="adm-choices" role="list">
                {d.services.clone().into_iter().map(|s| {
                    let label = if s.chosen { "Détacher" } else { "Rattacher" };
                    view! {
                        <li>
                            <span>{s.name.clone()}</span>
                            {s.chosen.then(|| view! { " " <span class="badge badge-success">"Instruit cette démarche"</span> })}
                            <ActionForm action=attach attr:class="inline-form">
                                <input type="hidden" name="service_id" value=s.id.to_string() />
                                <input type="hidden" name="demarche_id" value=id.to_string() />
                                <input type="hidden" name="rattacher" value=(!s.chosen).to_string() />
                                <input type="hidden" name="retour" value="demarche" />
                                <button type="submit" class="button button-secondary button-small">
                                    {label}
                                    <span class="visually-hidden">{format!(" le service « {} »", s.name)}</span>
                                </button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

// ---------------------------------------------------------------- emails

/// « Courriels »: each notification email of the démarche, its text (custom or the
/// portal's) and a preview with sample values.
#[component]
pub fn AdminEmailsPage() -> impl IntoView {
    let id = id_param();
    let save = ServerAction::<SaveEmail>::new();
    let reset = ServerAction::<ResetEmail>::new();
    let data = Resource::new(
        move || (id(), save.version().get(), reset.version().get()),
        |(id, ..)| admin_demarche(id),
    );
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(d) => view! { <EmailsView d save reset /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn EmailsView(
    d: DemarcheEditor,
    save: ServerAction<SaveEmail>,
    reset: ServerAction<ResetEmail>,
) -> impl IntoView {
    let title = d.settings.title.clone();
    let id = d.id;
    let save_error = form_error(save);
    // The kind of the form that failed: its typed text comes back in it.
    let failed_kind = Signal::derive(move || save_error.get().and_then(|e| e.kept_value("kind")));
    view! {
        <Title text=format!("Courriels : {title} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
            more=vec![(format!("/admin/demarches/{id}"), title.clone())]
            current="Courriels"
        />
        <AdminNav current="Démarches" />
        <h1>{format!("Courriels : {title}")}</h1>
        <AdminNotice notice=d.notice.clone() />
        <p class="lead">
            "Le portail envoie ces courriels aux usagers. Sans texte personnalisé, il utilise le sien. Vous pouvez écrire le vôtre avec ces variables :"
        </p>
        <ul class="adm-variables">
            {EMAIL_VARIABLES
                .iter()
                .map(|(name, meaning)| view! { <li><code>{format!("{{{name}}}")}</code>" : "{*meaning}</li> })
                .collect_view()}
        </ul>
        <p class="hint">
            "Un paragraphe qui contient {message} n’est pas envoyé quand les services n’ont pas écrit de message. Le bouton « Voir mon dossier » est toujours ajouté ; pour un refus, les voies de recours aussi."
        </p>
        {d.emails
            .into_iter()
            .map(|e| view! { <EmailCard id e save reset failed_kind save_error /> })
            .collect_view()}
    }
}

#[component]
fn EmailCard(
    id: i32,
    e: EmailSetting,
    save: ServerAction<SaveEmail>,
    reset: ServerAction<ResetEmail>,
    failed_kind: Signal<Option<String>>,
    save_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let kind = e.kind.as_str();
    let anchor = format!("courriel-{kind}");
    let heading_id = format!("titre-{anchor}");
    // Errors belong to the form that sent them (without JavaScript the address says
    // which; then every form would show them: only the one of the same kind does).
    let error = Signal::derive(move || {
        let mine = failed_kind.get().is_none_or(|k| k == kind);
        save_error.get().filter(|_| mine)
    });
    let subject_id = format!("objet-{kind}");
    let body_id = format!("texte-{kind}");
    let subject_message =
        Signal::derive(move || error.get().and_then(|e| e.field_message("subject")));
    let body_message = Signal::derive(move || error.get().and_then(|e| e.field_message("body")));
    let subject = {
        let initial = e.subject.clone();
        move || {
            error
                .get()
                .and_then(|e| e.kept_value("subject"))
                .unwrap_or_else(|| initial.clone())
        }
    };
    let body = {
        let initial = e.body.clone();
        move || {
            error
                .get()
                .and_then(|e| e.kept_value("body"))
                .unwrap_or_else(|| initial.clone())
        }
    };
    view! {
        <section class="card adm-email" id=anchor aria-labelledby=heading_id.clone()>
            <h2 id=heading_id.clone()>{e.kind.label()}</h2>
            <p>
                {if e.customised {
                    view! { <span class="badge badge-info">"Texte personnalisé"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-neutral">"Texte du portail"</span> }.into_any()
                }}
            </p>
            <div class="adm-email-preview" aria-label=format!("Aperçu : {}", e.kind.label()) role="group">
                <p class="adm-email-subject">
                    <span class="muted">"Objet : "</span>
                    {e.preview_subject.clone()}
                </p>
                {e.preview_paragraphs.iter().map(|p| view! { <p>{p.clone()}</p> }).collect_view()}
                <p><span class="adm-email-button">"Voir mon dossier"</span></p>
            </div>
            <details class="adm-email-edit" open=move || error.get().is_some()>
                <summary>
                    {if e.customised { "Modifier le texte" } else { "Personnaliser ce courriel" }}
                </summary>
                <ActionForm action=save attr:class="form" attr:novalidate=true>
                    <ErrorSummary error />
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="kind" value=kind />
                    <div class="field" class:field-error=move || subject_message.get().is_some()>
                        <label for=subject_id.clone()>"Objet"</label>
                        <FieldMessage id=format!("{subject_id}-erreur") message=subject_message />
                        <input
                            id=subject_id.clone()
                            name="subject"
                            type="text"
                            prop:value=subject.clone()
                            value=subject
                            aria-invalid=move || subject_message.get().is_some().then_some("true")
                            aria-describedby=move || subject_message.get().map(|_| format!("objet-{kind}-erreur"))
                        />
                    </div>
                    <div class="field" class:field-error=move || body_message.get().is_some()>
                        <label for=body_id.clone()>"Texte"</label>
                        <p class="hint" id=format!("{body_id}-aide")>"Séparez les paragraphes par une ligne vide."</p>
                        <FieldMessage id=format!("{body_id}-erreur") message=body_message />
                        <textarea
                            id=body_id.clone()
                            name="body"
                            rows=10
                            prop:value=body.clone()
                            aria-invalid=move || body_message.get().is_some().then_some("true")
                            aria-describedby=move || {
                                if body_message.get().is_some() {
                                    format!("texte-{kind}-aide texte-{kind}-erreur")
                                } else {
                                    format!("texte-{kind}-aide")
                                }
                            }
                        >
                            {body.clone()}
                        </textarea>
                    </div>
                    <div class="button-group">
                        <button type="submit" class="button">
                            "Enregistrer ce courriel"
                        </button>
                    </div>
                </ActionForm>
                {e.customised.then(|| view! {
                    <ActionForm action=reset attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="kind" value=kind />
                        <button type="submit" class="button button-secondary">"Revenir au texte du portail"</button>
                    </ActionForm>
                })}
            </details>
        </section>
    }
}
