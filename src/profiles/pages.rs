//! « Mes profils », a profile's « Informations » and « Composition » (with « Partage(s)
//! du profil »).

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    AddShare, ChangeMember, CreateProfile, JoinProfile, RevokeShare, SetReceipts, UpdateProfile,
    get_profile, my_profiles, profile_composition, take_new_share,
};
use super::model::{Composition, MemberRole, NewShare, ProfileCard, ProfileDetail, ProfileKind};
use crate::account::pages::{FlashMessage, error_view};
use crate::ui::form::{ErrorSummary, RadioGroup, SubmitButton, TextField, form_error};
use crate::ui::{Breadcrumb, Loading};

#[component]
fn ProfileTile(card: ProfileCard) -> impl IntoView {
    let href = format!("/mon-compte/profils/{}", card.id);
    view! {
        <li class="tile">
            <h2 class="tile-title">
                <a href=href class="tile-link">
                    {card.name}
                </a>
            </h2>
            <p class="tile-summary">
                {if card.kind == ProfileKind::Particulier {
                    "Vous-même : les demandes que vous faites pour vous.".to_owned()
                } else {
                    format!("Votre fonction : {}", card.function)
                }}
            </p>
            <p class="tile-meta">
                <span class="badge">{card.kind.label()}</span>
                " "
                <span class="badge badge-neutral">{card.role.label()}</span>
            </p>
        </li>
    }
}

/// « Ajouter un profil »: the creation form.
#[component]
fn CreateProfileForm() -> impl IntoView {
    let action = ServerAction::<CreateProfile>::new();
    let error = form_error(action);
    view! {
        <section class="card" aria-labelledby="titre-ajouter-profil">
            <h3 id="titre-ajouter-profil">"Ajouter un profil"</h3>
            <p>
                "Pour déposer des demandes au nom d’une collectivité, d’une association ou d’une entreprise. Vous en serez le premier gestionnaire."
            </p>
            <ActionForm action attr:novalidate=true attr:class="form">
                <ErrorSummary error />
                <RadioGroup
                    legend="Type de profil"
                    name="kind"
                    options=ProfileKind::CREATABLE.iter().map(|k| (k.as_str(), k.label())).collect()
                    error
                />
                <TextField
                    label="Nom"
                    name="name"
                    hint="Par exemple Commune de Saint-Exemple"
                    autocomplete="organization"
                    error
                />
                <TextField
                    label="Numéro SIRET"
                    name="siret"
                    hint="14 chiffres, sur l’avis de situation au répertoire Sirene"
                    inputmode="numeric"
                    width="input-medium"
                    error
                />
                <TextField label="Numéro et voie" name="address_line" autocomplete="street-address" error />
                <TextField
                    label="Code postal"
                    name="postal_code"
                    autocomplete="postal-code"
                    inputmode="numeric"
                    width="input-short"
                    error
                />
                <TextField label="Commune" name="commune" autocomplete="address-level2" error />
                <TextField
                    label="Votre fonction"
                    name="function"
                    hint="Par exemple Maire, Trésorière, Secrétaire général"
                    autocomplete="organization-title"
                    error
                />
                <SubmitButton label="Ajouter le profil" />
            </ActionForm>
        </section>
    }
}

/// « Rejoindre un profil existant »: the key received and one's function, « Envoyer ».
#[component]
fn JoinProfileForm() -> impl IntoView {
    let action = ServerAction::<JoinProfile>::new();
    let error = form_error(action);
    view! {
        <section class="card" aria-labelledby="titre-rejoindre-profil">
            <h3 id="titre-rejoindre-profil">"Rejoindre un profil existant"</h3>
            <p>
                "Un gestionnaire du profil vous a transmis une clé de partage : saisissez-la avec votre fonction."
            </p>
            <ActionForm action attr:novalidate=true attr:class="form">
                <ErrorSummary error />
                <TextField
                    label="Clé de partage"
                    name="key"
                    hint="28 caractères, par exemple K7QM-X2ZP-9RTD-4HWB-8NCA-5EVJ-3GLS"
                    autocomplete="off"
                    error
                />
                <TextField
                    label="Votre fonction"
                    name="join_function"
                    hint="Par exemple Secrétaire de mairie, Trésorière"
                    autocomplete="organization-title"
                    error
                />
                <SubmitButton label="Envoyer" />
            </ActionForm>
        </section>
    }
}

/// « Mes profils ».
#[component]
pub fn ProfilesPage() -> impl IntoView {
    let profiles = Resource::new(|| (), |_| my_profiles());
    let query = use_query_map();
    let adding = Signal::derive(move || query.with(|q| q.get("ajouter").is_some()));
    view! {
        <Title text="Mes profils" />
        <div class="container page">
            <Breadcrumb trail=vec![("/mon-compte", "Mon compte")] current="Mes profils" />
            <h1>"Mes profils"</h1>
            <FlashMessage />
            <p>
                "Un profil est l’identité sous laquelle vous déposez une demande : vous-même, ou une collectivité, une association, une entreprise que vous représentez. Ses membres voient et complètent ses demandes."
            </p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match profiles.await {
                        Ok(list) => {
                            view! {
                                <ul class="tile-grid" role="list">
                                    {list
                                        .into_iter()
                                        .map(|card| view! { <ProfileTile card /> })
                                        .collect_view()}
                                    <li class="tile tile-action">
                                        <h2 class="tile-title">
                                            <a
                                                href="/mon-compte/profils?ajouter=1#ajouter"
                                                class="tile-link"
                                                aria-expanded=move || adding.get().to_string()
                                                aria-controls="ajouter"
                                            >
                                                "Ajouter ou rejoindre un profil"
                                            </a>
                                        </h2>
                                        <p class="tile-summary">
                                            "Créez le profil d’une collectivité, d’une association ou d’une entreprise, ou rejoignez-en un avec une clé de partage."
                                        </p>
                                    </li>
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => error_view(error),
                    }
                })}
            </Suspense>
            <div id="ajouter" tabindex="-1">
                <Show when=move || adding.get()>
                    <div class="columns section">
                        <CreateProfileForm />
                        <JoinProfileForm />
                    </div>
                </Show>
            </div>
        </div>
    }
}

fn profile_id() -> Memo<i32> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    })
}

#[component]
fn Tabs(id: i32, current: &'static str) -> impl IntoView {
    let tabs = [
        ("Informations", format!("/mon-compte/profils/{id}")),
        (
            "Composition",
            format!("/mon-compte/profils/{id}/composition"),
        ),
    ];
    view! {
        <nav class="tabs" aria-label="Sections du profil">
            <ul>
                {tabs
                    .into_iter()
                    .map(|(label, href)| {
                        view! {
                            <li>
                                <a href=href aria-current=(label == current).then_some("page")>
                                    {label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

#[component]
fn ProfileHeader(detail: ProfileDetail, current: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{} – {current}", detail.name) />
        <Breadcrumb
            trail=vec![("/mon-compte", "Mon compte"), ("/mon-compte/profils", "Mes profils")]
            current=detail.name.clone()
        />
        <h1>{detail.name.clone()}</h1>
        <p class="lead">
            <span class="badge">{detail.kind.label()}</span>
            " "
            {format!("Vous : {} ({})", detail.my_function, detail.my_role.label().to_lowercase())}
        </p>
        <FlashMessage />
        <Tabs id=detail.id current />
    }
}

#[component]
fn InfoView(detail: ProfileDetail) -> impl IntoView {
    let query = use_query_map();
    let editing = Signal::derive(move || query.with(|q| q.get("modifier").is_some()));
    let manager = detail.my_role == MemberRole::Manager;
    let personal = detail.is_personal();
    let id = detail.id;
    let action = ServerAction::<UpdateProfile>::new();
    let error = form_error(action);
    let rows = vec![
        ("Type", detail.kind.label().to_owned()),
        ("Nom", detail.name.clone()),
        ("Numéro SIRET", detail.siret.clone()),
        (
            "Adresse",
            if detail.address_line.is_empty() {
                String::new()
            } else {
                format!(
                    "{}, {} {}",
                    detail.address_line, detail.postal_code, detail.commune
                )
            },
        ),
    ];
    let d = StoredValue::new(detail.clone());
    view! {
        <ProfileHeader detail=detail.clone() current="Informations" />
        {if personal {
            view! {
                <p>
                    "C’est votre profil personnel : ses informations sont celles de "
                    <a href="/mon-compte/donnees-personnelles">"Mes données personnelles"</a>
                    ". Il ne peut pas être partagé."
                </p>
            }
                .into_any()
        } else {
            view! {
                <dl class="summary-list">
                    {rows
                        .into_iter()
                        .map(|(label, value)| {
                            view! {
                                <div>
                                    <dt>{label}</dt>
                                    <dd>{value}</dd>
                                </div>
                            }
                        })
                        .collect_view()}
                </dl>
                {manager
                    .then(|| {
                        view! {
                            <Show
                                when=move || editing.get()
                                fallback=move || {
                                    view! {
                                        <p>
                                            <a
                                                class="button button-secondary"
                                                href=format!("/mon-compte/profils/{id}?modifier=1#modifier")
                                            >
                                                "Modifier les informations"
                                            </a>
                                        </p>
                                    }
                                }
                            >
                                <section class="card edit-card" id="modifier" aria-labelledby="titre-modifier">
                                    <h2 id="titre-modifier">"Modifier les informations"</h2>
                                    <ActionForm action attr:novalidate=true attr:class="form">
                                        <ErrorSummary error />
                                        <input type="hidden" name="profile_id" value=id />
                                        <TextField label="Nom" name="name" value=d.get_value().name autofocus=true error />
                                        <TextField
                                            label="Numéro SIRET"
                                            name="siret"
                                            inputmode="numeric"
                                            width="input-medium"
                                            value=d.get_value().siret
                                            error
                                        />
                                        <TextField
                                            label="Numéro et voie"
                                            name="address_line"
                                            value=d.get_value().address_line
                                            error
                                        />
                                        <TextField
                                            label="Code postal"
                                            name="postal_code"
                                            inputmode="numeric"
                                            width="input-short"
                                            value=d.get_value().postal_code
                                            error
                                        />
                                        <TextField label="Commune" name="commune" value=d.get_value().commune error />
                                        <div class="button-group">
                                            <button type="submit" class="button">
                                                "Enregistrer"
                                            </button>
                                            <a class="button button-secondary" href=format!("/mon-compte/profils/{id}")>
                                                "Annuler"
                                            </a>
                                        </div>
                                    </ActionForm>
                                </section>
                            </Show>
                        }
                    })}
                <ReceiptsForm id receipts=d.get_value().my_receipts />
            }
                .into_any()
        }}
    }
}

/// « Accusés de réception »: whether this member receives the receipts of dossiers
/// filed by the profile's other members.
#[component]
fn ReceiptsForm(id: i32, receipts: bool) -> impl IntoView {
    let action = ServerAction::<SetReceipts>::new();
    view! {
        <section class="card" aria-labelledby="titre-accuses">
            <h2 id="titre-accuses">"Accusés de réception"</h2>
            <ActionForm action attr:class="form">
                <input type="hidden" name="profile_id" value=id />
                <div class="field">
                    <div class="choice">
                        <input type="checkbox" id="champ-receipts" name="receipts" value="on" checked=receipts />
                        <label for="champ-receipts">
                            "Recevoir par courriel l’accusé de réception des dossiers déposés par les autres membres de ce profil"
                        </label>
                    </div>
                </div>
                <div class="button-group">
                    <button type="submit" class="button button-secondary">"Enregistrer ce choix"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// A profile's « Informations ».
#[component]
pub fn ProfileInfoPage() -> impl IntoView {
    let id = profile_id();
    let outcomes = crate::ui::form_outcomes(&["message"]);
    let detail = Resource::new(
        move || (id.get(), outcomes.get()),
        |(id, _)| get_profile(id),
    );
    view! {
        <div class="container page">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => view! { <InfoView detail /> }.into_any(),
                        Err(error) => error_view(error),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The key just made, shown once, with a copy button once the client runs.
#[component]
fn NewKey(share: NewShare) -> impl IntoView {
    view! {
        <div class="notice notice-success new-key" id="nouvelle-cle" tabindex="-1">
            <p class="notice-title">"Nouvelle clé de partage"</p>
            <p>
                "Transmettez cette clé à la personne qui doit rejoindre le profil (de vive voix, par téléphone ou par un message). Elle ne sera plus jamais affichée : le portail n’en garde qu’une empreinte."
            </p>
            <p class="share-key">
                <code>{share.key.clone()}</code>
            </p>
            <p>{format!("Valable une seule fois, jusqu’au {}.", share.expires_at)}</p>
            <CopyKey key=share.key />
        </div>
    }
}

/// « Copier la clé », an island: it exists only once the client runs.
#[island]
fn CopyKey(key: String) -> impl IntoView {
    crate::island_hydrated();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let write = || -> Option<()> {
                let window = leptos::prelude::window();
                let navigator = js_sys::Reflect::get(&window, &"navigator".into()).ok()?;
                let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).ok()?;
                let write = js_sys::Reflect::get(&clipboard, &"writeText".into())
                    .ok()?
                    .dyn_into::<js_sys::Function>()
                    .ok()?;
                write.call1(&clipboard, &key.clone().into()).ok()?;
                Some(())
            };
            copied.set(write().is_some());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &key;
    };
    view! {
        <Show when=move || hydrated.get()>
            <p>
                <button type="button" class="button button-secondary" on:click=copy.clone()>
                    "Copier la clé"
                </button>
                <span role="status" class="copy-status">
                    {move || copied.get().then_some(" Clé copiée.")}
                </span>
            </p>
        </Show>
    }
}

#[component]
fn CompositionView(composition: Composition, new_share: Option<NewShare>) -> impl IntoView {
    let id = composition.profile.id;
    let manager = composition.profile.my_role == MemberRole::Manager;
    let personal = composition.profile.is_personal();
    let several_managers = composition.manager_count > 1;
    let change = ServerAction::<ChangeMember>::new();
    let change_error = form_error(change);
    let add = ServerAction::<AddShare>::new();
    let add_error = form_error(add);
    let revoke = ServerAction::<RevokeShare>::new();
    let revoke_error = form_error(revoke);
    let member_form = move |member_id: i32, action_name: &'static str, label: String| {
        view! {
            <ActionForm action=change attr:class="inline-form">
                <input type="hidden" name="profile_id" value=id />
                <input type="hidden" name="member_id" value=member_id />
                <input type="hidden" name="action" value=action_name />
                <button type="submit" class="button-link">
                    {label}
                </button>
            </ActionForm>
        }
    };
    view! {
        <ProfileHeader detail=composition.profile.clone() current="Composition" />
        <ErrorSummary error=change_error />
        <h2>"Membres"</h2>
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">"Membres du profil"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Nom"</th>
                        <th scope="col">"Fonction"</th>
                        <th scope="col">"Rôle"</th>
                        <th scope="col">"Membre depuis le"</th>
                        {(!personal).then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {composition
                        .members
                        .into_iter()
                        .map(|m| {
                            let name = m.name.clone();
                            let actions = if personal {
                                None
                            } else {
                                let mut forms = Vec::new();
                                if m.is_me {
                                    if m.role == MemberRole::Manager && several_managers {
                                        forms.push(member_form(m.id, "se-retirer", "Ne plus être gestionnaire".into()));
                                    }
                                    if m.role == MemberRole::Member || several_managers {
                                        forms.push(member_form(m.id, "quitter", "Quitter le profil".into()));
                                    }
                                } else if manager {
                                    if m.role == MemberRole::Member {
                                        forms.push(member_form(m.id, "nommer", format!("Nommer {name} gestionnaire")));
                                    }
                                    forms.push(member_form(m.id, "retirer", format!("Retirer {name}")));
                                }
                                Some(view! { <td class="actions">{forms}</td> })
                            };
                            view! {
                                <tr>
                                    <th scope="row">
                                        {m.name}
                                        {m.is_me.then_some(" (vous)")}
                                    </th>
                                    <td>{m.function}</td>
                                    <td>{m.role.label()}</td>
                                    <td>{crate::account::model::format_date_fr(&m.joined_on)}</td>
                                    {actions}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <section class="section" aria-labelledby="titre-partages">
            <h2 id="titre-partages">"Partage(s) du profil"</h2>
            {if personal {
                view! { <p>"Un profil personnel ne peut pas être partagé."</p> }.into_any()
            } else if let Some(shares) = composition.shares {
                view! {
                    <p>
                        "Pour qu’une personne rejoigne le profil, ajoutez un partage : une clé sera générée, à transmettre à la personne. Elle la saisira dans « Mes profils » → « Ajouter ou rejoindre un profil » → « Rejoindre un profil existant »."
                    </p>
                    {new_share.map(|share| view! { <NewKey share /> })}
                    <ErrorSummary error=add_error />
                    <ErrorSummary error=revoke_error />
                    <ActionForm action=add attr:class="form">
                        <input type="hidden" name="profile_id" value=id />
                        <button type="submit" class="button">
                            "Ajouter un partage"
                        </button>
                    </ActionForm>
                    {if shares.is_empty() {
                        view! { <p>"Aucun partage n’a encore été créé."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="table">
                                    <caption class="visually-hidden">"Partages du profil"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Créé par"</th>
                                            <th scope="col">"Créé le"</th>
                                            <th scope="col">"Expire le"</th>
                                            <th scope="col">"État"</th>
                                            <th scope="col">"Actions"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {shares
                                            .into_iter()
                                            .map(|s| {
                                                let state = match &s.used_by {
                                                    Some(who) => format!("{} par {who}", s.state.label()),
                                                    None => s.state.label().to_owned(),
                                                };
                                                let active = s.state == super::model::ShareState::Active;
                                                let created = s.created_at.clone();
                                                view! {
                                                    <tr>
                                                        <td>{s.created_by}</td>
                                                        <td>{s.created_at}</td>
                                                        <td>{s.expires_at}</td>
                                                        <td>{state}</td>
                                                        <td>
                                                            {active
                                                                .then(|| {
                                                                    view! {
                                                                        <ActionForm action=revoke attr:class="inline-form">
                                                                            <input type="hidden" name="profile_id" value=id />
                                                                            <input type="hidden" name="share_id" value=s.id />
                                                                            <button type="submit" class="button-link">
                                                                                "Révoquer"
                                                                                <span class="visually-hidden">
                                                                                    {format!(" le partage créé le {created}")}
                                                                                </span>
                                                                            </button>
                                                                        </ActionForm>
                                                                    }
                                                                })}
                                                        </td>
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
                }
                    .into_any()
            } else {
                view! {
                    <p>
                        "Seuls les gestionnaires du profil peuvent ajouter un partage. Pour faire entrer une personne, demandez-le à l’un d’eux."
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
}

/// A profile's « Composition ».
#[component]
pub fn CompositionPage() -> impl IntoView {
    let id = profile_id();
    let query = use_query_map();
    let outcomes = crate::ui::form_outcomes(&["message", "partage"]);
    let composition = Resource::new(
        move || (id.get(), outcomes.get()),
        |(id, _)| profile_composition(id),
    );
    // The key just generated: asked for only when the address says one was made.
    let new_share = Resource::new(
        move || (id.get(), query.with(|q| q.get("partage").is_some())),
        |(id, wanted)| async move {
            if wanted {
                take_new_share(id).await.ok().flatten()
            } else {
                None
            }
        },
    );
    view! {
        <div class="container page">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let share = new_share.await;
                    match composition.await {
                        Ok(composition) => view! { <CompositionView composition new_share=share /> }.into_any(),
                        Err(error) => error_view(error),
                    }
                })}
            </Transition>
        </div>
    }
}
