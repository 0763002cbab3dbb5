//! Pages of dossiers: « Commencer la démarche », a form page, « Vérifiez vos
//! réponses », « Mes brouillons », « Mes dossiers » and a dossier's page.

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    DeleteDraft, DuplicateDossier, StartDossier, SubmitDossier, draft_page, get_dossier,
    my_dossiers, my_drafts, review_dossier, start_choices,
};
use super::model::{DossierStatus, DossierView, FileRow, FillPage};
use crate::account::pages::{AccountSubPage, FlashMessage, error_view};
use crate::error::FieldError;
use crate::forms::view::{FieldContext, FormErrorSummary, PageFields};
use crate::forms::{ReviewItem, ReviewPage};
use crate::ui::form::{ErrorSummary, form_error};
use crate::ui::{Breadcrumb, Loading, Pagination};

fn param(name: &'static str) -> impl Fn() -> i32 + Clone + Send + Sync + 'static {
    let params = use_params_map();
    move || {
        params
            .read()
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The status badge: colour by who the dossier waits for.
#[component]
pub fn StatusBadge(status: DossierStatus) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", status.tone())>{status.label()}</span> }
}

/// « Déposé → En cours d’instruction → Décision ».
#[component]
pub fn ProgressSteps(status: DossierStatus) -> impl IntoView {
    let reached = status.progress();
    let decision = match status {
        DossierStatus::Accepte | DossierStatus::Refuse | DossierStatus::ClasseSansSuite => {
            format!("Décision : {}", status.label().to_lowercase())
        }
        _ => "Décision".to_owned(),
    };
    let steps = [
        (1u8, "Déposé".to_owned()),
        (2, "En cours d’instruction".to_owned()),
        (3, decision),
    ];
    view! {
        <ol class="progress-steps" role="list" aria-label="Avancement du dossier">
            {steps
                .into_iter()
                .map(|(n, label)| {
                    let state = if n < reached {
                        "done"
                    } else if n == reached {
                        "current"
                    } else {
                        "todo"
                    };
                    let sr = match state {
                        "done" => "Étape franchie : ",
                        "current" => "Étape actuelle : ",
                        _ => "Étape à venir : ",
                    };
                    view! {
                        <li class=format!("progress-step progress-{state}")
                            aria-current=(state == "current").then_some("step")>
                            <span class="visually-hidden">{sr}</span>
                            {label}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

// ---------------------------------------------------------------- start

/// « Commencer la démarche »: for whom the person files.
#[component]
pub fn StartPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let options = Resource::new(slug, start_choices);
    let action = ServerAction::<StartDossier>::new();
    let error = form_error(action);
    view! {
        <Title text="Commencer la démarche" />
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match options.await {
                        Err(e) => error_view(e),
                        Ok(o) => {
                            let href = format!("/demarches/{}", o.slug);
                            let title = o.title.clone();
                            let body = if !o.open {
                                view! {
                                    <p class="lead">"Cette démarche n’accepte pas de demande en ce moment."</p>
                                }
                                    .into_any()
                            } else if o.profiles.is_empty() {
                                view! {
                                    <p class="lead">
                                        {format!(
                                            "Cette démarche est réservée aux profils suivants : {}. Aucun de vos profils ne peut la déposer.",
                                            o.audience.to_lowercase(),
                                        )}
                                    </p>
                                    <p>
                                        <a class="button" href="/mon-compte/profils?ajouter=1">
                                            "Ajouter ou rejoindre un profil"
                                        </a>
                                    </p>
                                }
                                    .into_any()
                            } else {
                                let single = o.profiles.len() == 1;
                                let first = o.profiles.first().map(|p| p.id).unwrap_or_default();
                                view! {
                                    <ActionForm action attr:class="form" attr:novalidate=true>
                                        <ErrorSummary error />
                                        <input type="hidden" name="slug" value=o.slug.clone() />
                                        {if single {
                                            let p = o.profiles[0].clone();
                                            view! {
                                                <p>
                                                    "Vous déposez cette demande en tant que : "
                                                    <strong>{p.name}</strong>
                                                </p>
                                                <input type="hidden" name="profil" value=first.to_string() />
                                            }
                                                .into_any()
                                        } else {
                                            view! {
                                                <div class="field">
                                                    <fieldset id="champ-profil">
                                                        <legend>"Pour qui déposez-vous cette demande ?"</legend>
                                                        {o
                                                            .profiles
                                                            .iter()
                                                            .enumerate()
                                                            .map(|(i, p)| {
                                                                let id = format!("profil-{}", p.id);
                                                                view! {
                                                                    <div class="choice">
                                                                        <input
                                                                            type="radio"
                                                                            name="profil"
                                                                            id=id.clone()
                                                                            value=p.id.to_string()
                                                                            checked=i == 0
                                                                        />
                                                                        <label for=id>{p.name.clone()}</label>
                                                                    </div>
                                                                }
                                                            })
                                                            .collect_view()}
                                                    </fieldset>
                                                </div>
                                            }
                                                .into_any()
                                        }}
                                        <p class="hint">
                                            "Votre demande est enregistrée comme brouillon à chaque page : vous pourrez l’interrompre et la reprendre depuis « Mes brouillons »."
                                        </p>
                                        <div class="button-group">
                                            <button type="submit" class="button">"Commencer la démarche"</button>
                                        </div>
                                    </ActionForm>
                                }
                                    .into_any()
                            };
                            view! {
                                <Breadcrumb trail=vec![("/demarches", "Toutes les démarches")] current=title.clone() />
                                <h1>{title}</h1>
                                {body}
                                <p>
                                    <a href=href>"Retour à la présentation de la démarche"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

// ---------------------------------------------------------------- stepper

#[component]
pub fn Stepper(step: usize, steps: usize, title: String, next: Option<String>) -> impl IntoView {
    view! {
        <div class="stepper">
            <p class="stepper-state">
                <span class="stepper-count">{format!("Étape {step} sur {steps}")}</span>
                " : "
                {title}
            </p>
            <div class="stepper-bar" aria-hidden="true">
                {(1..=steps)
                    .map(|i| {
                        let class = if i < step {
                            "stepper-segment done"
                        } else if i == step {
                            "stepper-segment current"
                        } else {
                            "stepper-segment"
                        };
                        view! { <span class=class></span> }
                    })
                    .collect_view()}
            </div>
            {next.map(|n| view! { <p class="stepper-next"><span class="stepper-next-label">"Étape suivante : "</span>{n}</p> })}
        </div>
    }
}

// ---------------------------------------------------------------- fill

/// One page of the form.
#[component]
pub fn FillFormPage() -> impl IntoView {
    let id = param("id");
    let page = param("page");
    let query = use_query_map();
    let check = move || query.read().get("erreurs").is_some();
    let data = Resource::new(
        move || (id(), page(), check(), query.read().get("t")),
        |(id, page, check, _)| draft_page(id, page.max(0) as usize, check),
    );
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(fill) => view! { <FillForm fill /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn labels_of(page: &crate::forms::FormPage) -> std::collections::BTreeMap<String, String> {
    let mut labels = std::collections::BTreeMap::new();
    for f in &page.fields {
        labels.insert(f.key.clone(), f.label.clone());
    }
    labels
}

#[component]
fn FillForm(fill: FillPage) -> impl IntoView {
    let title = format!(
        "Étape {} sur {} : {} – {}",
        fill.step, fill.steps, fill.page.title, fill.demarche_title
    );
    view! {
        <Title text=title />
        <Breadcrumb trail=vec![("/mon-compte/brouillons", "Mes brouillons")] current=fill.demarche_title.clone() />
        <FlashMessage />
        <p class="form-context">
            {fill.demarche_title.clone()}
            <span class="form-profile">{format!(" — pour {}", fill.profile_name)}</span>
        </p>
        <Stepper step=fill.step steps=fill.steps title=fill.page.title.clone() next=None />
        {(!fill.notices.is_empty())
            .then(|| {
                view! {
                    <div class="notice notice-error" role="alert">
                        <p class="notice-title">"Certains fichiers n’ont pas été ajoutés"</p>
                        <ul>
                            {fill.notices.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                        </ul>
                    </div>
                }
            })}
        <DossierForm fill />
    }
}

/// The page's questions and their form, an island: once the client runs, it checks the
/// answers before they are sent (with the server's own code), shows or hides the
/// questions whose condition is on this page as the person answers, saves the draft as
/// they type, and sends files with a progress bar. Without it, the form posts as is.
#[island(lazy)]
fn DossierForm(fill: FillPage) -> impl IntoView {
    crate::island_hydrated();
    let errors = RwSignal::new(fill.errors.clone());
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let live = RwSignal::new(fill.answers.clone());
    let action = format!("/dossiers/{}/etape/{}", fill.dossier_id, fill.index + 1);
    let ctx = FieldContext {
        answers: fill.answers.clone(),
        files: fill.files.clone(),
        errors: errors.into(),
        max_file_mb: fill.max_file_mb,
        live,
        scripted: scripted.into(),
        labels: labels_of(&fill.page),
        hidden_fields: fill.hidden_fields.clone(),
    };
    let saved = RwSignal::new(None::<String>);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let enhance = client::Enhancer {
        page: fill.page.clone(),
        answers: fill.answers.clone(),
        files: fill.files.clone(),
        today: fill.today.clone(),
        errors,
        live,
        saved,
        form: form_ref,
        action: action.clone(),
    };
    let on_submit = {
        let enhance = enhance.clone();
        move |ev: leptos::ev::SubmitEvent| enhance.on_submit(ev)
    };
    let on_change = {
        let enhance = enhance.clone();
        move |_ev: leptos::ev::Event| enhance.on_change()
    };
    let on_input = {
        let enhance = enhance.clone();
        move |_ev: leptos::ev::Event| enhance.on_input()
    };
    let previous = fill.previous;
    let is_complements = fill.status == DossierStatus::ComplementsDemandes;
    view! {
        <FormErrorSummary errors=errors.into() />
        <h1>{fill.page.title.clone()}</h1>
        {fill.page.intro.clone().map(|i| view! { <p class="lead">{i}</p> })}
        {is_complements
            .then(|| view! { <p class="notice notice-warning">"Les services instructeurs vous ont demandé des compléments : modifiez vos réponses puis transmettez les compléments."</p> })}
        <form
            method="post"
            action=action
            enctype="multipart/form-data"
            class="form dossier-form"
            novalidate=true
            node_ref=form_ref
            on:submit=on_submit
            on:change=on_change
            on:input=on_input
        >
            // Enter in a text field presses the first button: make it « Page suivante ».
            <button type="submit" name="action" value="suivante" class="visually-hidden" tabindex="-1" aria-hidden="true">
                "Page suivante"
            </button>
            <PageFields page=fill.page.clone() ctx />
            <div class="button-group form-navigation">
                {previous
                    .map(|_| {
                        view! {
                            <button type="submit" name="action" value="precedente" class="button button-secondary" formnovalidate=true>
                                "Page précédente"
                            </button>
                        }
                    })}
                <button type="submit" name="action" value="suivante" class="button">
                    "Page suivante"
                </button>
            </div>
            <div class="button-group">
                <button type="submit" name="action" value="enregistrer" class="button button-tertiary" formnovalidate=true>
                    "Enregistrer le brouillon"
                </button>
                <p class="autosave-status" role="status" aria-live="polite">
                    {move || saved.get()}
                </p>
            </div>
        </form>
    }
}

// ---------------------------------------------------------------- review

pub fn answer_rows(
    pages: Vec<ReviewPage>,
    files: Vec<FileRow>,
    change: Option<i32>,
    nested: bool,
) -> impl IntoView {
    pages
        .into_iter()
        .map(|p| {
            let href = change.map(|id| format!("/dossiers/{id}/etape/{}", p.index + 1));
            let page_title = p.title.clone();
            view! {
                <section class="review-page">
                    <div class="review-heading">
                        {if nested {
                            view! { <h3>{p.title.clone()}</h3> }.into_any()
                        } else {
                            view! { <h2>{p.title.clone()}</h2> }.into_any()
                        }}
                        {href.clone().map(|href| view! {
                            <a href=href>"Modifier"<span class="visually-hidden">{format!(" : {page_title}")}</span></a>
                        })}
                    </div>
                    <dl class="summary-list">
                        {p.items
                            .into_iter()
                            .map(|item| match item {
                                ReviewItem::Heading(h) => view! { <div class="summary-heading"><dt>{h}</dt><dd></dd></div> }.into_any(),
                                ReviewItem::Answer { label, lines, path, .. } => {
                                    let own: Vec<FileRow> = files.iter().filter(|f| f.field_path == path).cloned().collect();
                                    let value = if own.is_empty() {
                                        lines.into_iter().map(|l| view! { <span class="summary-line">{l}</span> }).collect_view().into_any()
                                    } else {
                                        view! {
                                            <ul class="file-list" role="list">
                                                {own.into_iter().map(|f| view! {
                                                    <li>
                                                        <a href=f.href() download="">{f.name.clone()}</a>{format!(" ({}, {}) ", f.kind, f.size)}
                                                        <a href=format!("{}?apercu=1", f.href()) class="file-open">"Ouvrir"<span class="visually-hidden">{format!(" {}", f.name)}</span></a>
                                                    </li>
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    };
                                    view! {
                                        <div class="summary-row">
                                            <dt>{label}</dt>
                                            <dd>{value}</dd>
                                        </div>
                                    }
                                        .into_any()
                                }
                            })
                            .collect_view()}
                    </dl>
                </section>
            }
        })
        .collect_view()
}

/// « Vérifiez vos réponses », then « Transmettre ».
#[component]
pub fn ReviewFormPage() -> impl IntoView {
    let id = param("id");
    let data = Resource::new(id, review_dossier);
    let action = ServerAction::<SubmitDossier>::new();
    let error = form_error(action);
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(r) => {
                            let title = format!("Étape {} sur {} : Vérifiez vos réponses – {}", r.steps, r.steps, r.demarche_title);
                            let problem = r.problem.clone();
                            let complements = r.status == DossierStatus::ComplementsDemandes;
                            view! {
                                <Title text=title />
                                <Breadcrumb trail=vec![("/mon-compte/brouillons", "Mes brouillons")] current=r.demarche_title.clone() />
                                <p class="form-context">
                                    {r.demarche_title.clone()}
                                    <span class="form-profile">{format!(" — pour {}", r.profile_name)}</span>
                                </p>
                                <Stepper step=r.steps steps=r.steps title="Vérifiez vos réponses".to_owned() next=None />
                                <h1>"Vérifiez vos réponses"</h1>
                                {problem
                                    .clone()
                                    .map(|(page, errors)| {
                                        view! {
                                            <div class="error-summary" role="alert">
                                                <h2>"Votre demande n’est pas complète"</h2>
                                                <ul>
                                                    {errors.into_iter().map(|e: FieldError| {
                                                        let href = format!("/dossiers/{}/etape/{page}?erreurs=1#{}", r.dossier_id, crate::forms::input_id(&e.field));
                                                        view! { <li><a href=href>{e.message}</a></li> }
                                                    }).collect_view()}
                                                </ul>
                                            </div>
                                        }
                                    })}
                                {answer_rows(r.pages.clone(), r.files.clone(), Some(r.dossier_id), false)}
                                {problem
                                    .is_none()
                                    .then(|| {
                                        view! {
                                            <section class="declaration">
                                                <h2>{if complements { "Transmettre les compléments" } else { "Transmettre votre demande" }}</h2>
                                                <p>{if complements {
                                                    "En transmettant les compléments, vous certifiez que les informations fournies sont exactes. Votre dossier retourne aux services instructeurs, qui reprennent son examen."
                                                } else {
                                                    "En transmettant cette demande, vous certifiez que les informations fournies sont exactes. Vous ne pourrez plus la modifier, sauf si les services instructeurs vous demandent des compléments."
                                                }}</p>
                                                <ActionForm action attr:class="form">
                                                    <ErrorSummary error />
                                                    <input type="hidden" name="id" value=r.dossier_id.to_string() />
                                                    <div class="button-group">
                                                        <button type="submit" class="button">{if complements { "Transmettre les compléments" } else { "Transmettre" }}</button>
                                                    </div>
                                                </ActionForm>
                                            </section>
                                        }
                                    })}
                                <p>
                                    <a href=format!("/dossiers/{}/etape/{}", r.dossier_id, r.last_page)>"Page précédente"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

// ---------------------------------------------------------------- lists

#[component]
pub fn DraftsPage() -> impl IntoView {
    let drafts = Resource::new(|| (), |_| my_drafts());
    view! {
        <AccountSubPage
            title="Mes brouillons"
            content=move |_| {
                view! {
                    <FlashMessage />
                    <Suspense fallback=Loading>
                        {move || Suspend::new(async move {
                            match drafts.await {
                                Err(e) => error_view(e),
                                Ok(list) if list.is_empty() => view! {
                                    <p class="empty-state">"Vous n’avez aucun brouillon."</p>
                                    <p>"Une demande commencée et pas encore transmise est enregistrée ici comme brouillon : vous pourrez la modifier, la compléter puis la transmettre aux services instructeurs."</p>
                                    <p><a class="button" href="/demarches">"Toutes les démarches"</a></p>
                                }.into_any(),
                                Ok(list) => view! {
                                    <ul class="card-list" role="list">
                                        {list.into_iter().map(|d| {
                                            let resume = format!("/dossiers/{}/etape/1", d.id);
                                            let transmit = match d.first_problem {
                                                None => format!("/dossiers/{}/verification", d.id),
                                                Some(page) => format!("/dossiers/{}/etape/{page}?erreurs=1", d.id),
                                            };
                                            let complete = d.first_problem.is_none();
                                            let percent = d.percent();
                                            let delete = format!("/mon-compte/brouillons/{}/supprimer", d.id);
                                            let title = d.demarche_title.clone();
                                            view! {
                                                <li class="card dossier-card">
                                                    <h2 class="card-title">{d.demarche_title.clone()}</h2>
                                                    <dl class="meta-list">
                                                        <div><dt>"Profil"</dt><dd>{d.profile_name.clone()}</dd></div>
                                                        <div><dt>"Dernière modification"</dt><dd>{d.updated.clone()}</dd></div>
                                                        <div>
                                                            <dt>"Avancement"</dt>
                                                            <dd>
                                                                {if complete { "Complet, prêt à être transmis".to_owned() } else { format!("{} réponses obligatoires sur {} ({percent} %)", d.answered, d.required) }}
                                                                <progress max="100" value=percent.to_string() aria-hidden="true"></progress>
                                                            </dd>
                                                        </div>
                                                    </dl>
                                                    <div class="button-group">
                                                        <a class="button" href=resume>"Reprendre"<span class="visually-hidden">{format!(" : {title}")}</span></a>
                                                        <a class="button button-secondary" href=transmit>
                                                            {if complete { "Transmettre" } else { "Compléter pour transmettre" }}
                                                            <span class="visually-hidden">{format!(" : {title}")}</span>
                                                        </a>
                                                        <a class="button button-tertiary" href=delete>"Supprimer"<span class="visually-hidden">{format!(" : {title}")}</span></a>
                                                    </div>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                            }
                        })}
                    </Suspense>
                }
            }
        />
    }
}

/// « Supprimer » a draft: a confirmation first.
#[component]
pub fn DeleteDraftPage() -> impl IntoView {
    let id = param("id");
    let action = ServerAction::<DeleteDraft>::new();
    let error = form_error(action);
    view! {
        <Title text="Supprimer un brouillon" />
        <div class="container page">
            <Breadcrumb trail=vec![("/mon-compte", "Mon compte"), ("/mon-compte/brouillons", "Mes brouillons")] current="Supprimer un brouillon" />
            <h1>"Supprimer ce brouillon ?"</h1>
            <p class="lead">"Le brouillon, vos réponses et les fichiers joints seront définitivement supprimés."</p>
            <ActionForm action attr:class="form">
                <ErrorSummary error />
                <input type="hidden" name="id" value=move || id().to_string() />
                <div class="button-group">
                    <button type="submit" class="button button-danger">"Supprimer le brouillon"</button>
                    <a class="button button-secondary" href="/mon-compte/brouillons">"Annuler"</a>
                </div>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn DossiersPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let list = Resource::new(page, my_dossiers);
    view! {
        <AccountSubPage
            title="Mes dossiers"
            content=move |_| {
                view! {
                    <Suspense fallback=Loading>
                        {move || Suspend::new(async move {
                            match list.await {
                                Err(e) => error_view(e),
                                Ok(list) if list.total == 0 => view! {
                                    <p class="empty-state">"Vous n’avez déposé aucun dossier."</p>
                                    <p>"Chaque demande que vous transmettez apparaît ici avec son statut et son avancement ; vous pourrez aussi en télécharger une copie."</p>
                                    <p><a class="button" href="/demarches">"Toutes les démarches"</a></p>
                                }.into_any(),
                                Ok(list) => {
                                    let (first, last) = list.range();
                                    let count = match (list.pages, list.total) {
                                        (1, 1) => "1 dossier".to_owned(),
                                        (1, total) => format!("{total} dossiers"),
                                        (_, total) if first == last => format!("Dossier {first} sur {total}"),
                                        (_, total) => format!("Dossiers {first} à {last} sur {total}"),
                                    };
                                    view! {
                                        {(list.page > 1).then(|| view! {
                                            <Title text=format!("Mes dossiers, page {} sur {}", list.page, list.pages) />
                                        })}
                                        <p class="list-count">{count}</p>
                                        <ul class="card-list" role="list">
                                            {list.rows.into_iter().map(|d| {
                                                let href = format!("/mon-compte/dossiers/{}", d.id);
                                                view! {
                                                    <li class="card dossier-card">
                                                        <h2 class="card-title">
                                                            <a href=href>{format!("Dossier {} — {}", d.number, d.demarche_title)}</a>
                                                        </h2>
                                                        <p><StatusBadge status=d.status /></p>
                                                        <ProgressSteps status=d.status />
                                                        <p class="next-step">{d.status.next_step()}</p>
                                                        <dl class="meta-list">
                                                            <div><dt>"Profil"</dt><dd>{d.profile_name.clone()}</dd></div>
                                                            <div><dt>"Déposé le"</dt><dd>{d.submitted.clone()}</dd></div>
                                                        </dl>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                        <Pagination page=list.page pages=list.pages base="/mon-compte/dossiers" label="Pages de mes dossiers" />
                                    }.into_any()
                                }
                            }
                        })}
                    </Suspense>
                }
            }
        />
    }
}

/// A filed dossier: status, history, answers, files, « Télécharger », « Dupliquer ».
#[component]
pub fn DossierPage() -> impl IntoView {
    let id = param("id");
    let data = Resource::new(id, get_dossier);
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(d) => view! { <DossierDetail d /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn DossierDetail(d: DossierView) -> impl IntoView {
    let duplicate = ServerAction::<DuplicateDossier>::new();
    let error = form_error(duplicate);
    let title = format!("Dossier {}", d.number);
    let pdf = format!("/mon-compte/dossiers/{}/copie.pdf", d.id);
    let editable = d.status.editable_by_citizen();
    view! {
        <Title text=format!("{title} – {}", d.demarche_title) />
        <Breadcrumb trail=vec![("/mon-compte", "Mon compte"), ("/mon-compte/dossiers", "Mes dossiers")] current=title.clone() />
        <FlashMessage />
        <h1>{title}" "<span class="h1-sub">{d.demarche_title.clone()}</span></h1>
        <div class="dossier-status card">
            <p><StatusBadge status=d.status /></p>
            <ProgressSteps status=d.status />
            <p class="next-step">{d.status.next_step()}</p>
            {editable.then(|| view! { <p><a class="button" href=format!("/dossiers/{}/etape/1", d.id)>"Compléter mon dossier"</a></p> })}
        </div>
        <dl class="meta-list">
            <div><dt>"Profil"</dt><dd>{d.profile_name.clone()}</dd></div>
            <div><dt>"Déposé par"</dt><dd>{d.filer.clone()}</dd></div>
            <div><dt>"Déposé le"</dt><dd>{d.submitted.clone()}</dd></div>
        </dl>
        <div class="button-group">
            <a class="button button-secondary" href=pdf download="">"Télécharger"<span class="visually-hidden">" une copie du dossier (PDF)"</span></a>
            <ActionForm action=duplicate attr:class="inline-form">
                <input type="hidden" name="id" value=d.id.to_string() />
                <button type="submit" class="button button-tertiary">"Dupliquer"<span class="visually-hidden">" ce dossier dans un nouveau brouillon"</span></button>
            </ActionForm>
        </div>
        <ErrorSummary error />
        <section aria-labelledby="titre-historique">
            <h2 id="titre-historique">"Historique"</h2>
            <ol class="timeline" role="list">
                {d.events.iter().rev().map(|e| view! {
                    <li>
                        <p><strong>{e.status.label()}</strong>" — "{e.date.clone()}</p>
                        {e.message.clone().map(|m| view! { <div class="instructor-message"><p class="visually-hidden">"Message des services instructeurs : "</p><blockquote><p>{m}</p></blockquote></div> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <crate::backoffice::pages::CitizenThread id=d.id max_file_mb=d.max_file_mb messages=d.messages.clone() flash=d.flash.clone() />
        <section aria-labelledby="titre-reponses">
            <h2 id="titre-reponses">"Vos réponses"</h2>
            {answer_rows(d.pages.clone(), d.files.clone(), None, true)}
        </section>
    }
}

/// Progressive enhancement of the form page: client-side validation with the shared
/// code, live conditions, saving as the person types, uploads with a progress bar.
mod client {
    use leptos::prelude::*;

    use crate::dossiers::model::FileRow;
    use crate::error::FieldError;
    use crate::forms::{Answers, FormPage};

    #[derive(Clone)]
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub struct Enhancer {
        pub page: FormPage,
        pub answers: Answers,
        pub files: Vec<FileRow>,
        pub today: String,
        pub errors: RwSignal<Vec<FieldError>>,
        pub live: RwSignal<Answers>,
        pub saved: RwSignal<Option<String>>,
        pub form: NodeRef<leptos::html::Form>,
        pub action: String,
    }

    #[cfg(feature = "hydrate")]
    mod browser {
        use std::cell::Cell;

        use leptos::prelude::*;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        use super::Enhancer;
        use crate::forms::{self, FileCounts};

        type FormEntries = (
            web_sys::HtmlFormElement,
            web_sys::FormData,
            Vec<(String, String)>,
        );

        thread_local! {
            static TIMER: Cell<Option<i32>> = const { Cell::new(None) };
        }

        impl Enhancer {
            /// The form's text entries as (name, value) pairs, files left out.
            fn pairs(&self) -> Option<FormEntries> {
                let form: web_sys::HtmlFormElement = self.form.get_untracked()?;
                let data = web_sys::FormData::new_with_form(&form).ok()?;
                let mut pairs = Vec::new();
                let entries = js_sys::try_iter(&data).ok()??;
                for entry in entries.flatten() {
                    let entry: js_sys::Array = entry.unchecked_into();
                    let name = entry.get(0).as_string().unwrap_or_default();
                    if let Some(value) = entry.get(1).as_string() {
                        pairs.push((name, value));
                    }
                }
                Some((form, data, pairs))
            }

            fn counts(&self) -> FileCounts {
                let mut counts = FileCounts::new();
                for f in &self.files {
                    *counts.entry(f.field_path.clone()).or_default() += 1;
                }
                counts
            }

            pub fn on_submit(&self, ev: leptos::ev::SubmitEvent) {
                let submitter = ev
                    .submitter()
                    .and_then(|b| b.dyn_into::<web_sys::HtmlButtonElement>().ok())
                    .map(|b| b.value())
                    .unwrap_or_else(|| "suivante".into());
                if submitter == "suivante" {
                    let Some((_, _, pairs)) = self.pairs() else {
                        return;
                    };
                    let mut answers = self.answers.clone();
                    forms::read_page(&self.page, &pairs, &mut answers);
                    // Files chosen but not yet sent count as attached: they go with the post.
                    let mut counts = self.counts();
                    if let Some(form) = self.form.get_untracked() {
                        let inputs = form.query_selector_all("input[type=file]").ok();
                        if let Some(inputs) = inputs {
                            for i in 0..inputs.length() {
                                if let Some(input) = inputs
                                    .get(i)
                                    .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
                                {
                                    let chosen =
                                        input.files().map(|f| f.length()).unwrap_or(0) as usize;
                                    if chosen > 0 {
                                        let path =
                                            input.name().trim_start_matches("fichier:").to_owned();
                                        *counts.entry(path).or_default() += chosen;
                                    }
                                }
                            }
                        }
                    }
                    let errors = forms::validate_page(&self.page, &answers, &counts, &self.today);
                    if !errors.is_empty() {
                        ev.prevent_default();
                        self.errors.set(errors);
                    }
                } else if submitter.starts_with("joindre:") {
                    ev.prevent_default();
                    self.upload(&submitter);
                }
            }

            pub fn on_change(&self) {
                if let Some((_, _, pairs)) = self.pairs() {
                    let mut answers = self.answers.clone();
                    forms::read_page(&self.page, &pairs, &mut answers);
                    self.live.set(answers);
                }
                self.on_input();
            }

            /// Saves the draft two seconds after the last keystroke.
            pub fn on_input(&self) {
                let Some(window) = web_sys::window() else {
                    return;
                };
                if let Some(timer) = TIMER.with(Cell::take) {
                    window.clear_timeout_with_handle(timer);
                }
                let this = self.clone();
                let callback = Closure::once_into_js(move || this.autosave());
                if let Ok(handle) = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                    callback.unchecked_ref(),
                    2000,
                ) {
                    TIMER.with(|t| t.set(Some(handle)));
                }
            }

            fn send(
                &self,
                data: &web_sys::FormData,
                action: &str,
                progress: Option<web_sys::HtmlProgressElement>,
                done: impl FnOnce(u16, String) + 'static,
            ) {
                let _ = data.set_with_str("action", action);
                let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
                    return;
                };
                if xhr.open("POST", &self.action).is_err() {
                    return;
                }
                let _ = xhr.set_request_header("x-guichet-xhr", "1");
                if let (Some(bar), Ok(upload)) = (progress, xhr.upload()) {
                    bar.set_hidden(false);
                    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(
                        move |e: web_sys::ProgressEvent| {
                            if e.length_computable() && e.total() > 0.0 {
                                bar.set_value(e.loaded() / e.total() * 100.0);
                            }
                        },
                    );
                    upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
                    on_progress.forget();
                }
                let request = xhr.clone();
                let on_load = Closure::once_into_js(move || {
                    done(
                        request.status().unwrap_or(0),
                        request.response_text().ok().flatten().unwrap_or_default(),
                    );
                });
                xhr.set_onloadend(Some(on_load.unchecked_ref()));
                let _ = xhr.send_with_opt_form_data(Some(data));
            }

            fn autosave(&self) {
                let Some((form, data, _)) = self.pairs() else {
                    return;
                };
                // Files are sent only when the person asks (« Joindre un fichier »).
                if let Ok(inputs) = form.query_selector_all("input[type=file]") {
                    for i in 0..inputs.length() {
                        if let Some(input) = inputs
                            .get(i)
                            .and_then(|n| n.dyn_into::<web_sys::HtmlInputElement>().ok())
                        {
                            data.delete(&input.name());
                        }
                    }
                }
                let saved = self.saved;
                self.send(&data, "autosave", None, move |status, _| {
                    let date = js_sys::Date::new_0();
                    saved.set(Some(if status == 200 {
                        format!(
                            "Brouillon enregistré à {} h {:02}.",
                            date.get_hours(),
                            date.get_minutes()
                        )
                    } else {
                        "Le brouillon n’a pas pu être enregistré : vérifiez votre connexion."
                            .to_owned()
                    }));
                });
            }

            fn upload(&self, action: &str) {
                let Some((form, data, _)) = self.pairs() else {
                    return;
                };
                let path = action.trim_start_matches("joindre:");
                let bar = form
                    .query_selector(&format!("[id='{}'] ~ progress", forms::input_id(path)))
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlProgressElement>().ok());
                let saved = self.saved;
                saved.set(Some("Envoi du fichier en cours…".into()));
                self.send(&data, action, bar, move |status, body| {
                    let target = redirect_of(&body).filter(|_| status == 200);
                    let Some(window) = web_sys::window() else {
                        return;
                    };
                    let location = window.location();
                    let here = format!(
                        "{}{}",
                        location.pathname().unwrap_or_default(),
                        location.search().unwrap_or_default()
                    );
                    match target {
                        // Another page: go there.
                        Some(redirect) if redirect.split('#').next() != Some(here.as_str()) => {
                            let _ = location.assign(&redirect);
                        }
                        // The same page: load it again (a new fragment alone would not),
                        // to show the files and notices, at the field.
                        Some(redirect) => {
                            if let Some((_, hash)) = redirect.split_once('#') {
                                let _ = location.set_hash(hash);
                            }
                            let _ = location.reload();
                        }
                        None => {
                            let _ = location.reload();
                        }
                    }
                });
            }
        }

        /// The `redirect` of the handler's JSON answer, read without a JSON library
        /// (the client bundle stays small): `{"redirect":"…",…}`.
        fn redirect_of(body: &str) -> Option<String> {
            let value = js_sys::JSON::parse(body).ok()?;
            js_sys::Reflect::get(&value, &"redirect".into())
                .ok()?
                .as_string()
        }
    }

    #[cfg(not(feature = "hydrate"))]
    impl Enhancer {
        pub fn on_submit(&self, _ev: leptos::ev::SubmitEvent) {}
        pub fn on_change(&self) {}
        pub fn on_input(&self) {}
    }
}
