//! The administration's home page, « Démarches à la Une », the instructing services,
//! the users and the audit log.
//!
//! Every action is an `ActionForm` posting to a server function that redirects (it works
//! without JavaScript); searches and filters are plain GET forms.

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use super::AdminNav;
use crate::account::model::Role;
use crate::account::pages::error_view;
use crate::admin::api::{
    AddInstructor, AttachService, ChangeRole, CreateService, MoveFeatured, RemoveInstructor,
    RenameService, ResendVerificationOf, ResetSecondFactorOf, SetAccountActive, SetFeatured,
    admin_audit, admin_featured, admin_service, admin_services, admin_user, admin_users,
};
use crate::admin::model::{
    AUDIT_OBJECTS, AuditAction, AuditPage as AuditData, AuditQuery, FeaturedRow, ServiceDetail,
    ServiceRow, UserDetail, UserPage as UserList, UserQuery, encode_component,
};
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

/// The notice of the last action, if any.
fn notice_view(notice: Option<String>) -> impl IntoView {
    notice.map(|text| {
        view! {
            <div class="notice notice-success" role="status">
                <p>{text}</p>
            </div>
        }
    })
}

const ROLES: [Role; 3] = [Role::Citizen, Role::Instructor, Role::Admin];

// ---------------------------------------------------------------- home

const SECTIONS: [(&str, &str, &str); 5] = [
    (
        "/admin/demarches",
        "Démarches",
        "Créer, décrire et publier les démarches, construire leurs formulaires et personnaliser leurs courriels.",
    ),
    (
        "/admin/a-la-une",
        "Démarches à la Une",
        "Choisir les démarches mises en avant sur la page d’accueil, leur ordre et leur période.",
    ),
    (
        "/admin/services",
        "Services instructeurs",
        "Créer les services, y ajouter des instructeurs et leur confier des démarches.",
    ),
    (
        "/admin/utilisateurs",
        "Utilisateurs",
        "Retrouver un compte, changer son rôle, le désactiver ou réinitialiser son second facteur.",
    ),
    (
        "/admin/journal",
        "Journal des actions",
        "Consulter et exporter la trace des actions d’administration, d’instruction et des connexions.",
    ),
];

/// « Administration »: a card for each section.
#[component]
pub fn AdminHomePage() -> impl IntoView {
    // Also the page's guard: a visitor who is not an administrator reads why, not a menu.
    let demarches = Resource::new(|| (), |_| crate::admin::api::admin_demarches());
    view! {
        <Title text="Administration" />
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match demarches.await {
                        Err(e) => error_view(e),
                        Ok(list) => {
                            let published = list
                                .iter()
                                .filter(|d| d.state == crate::demarches::model::DemarcheState::Publiee)
                                .count();
                            let changes = list.iter().filter(|d| d.unpublished_changes).count();
                            view! { <AdminHome total=list.len() published changes /> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AdminHome(total: usize, published: usize, changes: usize) -> impl IntoView {
    view! {
            <Breadcrumb trail=vec![] current="Administration" />
            <AdminNav current="Accueil" />
            <h1>"Administration"</h1>
            <p class="lead">
                "Les démarches du portail, leurs services instructeurs et les comptes ; le journal garde la trace de chaque action."
            </p>
            <p>
                {format!("{total} démarche(s), dont {published} publiée(s)")}
                {(changes > 0).then(|| format!(" ; {changes} avec des modifications non publiées"))}
                "."
            </p>
            <ul class="tile-grid adm-home" role="list">
                {SECTIONS
                    .into_iter()
                    .map(|(href, label, text)| {
                        view! {
                            <li class="tile">
                                <h2 class="tile-title">
                                    <a href=href class="tile-link">
                                        {label}
                                    </a>
                                </h2>
                                <p class="tile-summary">{text}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
    }
}

// ---------------------------------------------------------------- à la Une

/// « Démarches à la Une »: every published démarche, the featured ones first in the
/// banner's order, each with its own form (in the banner or not, and its period).
#[component]
pub fn FeaturedPage() -> impl IntoView {
    let set = ServerAction::<SetFeatured>::new();
    let shift = ServerAction::<MoveFeatured>::new();
    let data = Resource::new(
        move || (set.version().get(), shift.version().get()),
        |_| admin_featured(),
    );
    view! {
        <Title text="Démarches à la Une – Administration" />
        <div class="container page">
            <Breadcrumb trail=vec![("/admin", "Administration")] current="Démarches à la Une" />
            <AdminNav current="À la Une" />
            <h1>"Démarches à la Une"</h1>
            <p class="lead">
                "Les démarches cochées apparaissent dans le bandeau « Démarches à la Une » de la page d’accueil, dans cet ordre, pendant leur période."
            </p>
            <p>
                <a href="/">"Voir la page d’accueil"</a>
            </p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok((rows, notice)) => {
                            view! { <FeaturedList rows notice set shift /> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn FeaturedList(
    rows: Vec<FeaturedRow>,
    notice: Option<String>,
    set: ServerAction<SetFeatured>,
    shift: ServerAction<MoveFeatured>,
) -> impl IntoView {
    let set_error = form_error(set);
    let shift_error = form_error(shift);
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    // An error about a row's dates belongs to that row (its fields carry the row's id,
    // with JavaScript or without); any other error is shown at the top.
    let page_error = Signal::derive(move || {
        set_error
            .get()
            .filter(|e| {
                !ids.iter()
                    .any(|id| e.kept_value(&format!("du_{id}")).is_some())
            })
            .or_else(|| shift_error.get())
    });
    let featured = rows.iter().filter(|r| r.featured).count();
    view! {
        {notice_view(notice)}
        <ErrorSummary error=page_error />
        {if rows.is_empty() {
            view! {
                <p class="empty-state">
                    "Aucune démarche n’est publiée : seule une démarche publiée peut être à la Une."
                </p>
            }
                .into_any()
        } else {
            view! {
                <ul class="adm-featured-list" role="list">
                    {rows
                        .into_iter()
                        .enumerate()
                        .map(|(i, row)| {
                            // The featured démarches come first, in the banner's order.
                            let position = row.featured.then_some(i + 1);
                            let last = i + 1 >= featured;
                            view! { <FeaturedItem row position last set shift set_error /> }
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
    }
}

/// A date input with its error (the featured period's « Du » and « Au »).
#[component]
fn DateInput(
    id: String,
    name: &'static str,
    label: &'static str,
    value: Signal<String>,
    message: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-erreur");
    let describe = {
        let error_id = error_id.clone();
        move || message.get().map(|_| error_id.clone())
    };
    let label_for = id.clone();
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=label_for>{label}</label>
            <FieldMessage id=error_id message />
            <input
                type="date"
                id=id
                name=name
                class="input-medium"
                value=move || value.get()
                prop:value=move || value.get()
                aria-invalid=move || message.get().is_some().then_some("true")
                aria-describedby=describe
            />
        </div>
    }
}

#[component]
fn FeaturedItem(
    row: FeaturedRow,
    /// The place in the banner (from 1), for a featured démarche.
    position: Option<usize>,
    /// The last featured démarche (it cannot go down).
    last: bool,
    set: ServerAction<SetFeatured>,
    shift: ServerAction<MoveFeatured>,
    set_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = row.id;
    let du_field = format!("du_{id}");
    let au_field = format!("au_{id}");
    let error = {
        let du_field = du_field.clone();
        Signal::derive(move || {
            set_error
                .get()
                .filter(|e| e.kept_value(&du_field).is_some())
        })
    };
    let du_message = {
        let field = du_field.clone();
        Signal::derive(move || error.get().and_then(|e| e.field_message(&field)))
    };
    let au_message = {
        let field = au_field.clone();
        Signal::derive(move || error.get().and_then(|e| e.field_message(&field)))
    };
    let du_value = {
        let initial = row.from.clone();
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.kept_value(&du_field))
                .unwrap_or_else(|| initial.clone())
        })
    };
    let au_value = {
        let initial = row.until.clone();
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.kept_value(&au_field))
                .unwrap_or_else(|| initial.clone())
        })
    };
    let title = row.title.clone();
    let featured = row.featured;
    let shown = row.shown_now;
    let anchor = format!("une-{id}");
    let check_id = format!("champ-une-{id}");
    let du_id = format!("champ-du-{id}");
    let au_id = format!("champ-au-{id}");
    let une_label = format!(" : {title}");
    let save_label = format!(" « {title} »");
    let up_label = format!(" « {title} »");
    let down_label = format!(" « {title} »");
    view! {
        <li id=anchor class="card adm-featured">
            <h2>{title}</h2>
            {position
                .map(|p| {
                    view! {
                        <p class="adm-featured-state">
                            <span class="adm-position">{format!("Position {p}")}</span>
                            " "
                            {if shown {
                                view! { <span class="badge badge-success">"Affichée en ce moment"</span> }
                                    .into_any()
                            } else {
                                view! { <span class="badge badge-info">"Programmée"</span> }.into_any()
                            }}
                        </p>
                    }
                })}
            <ActionForm action=set attr:class="form adm-featured-form" attr:novalidate=true>
                <ErrorSummary error />
                <input type="hidden" name="id" value=id.to_string() />
                <div class="choice">
                    <input type="checkbox" id=check_id.clone() name="une" value="on" checked=featured />
                    <label for=check_id>
                        "À la Une"
                        <span class="visually-hidden">{une_label}</span>
                    </label>
                </div>
                <div class="adm-period">
                    <DateInput id=du_id name="du" label="Du (facultatif)" value=du_value message=du_message />
                    <DateInput id=au_id name="au" label="Au (facultatif)" value=au_value message=au_message />
                </div>
                <div class="button-group">
                    <button type="submit" class="button button-secondary">
                        "Enregistrer"
                        <span class="visually-hidden">{save_label}</span>
                    </button>
                </div>
            </ActionForm>
            {position
                .filter(|p| *p > 1 || !last)
                .map(|p| {
                    view! {
                        <div class="button-group adm-move">
                            {(p > 1)
                                .then(|| {
                                    view! {
                                        <ActionForm action=shift attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <input type="hidden" name="sens" value="haut" />
                                            <button type="submit" class="button button-secondary button-small">
                                                "Monter"
                                                <span class="visually-hidden">{up_label}</span>
                                            </button>
                                        </ActionForm>
                                    }
                                })}
                            {(!last)
                                .then(|| {
                                    view! {
                                        <ActionForm action=shift attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <input type="hidden" name="sens" value="bas" />
                                            <button type="submit" class="button button-secondary button-small">
                                                "Descendre"
                                                <span class="visually-hidden">{down_label}</span>
                                            </button>
                                        </ActionForm>
                                    }
                                })}
                        </div>
                    }
                })}
        </li>
    }
}

// ---------------------------------------------------------------- services

/// « Services instructeurs »: the services, and the form that creates one.
#[component]
pub fn ServicesPage() -> impl IntoView {
    let create = ServerAction::<CreateService>::new();
    let error = form_error(create);
    let list = Resource::new(move || create.version().get(), |_| admin_services());
    view! {
        <Title text="Services instructeurs – Administration" />
        <div class="container page">
            <Breadcrumb trail=vec![("/admin", "Administration")] current="Services instructeurs" />
            <AdminNav current="Services" />
            <h1>"Services instructeurs"</h1>
            <p class="lead">
                "Un service instruit les dossiers des démarches qui lui sont confiées ; ses instructeurs les trouvent dans leur espace « Instruction »."
            </p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => error_view(e),
                        Ok(rows) if rows.is_empty() => {
                            view! { <p class="empty-state">"Aucun service pour l’instant."</p> }
                                .into_any()
                        }
                        Ok(rows) => view! { <ServicesTable rows /> }.into_any(),
                    }
                })}
            </Suspense>
            <section class="card adm-create" aria-labelledby="titre-creer-service">
                <h2 id="titre-creer-service">"Créer un service"</h2>
                <ActionForm action=create attr:class="form" attr:novalidate=true>
                    <ErrorSummary error />
                    <TextField
                        label="Nom du service"
                        name="name"
                        hint="Par exemple Direction de l’autonomie"
                        autocomplete="off"
                        error
                    />
                    <SubmitButton label="Créer le service" />
                </ActionForm>
            </section>
        </div>
    }
}

#[component]
fn ServicesTable(rows: Vec<ServiceRow>) -> impl IntoView {
    view! {
        <table class="table adm-table">
            <caption>"Services instructeurs, par nom"</caption>
            <thead>
                <tr>
                    <th scope="col">"Service"</th>
                    <th scope="col">"Démarches instruites"</th>
                    <th scope="col" class="num">
                        "Instructeurs"
                    </th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|s| {
                        let href = format!("/admin/services/{}", s.id);
                        let demarches = if s.demarches.is_empty() {
                            "Aucune".to_owned()
                        } else {
                            s.demarches.join(", ")
                        };
                        let members = s.members;
                        view! {
                            <tr>
                                <td>
                                    <a href=href>{s.name}</a>
                                </td>
                                <td>{demarches}</td>
                                <td class="num">{members}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// A service: its name, its instructors, the démarches it instructs.
#[component]
pub fn ServicePage() -> impl IntoView {
    let id = id_param();
    let rename = ServerAction::<RenameService>::new();
    let add = ServerAction::<AddInstructor>::new();
    let remove = ServerAction::<RemoveInstructor>::new();
    let attach = ServerAction::<AttachService>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                rename.version().get(),
                add.version().get(),
                remove.version().get(),
                attach.version().get(),
            )
        },
        |(id, ..)| admin_service(id),
    );
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(s) => view! { <ServiceView s rename add remove attach /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn ServiceView(
    s: ServiceDetail,
    rename: ServerAction<RenameService>,
    add: ServerAction<AddInstructor>,
    remove: ServerAction<RemoveInstructor>,
    attach: ServerAction<AttachService>,
) -> impl IntoView {
    let id = s.id;
    let rename_error = form_error(rename);
    let add_error = form_error(add);
    let remove_error = form_error(remove);
    let attach_error = form_error(attach);
    let name = s.name.clone();
    let current_name = s.name.clone();
    let members_caption = format!("Instructeurs du service « {name} »");
    let members = s.members.clone();
    let demarches = s.demarches.clone();
    view! {
        <Title text=format!("{name} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/services", "Services instructeurs")]
            current=name.clone()
        />
        <AdminNav current="Services" />
        <h1>{name.clone()}</h1>
        {notice_view(s.notice.clone())}

        <section class="card" aria-labelledby="titre-renommer">
            <h2 id="titre-renommer">"Renommer"</h2>
            <ActionForm action=rename attr:class="form" attr:novalidate=true>
                <ErrorSummary error=rename_error />
                <input type="hidden" name="id" value=id.to_string() />
                <TextField
                    label="Nom du service"
                    name="name"
                    value=current_name
                    autocomplete="off"
                    error=rename_error
                />
                <SubmitButton label="Renommer le service" />
            </ActionForm>
        </section>

        <section class="card" id="instructeurs" aria-labelledby="titre-instructeurs">
            <h2 id="titre-instructeurs">"Instructeurs"</h2>
            <ErrorSummary error=remove_error />
            {if members.is_empty() {
                view! { <p class="empty-state">"Aucun instructeur dans ce service."</p> }.into_any()
            } else {
                view! {
                    <table class="table adm-table">
                        <caption>{members_caption}</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Nom"</th>
                                <th scope="col">"Adresse électronique"</th>
                                <th scope="col">"Rôle"</th>
                                <th scope="col">
                                    <span class="visually-hidden">"Action"</span>
                                </th>
                            </tr>
                        </thead>
                        <tbody>
                            {members
                                .into_iter()
                                .map(|m| {
                                    let href = format!("/admin/utilisateurs/{}", m.account_id);
                                    let account = m.account_id.to_string();
                                    let remove_label = format!(" {} du service", m.name);
                                    let role = m.role.label();
                                    let inactive = !m.active;
                                    view! {
                                        <tr>
                                            <td>
                                                <a href=href>{m.name}</a>
                                                {inactive
                                                    .then(|| {
                                                        view! {
                                                            " "
                                                            <span class="badge badge-warning">"Désactivé"</span>
                                                        }
                                                    })}
                                            </td>
                                            <td>{m.email}</td>
                                            <td>{role}</td>
                                            <td>
                                                <ActionForm action=remove attr:class="inline-form">
                                                    <input type="hidden" name="id" value=id.to_string() />
                                                    <input type="hidden" name="account" value=account />
                                                    <button type="submit" class="button button-secondary button-small">
                                                        "Retirer"
                                                        <span class="visually-hidden">{remove_label}</span>
                                                    </button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
            <h3>"Ajouter un instructeur"</h3>
            <ActionForm action=add attr:class="form" attr:novalidate=true>
                <ErrorSummary error=add_error />
                <input type="hidden" name="id" value=id.to_string() />
                <TextField
                    label="Adresse électronique du compte"
                    name="email"
                    kind="email"
                    hint="La personne doit avoir un compte avec le rôle Instructeur ou Administrateur."
                    autocomplete="off"
                    error=add_error
                />
                <SubmitButton label="Ajouter l’instructeur" />
            </ActionForm>
        </section>

        <section class="card" id="demarches" aria-labelledby="titre-demarches">
            <h2 id="titre-demarches">"Démarches instruites"</h2>
            <ErrorSummary error=attach_error />
            {if demarches.is_empty() {
                view! {
                    <p class="empty-state">
                        "Aucune démarche n’existe encore : "
                        <a href="/admin/demarches/nouvelle">"créez-en une"</a>
                        "."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="adm-choices" role="list">
                        {demarches
                            .into_iter()
                            .map(|d| {
                                let chosen = d.chosen;
                                let label = if chosen { "Détacher" } else { "Rattacher" };
                                let hidden = format!(" la démarche « {} »", d.name);
                                let demarche_id = d.id.to_string();
                                let rattacher = (!chosen).to_string();
                                view! {
                                    <li>
                                        <span>{d.name}</span>
                                        {chosen
                                            .then(|| {
                                                view! {
                                                    " "
                                                    <span class="badge badge-success">"Instruite par ce service"</span>
                                                }
                                            })}
                                        <ActionForm action=attach attr:class="inline-form">
                                            <input type="hidden" name="service_id" value=id.to_string() />
                                            <input type="hidden" name="demarche_id" value=demarche_id />
                                            <input type="hidden" name="rattacher" value=rattacher />
                                            <input type="hidden" name="retour" value="service" />
                                            <button type="submit" class="button button-secondary button-small">
                                                {label}
                                                <span class="visually-hidden">{hidden}</span>
                                            </button>
                                        </ActionForm>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

// ---------------------------------------------------------------- users

fn user_query_of(map: &ParamsMap) -> UserQuery {
    let get = |k: &str| map.get(k).filter(|v| !v.trim().is_empty());
    UserQuery {
        q: get("q"),
        role: get("role"),
        apres: get("apres"),
    }
}

/// « Utilisateurs »: a search by name or address and role, the accounts found.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(move || query.with(user_query_of), admin_users);
    view! {
        <Title text="Utilisateurs – Administration" />
        <div class="container page page-wide">
            <Breadcrumb trail=vec![("/admin", "Administration")] current="Utilisateurs" />
            <AdminNav current="Utilisateurs" />
            <h1>"Utilisateurs"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(list) => view! { <UsersView list /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn UsersView(list: UserList) -> impl IntoView {
    let q = list.query.clone();
    let text = q.q.clone().unwrap_or_default();
    let next_href = list.next.clone().map(|next| {
        let mut parts = Vec::new();
        if let Some(v) = q.q.as_deref().filter(|v| !v.trim().is_empty()) {
            parts.push(format!("q={}", encode_component(v)));
        }
        if let Some(v) = q.role.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("role={}", encode_component(v)));
        }
        parts.push(format!("apres={}", encode_component(&next)));
        format!("/admin/utilisateurs?{}", parts.join("&"))
    });
    let rows = list.rows;
    view! {
        <form
            method="get"
            action="/admin/utilisateurs"
            class="adm-filters"
            role="search"
            aria-label="Rechercher un compte"
        >
            <div class="field">
                <label for="recherche-q">"Nom ou adresse électronique"</label>
                <input id="recherche-q" name="q" type="search" value=text autocomplete="off" spellcheck="false" />
            </div>
            <div class="field">
                <label for="recherche-role">"Rôle"</label>
                <select id="recherche-role" name="role">
                    <option value="">"Tous les rôles"</option>
                    {ROLES
                        .into_iter()
                        .map(|r| {
                            let selected = q.role.as_deref() == Some(r.as_str());
                            view! {
                                <option value=r.as_str() selected=selected>
                                    {r.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="button-group">
                <button type="submit" class="button">
                    "Rechercher"
                </button>
            </div>
        </form>
        {if rows.is_empty() {
            view! { <p class="empty-state">"Aucun compte ne correspond à cette recherche."</p> }
                .into_any()
        } else {
            view! {
                <table class="table adm-table">
                    <caption>"Comptes"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Nom"</th>
                            <th scope="col">"Adresse électronique"</th>
                            <th scope="col">"Rôle"</th>
                            <th scope="col">"État"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows
                            .into_iter()
                            .map(|r| {
                                let href = format!("/admin/utilisateurs/{}", r.id);
                                let state = if r.active { "Actif" } else { "Désactivé" };
                                let unverified = !r.verified;
                                let role = r.role.label();
                                view! {
                                    <tr>
                                        <td>
                                            <a href=href>{r.name}</a>
                                        </td>
                                        <td>{r.email}</td>
                                        <td>{role}</td>
                                        <td>
                                            {state}
                                            {unverified
                                                .then(|| {
                                                    view! {
                                                        " "
                                                        <span class="badge badge-neutral">"Adresse non confirmée"</span>
                                                    }
                                                })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
        {next_href
            .map(|href| {
                view! {
                    <p class="adm-more">
                        <a class="button button-secondary" href=href>
                            "Comptes suivants"
                        </a>
                    </p>
                }
            })}
    }
}

/// An account: what it is, its profiles and services, and what an administrator may do
/// with it.
#[component]
pub fn UserPage() -> impl IntoView {
    let id = id_param();
    let change = ServerAction::<ChangeRole>::new();
    let active = ServerAction::<SetAccountActive>::new();
    let resend = ServerAction::<ResendVerificationOf>::new();
    let reset = ServerAction::<ResetSecondFactorOf>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                change.version().get(),
                active.version().get(),
                resend.version().get(),
                reset.version().get(),
            )
        },
        |(id, ..)| admin_user(id),
    );
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(d) => view! { <UserView d change active resend reset /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn UserView(
    d: UserDetail,
    change: ServerAction<ChangeRole>,
    active: ServerAction<SetAccountActive>,
    resend: ServerAction<ResendVerificationOf>,
    reset: ServerAction<ResetSecondFactorOf>,
) -> impl IntoView {
    let change_error = form_error(change);
    let active_error = form_error(active);
    let resend_error = form_error(resend);
    let reset_error = form_error(reset);
    let error = Signal::derive(move || {
        change_error
            .get()
            .or_else(|| active_error.get())
            .or_else(|| resend_error.get())
            .or_else(|| reset_error.get())
    });
    let u = d.user.clone();
    let id = u.id;
    let name = u.name.clone();
    let staff = u.role != Role::Citizen;
    let is_active = u.active;
    let state = if u.active { "Actif" } else { "Désactivé" };
    let verified = if u.verified { "Oui" } else { "Non" };
    let second_factor = if d.second_factor {
        "Activé"
    } else {
        "Non activé"
    };
    let current_role = u.role.as_str().to_owned();
    let active_title = if is_active {
        "Désactiver le compte"
    } else {
        "Réactiver le compte"
    };
    let active_text = if is_active {
        "Ses sessions sont fermées immédiatement et elle ne peut plus se connecter."
    } else {
        "La personne peut de nouveau se connecter."
    };
    let actif_value = (!is_active).to_string();
    let show_active = !d.is_self;
    let show_resend = !u.verified;
    let show_reset = d.second_factor;
    let deleted = d.deleted;
    let profiles = d.profiles.clone();
    let services = d.services.clone();
    view! {
        <Title text=format!("{name} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/utilisateurs", "Utilisateurs")]
            current=name.clone()
        />
        <AdminNav current="Utilisateurs" />
        <h1>{name.clone()}</h1>
        {notice_view(d.notice.clone())}
        <ErrorSummary error />
        {deleted
            .then(|| {
                view! {
                    <div class="notice notice-warning">
                        <p>"Compte supprimé par son titulaire"</p>
                    </div>
                }
            })}
        <dl class="summary-list">
            <div>
                <dt>"Adresse électronique"</dt>
                <dd>{u.email.clone()}</dd>
            </div>
            <div>
                <dt>"Compte créé le"</dt>
                <dd>{d.created.clone()}</dd>
            </div>
            <div>
                <dt>"Rôle"</dt>
                <dd>{u.role.label()}</dd>
            </div>
            <div>
                <dt>"État"</dt>
                <dd>{state}</dd>
            </div>
            <div>
                <dt>"Adresse électronique confirmée"</dt>
                <dd>{verified}</dd>
            </div>
            {staff
                .then(|| {
                    view! {
                        <div>
                            <dt>"Second facteur"</dt>
                            <dd>{second_factor}</dd>
                        </div>
                    }
                })}
        </dl>

        <section aria-labelledby="titre-profils">
            <h2 id="titre-profils">"Profils"</h2>
            {if profiles.is_empty() {
                view! { <p class="muted">"Aucun profil"</p> }.into_any()
            } else {
                view! {
                    <table class="table adm-table">
                        <caption>"Profils dont la personne est membre"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Profil"</th>
                                <th scope="col">"Type"</th>
                                <th scope="col">"Rôle dans le profil"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {profiles
                                .into_iter()
                                .map(|p| {
                                    view! {
                                        <tr>
                                            <td>{p.name}</td>
                                            <td>{p.kind}</td>
                                            <td>{p.role}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>

        <section aria-labelledby="titre-services">
            <h2 id="titre-services">"Services instructeurs"</h2>
            {if services.is_empty() {
                view! { <p class="muted">"Membre d’aucun service."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {services.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>

        {(!deleted)
            .then(|| {
                view! {
                    <section class="adm-user-actions" aria-labelledby="titre-actions">
                        <h2 id="titre-actions">"Actions"</h2>
                        <div class="card adm-user-action">
                            <h3>"Changer le rôle"</h3>
                            <p>
                                "La personne devra se reconnecter ; un instructeur ou un administrateur active un second facteur à sa prochaine connexion."
                            </p>
                            <ActionForm action=change attr:class="form" attr:novalidate=true>
                                <input type="hidden" name="id" value=id.to_string() />
                                <RadioGroup
                                    legend="Rôle du compte"
                                    name="role"
                                    options=ROLES.into_iter().map(|r| (r.as_str(), r.label())).collect()
                                    selected=current_role
                                    error=change_error
                                />
                                <SubmitButton label="Changer le rôle" />
                            </ActionForm>
                        </div>
                        {show_active
                            .then(|| {
                                view! {
                                    <div class="card adm-user-action">
                                        <h3>{active_title}</h3>
                                        <p>{active_text}</p>
                                        <ActionForm action=active attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <input type="hidden" name="actif" value=actif_value />
                                            <button type="submit" id="champ-actif" class="button button-secondary">
                                                {active_title}
                                            </button>
                                        </ActionForm>
                                    </div>
                                }
                            })}
                        {show_resend
                            .then(|| {
                                view! {
                                    <div class="card adm-user-action">
                                        <h3>"Renvoyer le courriel de confirmation"</h3>
                                        <p>
                                            "Un nouveau lien de confirmation est envoyé à l’adresse du compte ; il est valable 48 heures."
                                        </p>
                                        <ActionForm action=resend attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <button type="submit" id="champ-confirmation" class="button button-secondary">
                                                "Renvoyer le courriel de confirmation"
                                            </button>
                                        </ActionForm>
                                    </div>
                                }
                            })}
                        {show_reset
                            .then(|| {
                                view! {
                                    <div class="card adm-user-action">
                                        <h3>"Réinitialiser le second facteur"</h3>
                                        <p>
                                            "À utiliser si la personne a perdu son téléphone et ses codes de secours."
                                        </p>
                                        <ActionForm action=reset attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <button type="submit" class="button button-secondary">
                                                "Réinitialiser le second facteur"
                                            </button>
                                        </ActionForm>
                                    </div>
                                }
                            })}
                    </section>
                }
            })}
    }
}

// ---------------------------------------------------------------- audit log

fn audit_query_of(map: &ParamsMap) -> AuditQuery {
    let get = |k: &str| map.get(k).filter(|v| !v.trim().is_empty());
    AuditQuery {
        action: get("action"),
        qui: get("qui"),
        objet: get("objet"),
        id: get("id"),
        du: get("du"),
        au: get("au"),
        apres: get("apres"),
    }
}

/// « Journal des actions »: filters, the export, the lines from the most recent.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(move || query.with(audit_query_of), admin_audit);
    view! {
        <Title text="Journal des actions – Administration" />
        <div class="container page page-wide">
            <Breadcrumb trail=vec![("/admin", "Administration")] current="Journal des actions" />
            <AdminNav current="Journal" />
            <h1>"Journal des actions"</h1>
            <p class="lead">
                "Chaque action d’administration ou d’instruction, chaque connexion et chaque réinitialisation de mot de passe y est inscrite ; rien ne peut en être modifié ni effacé."
            </p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(journal) => view! { <AuditView journal /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AuditView(journal: AuditData) -> impl IntoView {
    let q = journal.query.clone();
    let filters = q.to_query_string();
    let export_href = if filters.is_empty() {
        "/admin/journal.csv".to_owned()
    } else {
        format!("/admin/journal.csv?{filters}")
    };
    let next_href = journal.next.clone().map(|next| {
        let cursor = format!("apres={}", encode_component(&next));
        if filters.is_empty() {
            format!("/admin/journal?{cursor}")
        } else {
            format!("/admin/journal?{filters}&{cursor}")
        }
    });
    let qui = q.qui.clone().unwrap_or_default();
    let object_id = q.id.clone().unwrap_or_default();
    let du = q.du.clone().unwrap_or_default();
    let au = q.au.clone().unwrap_or_default();
    let rows = journal.rows;
    view! {
        <form
            method="get"
            action="/admin/journal"
            class="adm-filters"
            role="search"
            aria-label="Filtrer le journal"
        >
            <div class="field">
                <label for="filtre-action">"Action"</label>
                <select id="filtre-action" name="action">
                    <option value="">"Toutes les actions"</option>
                    {AuditAction::ALL
                        .into_iter()
                        .map(|a| {
                            let selected = q.action.as_deref() == Some(a.as_str());
                            view! {
                                <option value=a.as_str() selected=selected>
                                    {a.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filtre-qui">"Auteur (adresse électronique)"</label>
                <input id="filtre-qui" name="qui" type="text" value=qui autocomplete="off" spellcheck="false" />
            </div>
            <div class="field">
                <label for="filtre-objet">"Objet"</label>
                <select id="filtre-objet" name="objet">
                    <option value="">"Tous les objets"</option>
                    {AUDIT_OBJECTS
                        .into_iter()
                        .map(|(value, label)| {
                            let selected = q.objet.as_deref() == Some(value);
                            view! {
                                <option value=value selected=selected>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filtre-id">"Numéro de l’objet"</label>
                <p class="hint" id="filtre-id-aide">"Avec un objet choisi ci-dessus."</p>
                <input
                    id="filtre-id"
                    name="id"
                    type="text"
                    inputmode="numeric"
                    class="input-short"
                    value=object_id
                    aria-describedby="filtre-id-aide"
                />
            </div>
            <div class="field">
                <label for="filtre-du">"Du"</label>
                <input id="filtre-du" name="du" type="date" class="input-medium" value=du />
            </div>
            <div class="field">
                <label for="filtre-au">"Au"</label>
                <input id="filtre-au" name="au" type="date" class="input-medium" value=au />
            </div>
            <div class="button-group">
                <button type="submit" class="button">
                    "Filtrer"
                </button>
                <a class="button button-tertiary" href="/admin/journal">
                    "Effacer les filtres"
                </a>
            </div>
        </form>
        <p class="adm-toolbar">
            <a class="button button-secondary" href=export_href rel="external">
                "Exporter en CSV"
                <span class="visually-hidden">" les actions de ces filtres"</span>
            </a>
        </p>
        {if rows.is_empty() {
            view! { <p class="empty-state">"Aucune action ne correspond à ces filtres."</p> }
                .into_any()
        } else {
            view! {
                <div
                    class="table-scroll"
                    role="region"
                    tabindex="0"
                    aria-label="Journal des actions (défilement horizontal possible)"
                >
                    <table class="table adm-table adm-audit">
                        <caption>"Actions, de la plus récente à la plus ancienne"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Auteur"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Objet"</th>
                                <th scope="col">"Détail"</th>
                                <th scope="col">"Adresse IP"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <tr>
                                            <td class="adm-nowrap">{r.at}</td>
                                            <td>{r.actor}</td>
                                            <td>{r.action_label}</td>
                                            <td>{r.object}</td>
                                            <td>{r.detail}</td>
                                            <td class="adm-nowrap">{r.ip}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
                .into_any()
        }}
        {next_href
            .map(|href| {
                view! {
                    <p class="adm-more">
                        <a class="button button-secondary" href=href>
                            "Actions plus anciennes"
                        </a>
                    </p>
                }
            })}
    }
}
