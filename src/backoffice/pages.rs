//! Pages of the back-office (« Instruction », a démarche's queue, a dossier's
//! instruction) and the citizen's « Mes documents reçus » and message thread.
//!
//! Every form is a plain HTML form: filters are a GET form, actions, messages and
//! documents are multipart posts to axum handlers that redirect back; so everything
//! works without JavaScript, and the same with it.

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    AnnotateDossier, FollowDossier, instruction_dossier, instruction_home, instruction_queue,
    received_documents,
};
use super::model::{Action, Flash, InstructionView, MessageRow, QueuePage, QueueQuery, Tab};
use crate::account::pages::{AccountSubPage, error_view};
use crate::dossiers::pages::{StatusBadge, answer_rows};
use crate::error::AppError;
use crate::profiles::model::ProfileKind;
use crate::ui::form::{ErrorSummary, form_error};
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

// ---------------------------------------------------------------- home

/// « Instruction »: the démarches the instructor handles, with their counts.
#[component]
pub fn InstructionHomePage() -> impl IntoView {
    let list = Resource::new(|| (), |_| instruction_home());
    view! {
        <Title text="Instruction" />
        <div class="container page">
            <h1>"Instruction"</h1>
            <p class="lead">"Les démarches que vos services instruisent, et les dossiers qui attendent."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(e),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-state">"Aucune démarche ne vous est confiée : votre service n’instruit encore aucune démarche. Un administrateur du portail peut vous rattacher à un service."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="bo-demarches" role="list">
                                {list.into_iter().map(|d| {
                                    let base = format!("/instruction/demarches/{}", d.id);
                                    let title_id = format!("demarche-{}", d.id);
                                    view! {
                                        <li class="card bo-demarche">
                                            <h2 id=title_id.clone()><a href=format!("{base}?onglet=a-traiter")>{d.title.clone()}</a></h2>
                                            {(!d.services.is_empty()).then(|| view! {
                                                <p class="muted">{format!("Service(s) : {}", d.services.join(", "))}</p>
                                            })}
                                            <ul class="bo-counts" role="list" aria-label=format!("Dossiers de « {} »", d.title)>
                                                {[Tab::ATraiter, Tab::EnCours, Tab::Traites, Tab::Suivis].into_iter().map(|t| view! {
                                                    <li>
                                                        <a href=format!("{base}?onglet={}", t.slug())>
                                                            <span class="bo-count">{d.counts.of(t)}</span>
                                                            <span class="bo-count-label">{t.label()}</span>
                                                        </a>
                                                    </li>
                                                }).collect_view()}
                                            </ul>
                                            <details class="bo-by-status">
                                                <summary>"Détail par statut"</summary>
                                                <table class="table">
                                                    <caption class="visually-hidden">{format!("Dossiers par statut : {}", d.title)}</caption>
                                                    <thead><tr><th scope="col">"Statut"</th><th scope="col" class="num">"Dossiers"</th></tr></thead>
                                                    <tbody>
                                                        {d.by_status.iter().map(|(s, n)| view! {
                                                            <tr><td><StatusBadge status=*s /></td><td class="num">{*n}</td></tr>
                                                        }).collect_view()}
                                                    </tbody>
                                                </table>
                                            </details>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

// ---------------------------------------------------------------- queue

fn query_of(map: &leptos_router::params::ParamsMap) -> QueueQuery {
    let get = |k: &str| map.get(k).filter(|v| !v.trim().is_empty());
    QueueQuery {
        onglet: get("onglet"),
        statut: get("statut"),
        du: get("du"),
        au: get("au"),
        type_profil: get("type_profil"),
        commune: get("commune"),
        q: get("q"),
        tri: get("tri"),
        apres: get("apres"),
    }
}

/// A démarche's queue: tabs, filters, the list with bulk actions, the export.
#[component]
pub fn QueuePageView() -> impl IntoView {
    let id = id_param();
    let query = use_query_map();
    let data = Resource::new(
        move || (id(), query.with(query_of)),
        |(id, q)| instruction_queue(id, q),
    );
    view! {
        <div class="container page page-wide">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(page) => view! { <Queue page /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn Queue(page: QueuePage) -> impl IntoView {
    let tab = page.query.tab();
    let q = page.query.clone();
    let id = page.demarche_id;
    let base = format!("/instruction/demarches/{id}");
    let export_href = {
        let href = q.href(id, None, None);
        let query = href
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default();
        format!("{base}/export.csv?{query}")
    };
    let current_href = q.href(id, None, q.apres.as_deref());
    let error_of = |field: &str| {
        page.filter_errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let du_error = error_of("du");
    let au_error = error_of("au");
    let count = page.counts.of(tab);
    let statuses = tab.statuses();
    let title = page.demarche_title.clone();
    view! {
        <Title text=format!("{} – {}", tab.label(), title) />
        <Breadcrumb trail=vec![("/instruction", "Instruction")] current=title.clone() />
        <h1>{title.clone()}</h1>
        {page.notice.clone().map(|n| view! { <div class="notice notice-success" role="status"><p>{n}</p></div> })}
        <nav class="tabs" aria-label="Dossiers par étape">
            <ul role="list">
                {Tab::ALL.into_iter().map(|t| {
                    let href = QueueQuery { onglet: Some(t.slug().into()), ..Default::default() }.href(id, Some(t), None);
                    view! {
                        <li>
                            <a href=href aria-current=(t == tab).then_some("page") class:active=t == tab>
                                {t.label()}" "<span class="tab-count">{format!("({})", page.counts.of(t))}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
        <form method="get" action=base.clone() class="bo-filters" role="search" aria-label="Filtrer les dossiers">
            <input type="hidden" name="onglet" value=tab.slug() />
            <div class="field bo-filter-search">
                <label for="champ-q">"Rechercher"</label>
                <p class="hint" id="champ-q-aide">"Un numéro de dossier (2026-000123), un nom ou un SIRET."</p>
                <input id="champ-q" name="q" type="search" value=q.q.clone().unwrap_or_default() aria-describedby="champ-q-aide" />
            </div>
            <div class="field">
                <label for="champ-statut">"Statut"</label>
                <select id="champ-statut" name="statut">
                    <option value="">"Tous les statuts de l’onglet"</option>
                    {statuses.into_iter().map(|s| {
                        let selected = q.statut.as_deref() == Some(s.as_str());
                        view! { <option value=s.as_str() selected=selected>{s.label()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <DateFilter name="du" label="Déposé à partir du" value=q.du.clone().unwrap_or_default() error=du_error />
            <DateFilter name="au" label="Déposé jusqu’au" value=q.au.clone().unwrap_or_default() error=au_error />
            <div class="field">
                <label for="champ-type-profil">"Type de profil"</label>
                <select id="champ-type-profil" name="type_profil">
                    <option value="">"Tous"</option>
                    {[ProfileKind::Particulier, ProfileKind::Association, ProfileKind::Entreprise, ProfileKind::Collectivite].into_iter().map(|k| {
                        let selected = q.type_profil.as_deref() == Some(k.as_str());
                        view! { <option value=k.as_str() selected=selected>{k.label()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="champ-commune">"Commune"</label>
                <input id="champ-commune" name="commune" type="text" value=q.commune.clone().unwrap_or_default() autocomplete="off" />
            </div>
            <div class="field">
                <label for="champ-tri">"Ordre"</label>
                <select id="champ-tri" name="tri">
                    <option value="recents" selected=!q.oldest_first()>"Les plus récents d’abord"</option>
                    <option value="anciens" selected=q.oldest_first()>"Les plus anciens d’abord"</option>
                </select>
            </div>
            <div class="button-group">
                <button type="submit" class="button">"Filtrer"</button>
                {q.filtered().then(|| view! { <a class="button button-tertiary" href=format!("{base}?onglet={}", tab.slug())>"Effacer les filtres"</a> })}
            </div>
        </form>
        <div class="bo-toolbar">
            <p class="bo-result" role="status">
                {if q.filtered() {
                    format!("{} dossier(s) sur {count} dans l’onglet « {} » (filtres appliqués)", page.rows.len().to_string() + if page.next.is_some() { "+" } else { "" }, tab.label())
                } else {
                    format!("{count} dossier(s) dans l’onglet « {} »", tab.label())
                }}
            </p>
            <a class="button button-secondary" href=export_href download="">"Exporter en CSV"<span class="visually-hidden">" les dossiers de ces filtres"</span></a>
        </div>
        {if page.rows.is_empty() {
            view! { <p class="empty-state">"Aucun dossier ne correspond."</p> }.into_any()
        } else {
            view! {
                <form method="post" action=format!("{base}/lot") class="bo-bulk">
                    <input type="hidden" name="retour" value=current_href />
                    <div class="table-scroll" role="region" tabindex="0" aria-label="Liste des dossiers (défilement horizontal possible)">
                        <table class="table bo-queue">
                            <caption class="visually-hidden">{format!("Dossiers de l’onglet « {} »", tab.label())}</caption>
                            <thead>
                                <tr>
                                    <th scope="col"><span class="visually-hidden">"Sélection"</span></th>
                                    <th scope="col">"Numéro"</th>
                                    <th scope="col">"Statut"</th>
                                    <th scope="col">"Déposé le"</th>
                                    <th scope="col">"Profil"</th>
                                    <th scope="col">"Déposé par"</th>
                                    <th scope="col">"Suivi"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page.rows.iter().map(|r| {
                                    let check_id = format!("choisir-{}", r.id);
                                    view! {
                                        <tr>
                                            <td class="bo-select">
                                                <input type="checkbox" name="dossier" value=r.id.to_string() id=check_id.clone() />
                                                <label for=check_id class="visually-hidden">{format!("Sélectionner le dossier {}", r.number)}</label>
                                            </td>
                                            <td><a href=format!("/instruction/dossiers/{}", r.id)>{r.number.clone()}</a></td>
                                            <td><StatusBadge status=r.status /></td>
                                            <td>{r.submitted.clone()}</td>
                                            <td>{r.profile_name.clone()}<br /><span class="muted">{r.profile_kind.clone()}</span></td>
                                            <td>{r.filer.clone()}</td>
                                            <td>{if r.followed { "Suivi" } else { "" }}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <fieldset class="bo-bulk-actions">
                        <legend>"Pour les dossiers cochés"</legend>
                        <div class="button-group">
                            <button type="submit" class="button" name="operation" value="instruire">"Passer en instruction"</button>
                            <button type="submit" class="button button-secondary" name="operation" value="suivre">"Suivre"</button>
                            <button type="submit" class="button button-tertiary" name="operation" value="ne-plus-suivre">"Ne plus suivre"</button>
                        </div>
                    </fieldset>
                </form>
            }.into_any()
        }}
        {(q.apres.is_some() || page.next.is_some()).then(|| view! {
            <nav class="pager" aria-label="Pages de dossiers">
                {q.apres.is_some().then(|| view! { <a href=q.href(id, None, None)>"Revenir aux premiers dossiers"</a> })}
                {page.next.clone().map(|next| view! { <a class="button button-secondary" href=q.href(id, None, Some(&next))>"Dossiers suivants"</a> })}
            </nav>
        })}
    }
}

#[component]
fn DateFilter(
    name: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
) -> impl IntoView {
    let id = format!("champ-{name}");
    let error_id = format!("{id}-erreur");
    let has_error = error.is_some();
    view! {
        <div class="field" class:field-error=has_error>
            <label for=id.clone()>{label}</label>
            {error.map(|m| view! { <p class="error-message" id=error_id.clone()><span class="visually-hidden">"Erreur : "</span>{m}</p> })}
            <input id=id type="date" name=name value=value
                aria-invalid=has_error.then_some("true")
                aria-describedby=has_error.then_some(error_id.clone()) />
        </div>
    }
}

// ---------------------------------------------------------------- a dossier

/// A dossier in the back-office.
#[component]
pub fn InstructionDossierPage() -> impl IntoView {
    let id = id_param();
    // With JavaScript the small forms stay on the page: read the dossier again after each.
    let follow = ServerAction::<FollowDossier>::new();
    let annotate = ServerAction::<AnnotateDossier>::new();
    let data = Resource::new(
        move || (id(), follow.version().get(), annotate.version().get()),
        |(id, _, _)| instruction_dossier(id),
    );
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(d) => view! { <Instruction d follow annotate /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The error summary of a form sent without JavaScript, from the flash.
#[component]
fn FlashSummary(flash: Flash, form: &'static str) -> impl IntoView {
    let errors = if flash.form == form {
        flash.errors.clone()
    } else {
        Vec::new()
    };
    (!errors.is_empty()).then(|| {
        view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <h2>"Il y a un problème"</h2>
                <ul>
                    {errors.into_iter().map(|e| view! {
                        <li><a href=format!("#{form}-{}", e.field)>{e.message}</a></li>
                    }).collect_view()}
                </ul>
            </div>
        }
    })
}

/// A labelled textarea of a flash form.
#[component]
fn FlashTextarea(
    flash: Flash,
    form: &'static str,
    name: &'static str,
    label: String,
    #[prop(optional)] hint: Option<String>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let error = flash.error(form, name);
    let value = flash.kept(form, name);
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let has_error = error.is_some();
    view! {
        <div class="field" class:field-error=has_error>
            <label for=id.clone()>{label}{if required { "" } else { " (facultatif)" }}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {error.map(|m| view! { <p class="error-message" id=error_id.clone()><span class="visually-hidden">"Erreur : "</span>{m}</p> })}
            <textarea id=id name=name rows="4"
                aria-invalid=has_error.then_some("true")
                aria-describedby=(!described.is_empty()).then(|| described.join(" "))
                required=required>{value}</textarea>
        </div>
    }
}

/// A labelled one-line input of a flash form.
#[component]
fn FlashInput(
    flash: Flash,
    form: &'static str,
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let error = flash.error(form, name);
    let value = flash.kept(form, name);
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let has_error = error.is_some();
    view! {
        <div class="field" class:field-error=has_error>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {error.map(|m| view! { <p class="error-message" id=error_id.clone()><span class="visually-hidden">"Erreur : "</span>{m}</p> })}
            <input id=id type="text" name=name value=value
                aria-invalid=has_error.then_some("true")
                aria-describedby=(!described.is_empty()).then(|| described.join(" ")) />
        </div>
    }
}

/// A file input of a flash form, with the files kept from the last try.
#[component]
fn FlashFile(
    flash: Flash,
    form: &'static str,
    name: &'static str,
    label: String,
    hint: String,
    #[prop(optional)] multiple: bool,
    #[prop(optional)] pdf_only: bool,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let error = flash.error(form, name);
    let kept = flash.files_of(form);
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    let has_error = error.is_some();
    let described = if has_error {
        format!("{hint_id} {error_id}")
    } else {
        hint_id.clone()
    };
    let accept = if pdf_only {
        "application/pdf,.pdf"
    } else {
        "application/pdf,image/jpeg,image/png,image/webp,.pdf,.jpg,.jpeg,.png,.webp"
    };
    view! {
        <div class="field" class:field-error=has_error>
            <label for=id.clone()>{label}</label>
            <p class="hint" id=hint_id>{hint}</p>
            {error.map(|m| view! { <p class="error-message" id=error_id><span class="visually-hidden">"Erreur : "</span>{m}</p> })}
            {(!kept.is_empty()).then(|| view! {
                <div class="notice notice-info">
                    <p>"Déjà joint, envoyé avec ce formulaire : "{kept.join(", ")}</p>
                </div>
            })}
            <input id=id type="file" name=name accept=accept multiple=multiple
                aria-invalid=has_error.then_some("true") aria-describedby=described />
        </div>
    }
}

#[component]
fn Instruction(
    d: InstructionView,
    follow: ServerAction<FollowDossier>,
    annotate: ServerAction<AnnotateDossier>,
) -> impl IntoView {
    let annotate_error = form_error(annotate);
    let follow_error = form_error(follow);
    let title = format!("Dossier {}", d.number);
    let queue = format!("/instruction/demarches/{}", d.demarche_id);
    let flash = d.flash.clone();
    let base = format!("/instruction/dossiers/{}", d.id);
    let max = d.max_file_mb;
    view! {
        <Title text=format!("{title} – Instruction") />
        <Breadcrumb
            trail=vec![("/instruction", "Instruction")]
            more=vec![(queue, d.demarche_title.clone())]
            current=title.clone()
        />
        <h1>{title.clone()}" "<span class="h1-sub">{d.demarche_title.clone()}</span></h1>
        {flash.notice.clone().map(|n| view! { <div class="notice notice-success" role="status"><p>{n}</p></div> })}
        <div class="bo-layout">
            <div class="bo-main">
                <section class="card" id="statut" aria-labelledby="titre-statut">
                    <h2 id="titre-statut">"Statut"</h2>
                    <p><StatusBadge status=d.status /></p>
                    <dl class="meta-list">
                        <div><dt>"Déposé le"</dt><dd>{d.submitted.clone()}</dd></div>
                        <div><dt>"Suivi par"</dt><dd>{if d.followers.is_empty() { "Personne".to_owned() } else { d.followers.join(", ") }}</dd></div>
                    </dl>
                    <div id="suivi">
                        <ErrorSummary error=follow_error />
                        <ActionForm action=follow attr:class="inline-form">
                            <input type="hidden" name="id" value=d.id.to_string() />
                            <input type="hidden" name="suivre" value=(!d.followed_by_me).to_string() />
                            <button type="submit" class="button button-secondary">
                                {if d.followed_by_me { "Ne plus suivre" } else { "Suivre" }}
                                <span class="visually-hidden">" ce dossier"</span>
                            </button>
                        </ActionForm>
                    </div>
                </section>

                <section id="actions" aria-labelledby="titre-actions">
                    <h2 id="titre-actions">"Actions"</h2>
                    {if d.actions.is_empty() {
                        view! { <p>"Aucune action n’est possible pour ce statut."</p> }.into_any()
                    } else {
                        view! {
                            <p class="hint">"Chaque action envoie un courriel explicatif à la personne qui a déposé le dossier et aux membres de son profil, et s’inscrit dans l’historique."</p>
                            {d.actions.iter().map(|a| view! { <ActionPanel action=*a d=d.clone() /> }).collect_view()}
                        }.into_any()
                    }}
                </section>

                <section id="messages" aria-labelledby="titre-messages">
                    <h2 id="titre-messages">"Messages"</h2>
                    <Thread messages=d.messages.clone() />
                    <form method="post" action=format!("{base}/message") enctype="multipart/form-data" class="form card" novalidate>
                        <h3>"Écrire à l’usager"</h3>
                        <FlashSummary flash=flash.clone() form="message" />
                        <FlashTextarea flash=flash.clone() form="message" name="corps" label="Votre message".into() required=true
                            hint="La personne le lira sur la page de son dossier et le recevra par courriel.".into() />
                        <FlashFile flash=flash.clone() form="message" name="fichiers" label="Joindre un fichier".into() multiple=true
                            hint=format!("Facultatif. PDF, JPEG, PNG ou WebP, {max} Mo au plus par fichier, 5 fichiers au plus.") />
                        <div class="button-group"><button type="submit" class="button">"Envoyer"</button></div>
                    </form>
                </section>

                <section aria-labelledby="titre-reponses">
                    <h2 id="titre-reponses">"Réponses du formulaire"</h2>
                    {answer_rows(d.pages.clone(), d.files.clone(), None, true)}
                </section>
            </div>

            <aside class="bo-side">
                <section class="card" aria-labelledby="titre-profil">
                    <h2 id="titre-profil">"Demandeur"</h2>
                    <dl class="meta-list">
                        <div><dt>"Profil"</dt><dd>{d.profile_name.clone()}" ("{d.profile_kind.to_lowercase()}")"</dd></div>
                        {d.profile_details.iter().map(|(k, v)| view! { <div><dt>{k.clone()}</dt><dd>{v.clone()}</dd></div> }).collect_view()}
                        <div><dt>"Déposé par"</dt><dd>{d.filer_name.clone()}</dd></div>
                        <div><dt>"Courriel"</dt><dd><a href=format!("mailto:{}", d.filer_email)>{d.filer_email.clone()}</a></dd></div>
                    </dl>
                </section>

                <section class="card" id="annotations" aria-labelledby="titre-annotations">
                    <h2 id="titre-annotations">"Annotations privées"</h2>
                    <p class="hint">"Visibles des seuls services instructeurs, jamais de l’usager."</p>
                    {if d.annotations.is_empty() {
                        view! { <p class="muted">"Aucune annotation."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="bo-notes" role="list">
                                {d.annotations.iter().map(|a| view! {
                                    <li><p class="muted">{a.author.clone()}" — "{a.date.clone()}</p><p class="pre-line">{a.body.clone()}</p></li>
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                    <ActionForm action=annotate attr:class="form" attr:novalidate=true>
                        <ErrorSummary error=annotate_error />
                        <input type="hidden" name="id" value=d.id.to_string() />
                        <AnnotationField error=annotate_error />
                        <div class="button-group"><button type="submit" class="button button-secondary">"Ajouter l’annotation"</button></div>
                    </ActionForm>
                </section>

                <section class="card" id="envoyer-document" aria-labelledby="titre-envoyer-document">
                    <h2 id="titre-envoyer-document">"Envoyer un document"</h2>
                    <p class="hint">"Le document (PDF) apparaît dans « Mes documents reçus » de chaque membre du profil, qui est prévenu par courriel."</p>
                    {(!d.documents.is_empty()).then(|| view! {
                        <ul class="file-list" role="list">
                            {d.documents.iter().map(|doc| view! { <li><a href=doc.href() download="">{doc.title.clone()}</a></li> }).collect_view()}
                        </ul>
                    })}
                    <form method="post" action=format!("{base}/document") enctype="multipart/form-data" class="form" novalidate>
                        <FlashSummary flash=flash.clone() form="document" />
                        <FlashInput flash=flash.clone() form="document" name="titre" label="Titre du document" hint="Par exemple : Attestation de versement" />
                        <FlashTextarea flash=flash.clone() form="document" name="message" label="Message".into() />
                        <FlashFile flash=flash.clone() form="document" name="document" label="Document (PDF)".into() pdf_only=true
                            hint=format!("Un fichier PDF de {max} Mo au plus.") />
                        <div class="button-group"><button type="submit" class="button button-secondary">"Envoyer le document"</button></div>
                    </form>
                </section>

                <section class="card" aria-labelledby="titre-historique">
                    <h2 id="titre-historique">"Historique"</h2>
                    <ol class="timeline" role="list">
                        {d.history.iter().rev().map(|h| view! {
                            <li>
                                <p><strong>{h.status.label()}</strong>" — "{h.date.clone()}</p>
                                <p class="muted">{h.author.clone()}</p>
                                {h.message.clone().map(|m| view! { <blockquote><p class="pre-line">{m}</p></blockquote> })}
                                {h.document.clone().map(|doc| { let href = doc.href(); view! { <p>"Document joint : "<a href=href download="">{doc.title}</a></p> } })}
                            </li>
                        }).collect_view()}
                    </ol>
                </section>
            </aside>
        </div>
    }
}

#[component]
fn AnnotationField(error: Signal<Option<AppError>>) -> impl IntoView {
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message("annotation")));
    let value = move || {
        error
            .get()
            .and_then(|e| e.kept_value("annotation"))
            .unwrap_or_default()
    };
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for="champ-annotation">"Nouvelle annotation"</label>
            <crate::ui::form::FieldMessage id="champ-annotation-erreur".into() message />
            <textarea id="champ-annotation" name="annotation" rows="3"
                aria-invalid=move || message.get().is_some().then_some("true")
                aria-describedby=move || message.get().map(|_| "champ-annotation-erreur")
                prop:value=value>{value}</textarea>
        </div>
    }
}

/// One action, in a disclosure: its message, and for a decision the letter.
#[component]
fn ActionPanel(action: Action, d: InstructionView) -> impl IntoView {
    let flash = d.flash.clone();
    let form: &'static str = action.slug();
    let open = flash.form == form && !flash.errors.is_empty();
    let max = d.max_file_mb;
    view! {
        <details class="bo-action card" id=format!("action-{form}") open=open>
            <summary>{action.label()}</summary>
            <form method="post" action=format!("/instruction/dossiers/{}/action", d.id) enctype="multipart/form-data" class="form" novalidate>
                <FlashSummary flash=flash.clone() form />
                <input type="hidden" name="action" value=form />
                <input type="hidden" name="version" value=d.lock_version.to_string() />
                <FlashTextarea flash=flash.clone() form name="message" label="Message à l’usager".into()
                    required=action.message_required() hint=action.message_hint().to_owned() />
                {action.is_decision().then(|| view! {
                    <fieldset class="fieldset">
                        <legend>"Document de décision (facultatif)"</legend>
                        <FlashInput flash=flash.clone() form name="titre_document" label="Titre du document" hint="Par exemple : Lettre de notification" />
                        <FlashFile flash=flash.clone() form name="document" label="Joindre un fichier".into() pdf_only=true
                            hint=format!("Un PDF de {max} Mo au plus ; il arrive dans « Mes documents reçus ».") />
                    </fieldset>
                })}
                <div class="button-group"><button type="submit" class="button">{action.label()}</button></div>
            </form>
        </details>
    }
}

/// The message thread (both sides).
#[component]
pub fn Thread(messages: Vec<MessageRow>) -> impl IntoView {
    if messages.is_empty() {
        return view! { <p class="muted">"Aucun message pour l’instant."</p> }.into_any();
    }
    view! {
        <ol class="thread" role="list">
            {messages.into_iter().map(|m| view! {
                <li class="thread-message" class:from-staff=m.from_instructor>
                    <p class="thread-meta"><strong>{m.author}</strong>" — "{m.date}</p>
                    <p class="pre-line">{m.body}</p>
                    {(!m.files.is_empty()).then(|| view! {
                        <ul class="file-list" role="list">
                            {m.files.into_iter().map(|f| view! {
                                <li><a href=format!("/messages/pieces/{}", f.id) download="">{f.name.clone()}</a>{format!(" ({}, {})", f.kind, f.size)}</li>
                            }).collect_view()}
                        </ul>
                    })}
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}

/// The citizen's side of the thread, on a dossier's page (its data comes with the
/// dossier's, in one server call).
#[component]
pub fn CitizenThread(
    id: i32,
    max_file_mb: u64,
    messages: Vec<MessageRow>,
    flash: Flash,
) -> impl IntoView {
    view! {
        <section id="messages" aria-labelledby="titre-messages">
            <h2 id="titre-messages">"Messages"</h2>
            {flash.notice.clone().filter(|_| flash.form == "message").map(|n| view! { <div class="notice notice-success" role="status"><p>{n}</p></div> })}
            <Thread messages />
            <form method="post" action=format!("/mon-compte/dossiers/{id}/message") enctype="multipart/form-data" class="form card" novalidate>
                <h3>"Écrire aux services instructeurs"</h3>
                <FlashSummary flash=flash.clone() form="message" />
                <FlashTextarea flash=flash.clone() form="message" name="corps" label="Votre message".into() required=true
                    hint="Une question, une précision sur votre dossier : les services du Département vous répondront ici et par courriel.".into() />
                <FlashFile flash=flash.clone() form="message" name="fichiers" label="Joindre un fichier".into() multiple=true
                    hint=format!("Facultatif. PDF, JPEG, PNG ou WebP, {max_file_mb} Mo au plus par fichier, 5 fichiers au plus.") />
                <div class="button-group"><button type="submit" class="button">"Envoyer"</button></div>
            </form>
        </section>
    }
}

// ---------------------------------------------------------------- received documents

/// « Mes documents reçus ».
#[component]
pub fn ReceivedDocumentsPage() -> impl IntoView {
    let docs = Resource::new(|| (), |_| received_documents());
    view! {
        <AccountSubPage
            title="Mes documents reçus"
            content=move |_| {
                view! {
                    <Suspense fallback=Loading>
                        {move || Suspend::new(async move {
                            match docs.await {
                                Err(e) => error_view(e),
                                Ok(list) if list.is_empty() => view! {
                                    <p class="empty-state">"Vous n’avez reçu aucun document."</p>
                                    <p>"Les documents que le Département vous adresse au sujet de vos demandes (décisions, notifications, attestations) apparaîtront ici."</p>
                                }.into_any(),
                                Ok(list) => view! {
                                    <ul class="documents" role="list">
                                        {list.into_iter().map(|d| view! {
                                            <li class="card document-card" class:unread=d.unread>
                                                <h2 class="document-title">
                                                    {d.unread.then(|| view! { <span class="badge badge-info">"Nouveau"</span>" " })}
                                                    {d.title.clone()}
                                                </h2>
                                                <dl class="meta-list">
                                                    <div><dt>"Reçu le"</dt><dd>{d.date.clone()}</dd></div>
                                                    <div><dt>"Profil"</dt><dd>{d.profile_name.clone()}</dd></div>
                                                    {d.dossier.clone().map(|(id, number)| view! {
                                                        <div><dt>"Dossier"</dt><dd><a href=format!("/mon-compte/dossiers/{id}")>{number}</a>{d.demarche_title.clone().map(|t| format!(" – {t}"))}</dd></div>
                                                    })}
                                                </dl>
                                                {d.message.clone().map(|m| view! { <p class="pre-line">{m}</p> })}
                                                <p>
                                                    <a class="button button-secondary" href=format!("/documents/{}", d.id) download="">
                                                        "Télécharger"<span class="visually-hidden">{format!(" « {} » (PDF, {})", d.title, d.size)}</span>
                                                    </a>
                                                    <span class="muted">{format!(" PDF, {}", d.size)}</span>
                                                </p>
                                            </li>
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
