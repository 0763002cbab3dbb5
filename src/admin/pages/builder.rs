//! The administrators' form builder: the pages and fields of a démarche's form, the
//! editor of a page, the editor of a field (with its preview) and the preview of the
//! whole form as citizens see it.
//!
//! Every change is a small form posting to a server function, so the builder works
//! without JavaScript; with it, pages and fields may also be dragged and dropped
//! (the same server functions move them).

use std::collections::{BTreeMap, BTreeSet};

use crate::ui::Title;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{AdminNav, TextAreaField};
use crate::account::pages::error_view;
use crate::admin::api::{
    AddField, AddPage, MoveField, MovePage, RemoveField, RemovePage, SaveField, SavePage,
    admin_field, admin_form, admin_page,
};
use crate::admin::model::{
    ConditionChoice, DemarcheEditor, FIELD_TYPES, FieldEditor, FieldSettings, PageEditor,
    field_type_label,
};
use crate::dossiers::pages::Stepper;
use crate::error::AppError;
use crate::forms::view::{FieldContext, PageFields};
use crate::forms::{Answers, Condition, Field, FieldKind, FormDefinition, FormPage, Value};
use crate::ui::form::{
    ErrorSummary, FieldMessage, RadioGroup, TextField, described_by, form_error,
};
use crate::ui::{Breadcrumb, Loading};

// ---------------------------------------------------------------- helpers

/// The `id` route parameter (0 when missing: the server answers « introuvable »).
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

/// A text route parameter (`key`, `page`).
fn text_param(name: &'static str) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get(name).unwrap_or_default()
}

/// The HTML id of a form input, as `ui::form` builds it (the error summary links to it).
fn field_id(name: &str) -> String {
    format!("champ-{}", name.replace('_', "-"))
}

/// The slug of a field's kind, as in [`FIELD_TYPES`].
fn kind_slug(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::ShortText { .. } => "short_text",
        FieldKind::LongText { .. } => "long_text",
        FieldKind::Number { .. } => "number",
        FieldKind::Date { .. } => "date",
        FieldKind::Email => "email",
        FieldKind::Phone => "phone",
        FieldKind::YesNo => "yes_no",
        FieldKind::SingleChoice { .. } => "single_choice",
        FieldKind::MultipleChoice { .. } => "multiple_choice",
        FieldKind::Address => "address",
        FieldKind::Siret => "siret",
        FieldKind::Iban => "iban",
        FieldKind::Attachment { .. } => "attachment",
        FieldKind::Section => "section",
        FieldKind::Explanation => "explanation",
        FieldKind::Group { .. } => "group",
    }
}

/// An answer as people read it: `oui` is « Oui ».
fn answer_words(value: &str) -> String {
    match value {
        "oui" => "Oui".to_owned(),
        "non" => "Non".to_owned(),
        other => other.to_owned(),
    }
}

/// The questions of the whole form by key (top-level fields of every page: the only
/// ones a condition may name).
fn labels_of_form(def: &FormDefinition) -> BTreeMap<String, String> {
    def.pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .map(|f| (f.key.clone(), f.label.clone()))
        .collect()
}

/// « Affichée si « Êtes-vous allocataire ? » = Oui ».
fn condition_words(
    shown: &str,
    condition: &Condition,
    labels: &BTreeMap<String, String>,
) -> String {
    let question = labels
        .get(&condition.field)
        .cloned()
        .unwrap_or_else(|| condition.field.clone());
    format!(
        "{shown} si « {question} » = {}",
        answer_words(&condition.equals)
    )
}

/// A field context that shows fields without any answer, file or error (the previews).
fn preview_context(
    answers: Answers,
    max_file_mb: u64,
    live: RwSignal<Answers>,
    scripted: Signal<bool>,
    labels: BTreeMap<String, String>,
) -> FieldContext {
    FieldContext {
        answers,
        files: Vec::new(),
        errors: Signal::derive(Vec::new),
        max_file_mb,
        live,
        scripted,
        labels,
        hidden_fields: Vec::new(),
    }
}

/// The notice of the last action.
fn notice_view(notice: Option<String>) -> impl IntoView {
    notice.map(|text| {
        view! {
            <div class="notice notice-success" role="status">
                <p>{text}</p>
            </div>
        }
    })
}

// ---------------------------------------------------------------- browser-only parts

/// Lets the drag start everywhere: some browsers need data in the drag. Read through
/// `Reflect` so that no other `web-sys` feature is needed.
#[cfg(feature = "hydrate")]
fn mark_drag(ev: &leptos::ev::DragEvent) {
    use wasm_bindgen::{JsCast, JsValue};
    let event: &JsValue = ev.as_ref();
    let Ok(transfer) = js_sys::Reflect::get(event, &JsValue::from_str("dataTransfer")) else {
        return;
    };
    if !transfer.is_object() {
        return;
    }
    let _ = js_sys::Reflect::set(
        &transfer,
        &JsValue::from_str("effectAllowed"),
        &JsValue::from_str("move"),
    );
    if let Ok(set_data) = js_sys::Reflect::get(&transfer, &JsValue::from_str("setData"))
        && let Some(set_data) = set_data.dyn_ref::<js_sys::Function>()
    {
        let _ = set_data.call2(
            &transfer,
            &JsValue::from_str("application/x-guichet-builder"),
            &JsValue::from_str("move"),
        );
    }
}

#[cfg(not(feature = "hydrate"))]
fn mark_drag(_ev: &leptos::ev::DragEvent) {}

/// The field as the settings form describes it right now (its condition left out:
/// the preview shows one field alone); `None` while a setting is invalid.
#[cfg(feature = "hydrate")]
fn live_settings(settings_box: &NodeRef<leptos::html::Div>, base: &Field) -> Option<Field> {
    use wasm_bindgen::JsCast;
    let container: web_sys::HtmlDivElement = settings_box.get_untracked()?;
    let form: web_sys::HtmlFormElement = container.query_selector("form").ok()??.dyn_into().ok()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let mut pairs = Vec::new();
    for entry in js_sys::try_iter(&data).ok()??.flatten() {
        let entry: js_sys::Array = entry.unchecked_into();
        if let (Some(name), Some(value)) = (entry.get(0).as_string(), entry.get(1).as_string()) {
            pairs.push((name, value));
        }
    }
    crate::admin::builder::preview_field(base, &pairs)
}

#[cfg(not(feature = "hydrate"))]
fn live_settings(_settings_box: &NodeRef<leptos::html::Div>, _base: &Field) -> Option<Field> {
    None
}

/// The answers typed in the preview form, over `base`.
#[cfg(feature = "hydrate")]
fn read_answers(
    form: &NodeRef<leptos::html::Form>,
    page: &FormPage,
    base: &Answers,
) -> Option<Answers> {
    use wasm_bindgen::JsCast;
    let form: web_sys::HtmlFormElement = form.get_untracked()?;
    let data = web_sys::FormData::new_with_form(&form).ok()?;
    let mut pairs = Vec::new();
    for entry in js_sys::try_iter(&data).ok()??.flatten() {
        let entry: js_sys::Array = entry.unchecked_into();
        if let Some(value) = entry.get(1).as_string() {
            pairs.push((entry.get(0).as_string().unwrap_or_default(), value));
        }
    }
    let mut answers = base.clone();
    crate::forms::read_page(page, &pairs, &mut answers);
    Some(answers)
}

#[cfg(not(feature = "hydrate"))]
fn read_answers(
    _form: &NodeRef<leptos::html::Form>,
    _page: &FormPage,
    _base: &Answers,
) -> Option<Answers> {
    None
}

/// « Monter » / « Descendre » of the item at `index` among `count` (each absent at its
/// edge), inside the item's move form; `context` names the item for screen readers.
#[component]
fn MoveButtons(index: usize, count: usize, context: String) -> impl IntoView {
    let down = context.clone();
    view! {
        {(index > 0)
            .then(|| {
                view! {
                    <button type="submit" name="sens" value="haut" class="button button-secondary button-small">
                        "Monter"
                        <span class="visually-hidden">{context}</span>
                    </button>
                }
            })}
        {(index + 1 < count)
            .then(|| {
                view! {
                    <button type="submit" name="sens" value="bas" class="button button-secondary button-small">
                        "Descendre"
                        <span class="visually-hidden">{down}</span>
                    </button>
                }
            })}
    }
}

// ---------------------------------------------------------------- the builder

/// The builder's small forms.
#[derive(Clone, Copy)]
struct BuilderActions {
    add_page: ServerAction<AddPage>,
    move_page: ServerAction<MovePage>,
    remove_page: ServerAction<RemovePage>,
    add_field: ServerAction<AddField>,
    move_field: ServerAction<MoveField>,
    remove_field: ServerAction<RemoveField>,
}

/// What every part of the builder reads.
#[derive(Clone, Copy)]
struct Builder {
    id: i32,
    actions: BuilderActions,
    add_error: Signal<Option<AppError>>,
    labels: StoredValue<BTreeMap<String, String>>,
    max_file_mb: u64,
}

/// What is being dragged: a page (`container` is `pages`), or a field of a page
/// (`page:KEY`) or of a group (`groupe:KEY`). It can be dropped in its container only.
#[derive(Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Drag {
    container: String,
    /// The id of the item's « Monter / Descendre » form, which the drop sends.
    move_form: String,
}

/// Drag and drop of the builder's pages and fields, an island around the list
/// (`children`, drawn by the server). Each item says what it is (`data-drag`: its
/// container, `data-index`, `data-move-form`); the handlers sit on the list and find the
/// item under the pointer. A drop sends the item's own « Monter / Descendre » form with
/// the target position (`vers`), as a browser sends a form: the server moves the item
/// and shows the builder again. Offered only once the client runs; without it, the
/// buttons do the same.
#[island(lazy)]
fn DragAndDrop(children: Children) -> impl IntoView {
    crate::island_hydrated();
    let hydrated = RwSignal::new(false);
    let list = NodeRef::<leptos::html::Div>::new();
    let drag = StoredValue::new(None::<Drag>);
    Effect::new(move |_| {
        hydrated.set(true);
        #[cfg(feature = "hydrate")]
        if let Some(list) = list.get_untracked()
            && let Ok(items) = list.query_selector_all("[data-drag]")
        {
            use wasm_bindgen::JsCast;
            for i in 0..items.length() {
                if let Some(item) = items
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                {
                    let _ = item.set_attribute("draggable", "true");
                    let _ = item.class_list().add_1("adm-draggable");
                }
            }
        }
    });
    let on_start = move |ev: leptos::ev::DragEvent| {
        // A field's item is inside its page's: the innermost one is dragged.
        if let Some(item) = drag_item(&ev, None) {
            mark_drag(&ev);
            drag.set_value(Some(item.0));
        }
    };
    let on_over = move |ev: leptos::ev::DragEvent| {
        let container = drag.with_value(|d| d.as_ref().map(|d| d.container.clone()));
        if let Some(container) = container
            && drag_item(&ev, Some(&container)).is_some()
        {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        let Some(source) = drag.get_value() else {
            return;
        };
        let Some((target, index)) = drag_item(&ev, Some(&source.container)) else {
            return;
        };
        ev.prevent_default();
        drag.set_value(None);
        if target.move_form != source.move_form {
            send_move(&source.move_form, index);
        }
    };
    view! {
        <Show when=move || hydrated.get()>
            <p class="hint adm-drag-hint">"Vous pouvez aussi glisser-déposer les pages et les champs."</p>
        </Show>
        <div
            class="adm-builder"
            node_ref=list
            on:dragstart=on_start
            on:dragover=on_over
            on:drop=on_drop
            on:dragend=move |_| drag.set_value(None)
        >
            {children()}
        </div>
    }
}

/// The item of the builder under the event (the innermost, or the nearest of
/// `container`), with its position.
#[cfg(feature = "hydrate")]
fn drag_item(ev: &leptos::ev::DragEvent, container: Option<&str>) -> Option<(Drag, usize)> {
    use wasm_bindgen::JsCast;
    let target: web_sys::Element = ev.target()?.dyn_into().ok()?;
    let selector = match container {
        Some(c) => format!("[data-drag=\"{c}\"]"),
        None => "[data-drag]".to_owned(),
    };
    let item = target.closest(&selector).ok()??;
    let drag = Drag {
        container: item.get_attribute("data-drag")?,
        move_form: item.get_attribute("data-move-form")?,
    };
    let index = item.get_attribute("data-index")?.parse().ok()?;
    Some((drag, index))
}

#[cfg(not(feature = "hydrate"))]
fn drag_item(_ev: &leptos::ev::DragEvent, _container: Option<&str>) -> Option<(Drag, usize)> {
    None
}

/// Sends the move form `form_id` with `vers` = `index` (and no direction).
#[cfg(feature = "hydrate")]
fn send_move(form_id: &str, index: usize) {
    use wasm_bindgen::JsCast;
    let document = document();
    let Some(form) = document
        .get_element_by_id(form_id)
        .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
    else {
        return;
    };
    for (name, value) in [("sens", String::new()), ("vers", index.to_string())] {
        if let Ok(input) = document.create_element("input") {
            let _ = input.set_attribute("type", "hidden");
            let _ = input.set_attribute("name", name);
            let _ = input.set_attribute("value", &value);
            let _ = form.append_child(&input);
        }
    }
    let _ = form.submit();
}

#[cfg(not(feature = "hydrate"))]
fn send_move(_form_id: &str, _index: usize) {}

/// « Formulaire : … »: the pages of a démarche's form and their fields, with the
/// buttons that add, move, set and remove them.
#[component]
pub fn FormBuilderPage() -> impl IntoView {
    let id = id_param();
    let actions = BuilderActions {
        add_page: ServerAction::<AddPage>::new(),
        move_page: ServerAction::<MovePage>::new(),
        remove_page: ServerAction::<RemovePage>::new(),
        add_field: ServerAction::<AddField>::new(),
        move_field: ServerAction::<MoveField>::new(),
        remove_field: ServerAction::<RemoveField>::new(),
    };
    let data = Resource::new(
        move || {
            (
                id(),
                actions.add_page.version().get(),
                actions.move_page.version().get(),
                actions.remove_page.version().get(),
                actions.add_field.version().get(),
                actions.move_field.version().get(),
                actions.remove_field.version().get(),
            )
        },
        |(id, ..)| admin_form(id),
    );
    // Kept here, outside the data: the view is built again after each action.
    view! {
        <div class="container page page-wide">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok((editor, def)) => {
                            let b = Builder {
                                id: editor.id,
                                actions,
                                add_error: form_error(actions.add_field),
                                labels: StoredValue::new(labels_of_form(&def)),
                                max_file_mb: editor.max_file_mb,
                            };
                            view! { <BuilderView editor def b /> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The id prefix of the « Ajouter un champ » form an error answers (its page and group,
/// kept by the error), to show the error there and link to its fields.
fn add_field_target(error: &AppError) -> Option<String> {
    match error.kept_value("groupe").filter(|g| !g.is_empty()) {
        Some(group) => Some(format!("ajout-groupe-{group}")),
        None => error
            .kept_value("page")
            .map(|page| format!("ajout-page-{page}")),
    }
}

/// The errors of the builder's small forms (each names no field of its own form,
/// except « Ajouter un champ »: its messages link to the form sent, when known).
#[component]
fn BuilderErrors(error: Signal<Option<AppError>>) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if error.get().is_some()
            && let Some(el) = node.get()
        {
            let _ = el.focus();
        }
    });
    move || {
        error.get().map(|e| {
            let target = add_field_target(&e);
            let fields = e.field_errors().to_vec();
            let items: Vec<(Option<String>, String)> = if fields.is_empty() {
                vec![(None, e.to_string())]
            } else {
                fields
                    .into_iter()
                    .map(|f| {
                        let input = match f.field.as_str() {
                            "kind" => Some("type"),
                            "label" => Some("libelle"),
                            _ => None,
                        };
                        let href = target
                            .as_ref()
                            .zip(input)
                            .map(|(t, input)| format!("#{t}-{input}"));
                        (href, f.message)
                    })
                    .collect()
            };
            view! {
                <div class="error-summary" role="alert" tabindex="-1" autofocus node_ref=node>
                    <h2>"Il y a un problème"</h2>
                    <ul>
                        {items
                            .into_iter()
                            .map(|(href, message)| match href {
                                Some(href) => view! { <li><a href=href>{message}</a></li> }.into_any(),
                                None => view! { <li>{message}</li> }.into_any(),
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

#[component]
fn BuilderView(editor: DemarcheEditor, def: FormDefinition, b: Builder) -> impl IntoView {
    let id = editor.id;
    let title = editor.settings.title.clone();
    let a = b.actions;
    let add_page_error = form_error(a.add_page);
    let move_page_error = form_error(a.move_page);
    let remove_page_error = form_error(a.remove_page);
    let move_field_error = form_error(a.move_field);
    let remove_field_error = form_error(a.remove_field);
    let add_field_error = b.add_error;
    let error = Signal::derive(move || {
        add_field_error
            .get()
            .or_else(|| add_page_error.get())
            .or_else(|| move_page_error.get())
            .or_else(|| remove_page_error.get())
            .or_else(|| move_field_error.get())
            .or_else(|| remove_field_error.get())
    });
    let count = def.pages.len();
    view! {
        <Title text=format!("Formulaire : {title} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
            more=vec![(format!("/admin/demarches/{id}"), title.clone())]
            current="Formulaire"
        />
        <AdminNav current="Démarches" />
        <h1>{format!("Formulaire : {title}")}</h1>
        {notice_view(editor.notice.clone())}
        <BuilderErrors error />
        <p class="adm-status">
            {match editor.version {
                Some(v) => format!("Version publiée : {v}."),
                None => "Aucune version publiée.".to_owned(),
            }}
            {editor
                .unpublished_changes
                .then(|| view! { " " <span class="badge badge-warning">"Modifications non publiées"</span> })}
        </p>
        {(!editor.problems.is_empty())
            .then(|| {
                view! {
                    <div class="notice notice-warning">
                        <p class="notice-title">"Avant de publier, corrigez :"</p>
                        <ul>
                            {editor.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}
                        </ul>
                    </div>
                }
            })}
        <p class="button-group">
            <a class="button button-secondary" href=format!("/admin/demarches/{id}/apercu")>
                "Aperçu du formulaire"
            </a>
            <a class="button button-secondary" href=format!("/admin/demarches/{id}")>
                "Retour à la démarche"
            </a>
        </p>
        <p class="hint">
            "Les changements sont enregistrés aussitôt ; les usagers les verront quand vous publierez la démarche depuis sa page."
        </p>
        <DragAndDrop>
            {if def.pages.is_empty() {
                view! {
                    <p id="pages" class="empty-state">
                        "Le formulaire n’a pas encore de page : ajoutez-en une ci-dessous."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ol id="pages" class="adm-pages" role="list">
                        {def
                            .pages
                            .iter()
                            .cloned()
                            .enumerate()
                            .map(|(index, page)| view! { <PageItem page index count b /> })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
            <section class="card adm-add-page" aria-labelledby="titre-ajout-page">
                <h2 id="titre-ajout-page">"Ajouter une page"</h2>
                <ActionForm action=a.add_page attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="id" value=id.to_string() />
                    <div class="field">
                        <label for="nouvelle-page-titre">"Titre de la page"</label>
                        <p class="hint" id="nouvelle-page-titre-aide">
                            "Par exemple « Votre situation ». Vous pourrez le modifier ensuite."
                        </p>
                        <input
                            id="nouvelle-page-titre"
                            name="title"
                            type="text"
                            aria-describedby="nouvelle-page-titre-aide"
                        />
                    </div>
                    <div class="button-group">
                        <button type="submit" class="button">
                            "Ajouter la page"
                        </button>
                    </div>
                </ActionForm>
            </section>
        </DragAndDrop>
    }
}

/// A page of the builder: title, condition, buttons, fields, « Ajouter un champ ».
#[component]
fn PageItem(page: FormPage, index: usize, count: usize, b: Builder) -> impl IntoView {
    let id = b.id;
    let key = page.key.clone();
    let title = page.title.clone();
    let heading_id = format!("titre-page-{key}");
    let condition = page.condition.as_ref().map(|c| {
        b.labels
            .with_value(|labels| condition_words("Affichée", c, labels))
    });
    let container = format!("page:{key}");
    let field_count = page.fields.len();
    let fields = page.fields.clone();
    let a = b.actions;
    // Each small form owns its texts (a form's content is built apart).
    let move_form = (count > 1).then(|| {
        let page_key = key.clone();
        let form_id = format!("deplacer-page-{page_key}");
        let up = format!(" la page « {title} »");
        view! {
            <ActionForm action=a.move_page attr:class="inline-form" attr:id=form_id>
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="page" value=page_key />
                <MoveButtons index count context=up />
            </ActionForm>
        }
    });
    let remove_form = {
        let page_key = key.clone();
        let context = format!(" « {title} » et ses champs");
        view! {
            <ActionForm action=a.remove_page attr:class="inline-form">
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="page" value=page_key />
                <button type="submit" class="button button-secondary button-small adm-danger">
                    "Supprimer la page"
                    <span class="visually-hidden">{context}</span>
                </button>
            </ActionForm>
        }
    };
    view! {
        <li
            id=format!("page-{key}")
            class="adm-page"
            data-drag="pages"
            data-index=index.to_string()
            data-move-form=format!("deplacer-page-{key}")
        >
            <section class="card adm-page-card" aria-labelledby=heading_id.clone()>
                <div class="adm-page-head">
                    <h2 id=heading_id.clone()>{format!("Page {} : {title}", index + 1)}</h2>
                    {page.intro.clone().map(|intro| view! { <p class="muted adm-page-intro">{intro}</p> })}
                    {condition.map(|c| view! { <p class="adm-condition">{c}</p> })}
                </div>
                <div class="button-group adm-actions">
                    <a
                        class="button button-secondary button-small"
                        href=format!("/admin/demarches/{id}/pages/{key}")
                    >
                        "Modifier la page"
                        <span class="visually-hidden">{format!(" « {title} »")}</span>
                    </a>
                    {move_form}
                    {remove_form}
                </div>
                {if fields.is_empty() {
                    view! { <p class="empty-state">"Cette page ne contient encore aucun champ."</p> }
                        .into_any()
                } else {
                    view! {
                        <ol class="adm-fields" role="list" aria-label=format!("Champs de la page « {title} »")>
                            {fields
                                .into_iter()
                                .enumerate()
                                .map(|(i, field)| {
                                    view! {
                                        <FieldItem
                                            field
                                            index=i
                                            count=field_count
                                            container=container.clone()
                                            page_key=key.clone()
                                            b
                                        />
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                        .into_any()
                }}
                <AddFieldForm page_key=key.clone() name=title.clone() group=None b />
            </section>
        </li>
    }
}

/// A field of the builder, with its buttons; a group lists its own fields.
#[component]
fn FieldItem(
    field: Field,
    index: usize,
    count: usize,
    /// `page:KEY` or `groupe:KEY`.
    container: String,
    page_key: String,
    b: Builder,
) -> AnyView {
    let id = b.id;
    let key = field.key.clone();
    let label = field.label.clone();
    let type_label = field_type_label(kind_slug(&field.kind));
    let condition = field.condition.as_ref().map(|c| {
        b.labels
            .with_value(|labels| condition_words("Affiché", c, labels))
    });
    let attachment = match &field.kind {
        FieldKind::Attachment {
            max_files,
            max_size_mb,
        } => Some(format!(
            "Jusqu’à {max_files} fichier(s), {} Mo max.",
            max_size_mb.map_or(b.max_file_mb, u64::from)
        )),
        _ => None,
    };
    let group = match &field.kind {
        FieldKind::Group {
            fields,
            item_label,
            min_items,
            max_items,
            ..
        } => Some((fields.clone(), item_label.clone(), *min_items, *max_items)),
        _ => None,
    };
    let a = b.actions;
    let what = format!(" le champ « {label} »");
    // Each small form owns its texts (a form's content is built apart).
    let move_form = (count > 1).then(|| {
        let field_key = key.clone();
        let form_id = format!("deplacer-champ-{field_key}");
        let up = what.clone();
        view! {
            <ActionForm action=a.move_field attr:class="inline-form" attr:id=form_id>
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="key" value=field_key />
                <MoveButtons index count context=up />
            </ActionForm>
        }
    });
    let remove_form = {
        let field_key = key.clone();
        let context = what.clone();
        view! {
            <ActionForm action=a.remove_field attr:class="inline-form">
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="key" value=field_key />
                <button type="submit" class="button button-secondary button-small adm-danger">
                    "Supprimer"
                    <span class="visually-hidden">{context}</span>
                </button>
            </ActionForm>
        }
    };
    view! {
        <li
            id=format!("champ-{key}")
            class="adm-field"
            data-drag=container
            data-index=index.to_string()
            data-move-form=format!("deplacer-champ-{key}")
        >
            <div class="adm-field-summary">
                <p class="adm-field-label">{label.clone()}</p>
                <p class="adm-field-meta">
                    <span class="badge badge-neutral">{type_label}</span>
                    " "
                    <code>{key.clone()}</code>
                    {field
                        .required
                        .then(|| view! { " " <span class="badge badge-info">"obligatoire"</span> })}
                </p>
                {condition.map(|c| view! { <p class="adm-condition">{c}</p> })}
                {attachment.map(|text| view! { <p class="adm-field-detail">{text}</p> })}
                {group
                    .as_ref()
                    .map(|(_, item_label, min, max)| {
                        view! {
                            <p class="adm-field-detail">
                                {format!("Élément « {item_label} », de {min} à {max} fois.")}
                            </p>
                        }
                    })}
            </div>
            <div class="button-group adm-actions">
                <a
                    class="button button-secondary button-small"
                    href=format!("/admin/demarches/{id}/champs/{key}")
                >
                    "Modifier"
                    <span class="visually-hidden">{what.clone()}</span>
                </a>
                {move_form}
                {remove_form}
            </div>
            {group
                .map(|(children, ..)| {
                    let child_count = children.len();
                    let container = format!("groupe:{key}");
                    view! {
                        <div class="adm-group">
                            {if children.is_empty() {
                                view! { <p class="empty-state">"Ce groupe ne contient encore aucun champ."</p> }
                                    .into_any()
                            } else {
                                view! {
                                    <ol
                                        class="adm-fields adm-group-fields"
                                        role="list"
                                        aria-label=format!("Champs du groupe « {label} »")
                                    >
                                        {children
                                            .into_iter()
                                            .enumerate()
                                            .map(|(i, child)| {
                                                view! {
                                                    <FieldItem
                                                        field=child
                                                        index=i
                                                        count=child_count
                                                        container=container.clone()
                                                        page_key=page_key.clone()
                                                        b
                                                    />
                                                }
                                            })
                                            .collect_view()}
                                    </ol>
                                }
                                    .into_any()
                            }}
                            <AddFieldForm
                                page_key=page_key.clone()
                                name=label.clone()
                                group=Some(key.clone())
                                b
                            />
                        </div>
                    }
                })}
        </li>
    }
    .into_any()
}

/// « Ajouter un champ » at the end of a page, or « Ajouter un champ dans le groupe ».
#[component]
fn AddFieldForm(
    page_key: String,
    /// The page's title, or the group's label (in `group`).
    name: String,
    /// The group's key.
    group: Option<String>,
    b: Builder,
) -> impl IntoView {
    let in_group = group.is_some();
    let prefix = match &group {
        Some(g) => format!("ajout-groupe-{g}"),
        None => format!("ajout-page-{page_key}"),
    };
    let type_id = format!("{prefix}-type");
    let label_id = format!("{prefix}-libelle");
    let label_error_id = format!("{label_id}-erreur");
    let type_error_id = format!("{type_id}-erreur");
    let error = b.add_error;
    let mine = {
        let prefix = prefix.clone();
        Signal::derive(move || {
            error
                .with(|e| e.as_ref().and_then(add_field_target).as_deref() == Some(prefix.as_str()))
        })
    };
    let mine_error = Signal::derive(move || error.get().filter(|_| mine.get()));
    let label_message =
        Signal::derive(move || mine_error.get().and_then(|e| e.field_message("label")));
    let kind_message =
        Signal::derive(move || mine_error.get().and_then(|e| e.field_message("kind")));
    let kind = Signal::derive(move || {
        mine_error
            .get()
            .and_then(|e| e.kept_value("kind"))
            .unwrap_or_else(|| "short_text".to_owned())
    });
    let label_value = move || {
        mine_error
            .get()
            .and_then(|e| e.kept_value("label"))
            .unwrap_or_default()
    };
    let (legend, legend_context, button_context) = if in_group {
        (
            "Ajouter un champ dans le groupe",
            format!(" « {name} »"),
            format!(" au groupe « {name} »"),
        )
    } else {
        (
            "Ajouter un champ",
            format!(" à la page « {name} »"),
            format!(" à la page « {name} »"),
        )
    };
    view! {
        <div class="adm-add-field">
            <ActionForm action=b.actions.add_field attr:class="form" attr:novalidate=true>
                <fieldset>
                    <legend>
                        {legend}
                        <span class="visually-hidden">{legend_context}</span>
                    </legend>
                    <input type="hidden" name="id" value=b.id.to_string() />
                    <input type="hidden" name="page" value=page_key.clone() />
                    {group.clone().map(|g| view! { <input type="hidden" name="groupe" value=g /> })}
                    <div class="adm-add-row">
                        <div class="field" class:field-error=move || kind_message.get().is_some()>
                            <label for=type_id.clone()>"Type de champ"</label>
                            <FieldMessage id=type_error_id.clone() message=kind_message />
                            <select
                                id=type_id.clone()
                                name="kind"
                                aria-describedby=move || kind_message.get().map(|_| type_error_id.clone())
                                aria-invalid=move || kind_message.get().is_some().then_some("true")
                            >
                                {FIELD_TYPES
                                    .iter()
                                    .filter(|(slug, _)| !(in_group && *slug == "group"))
                                    .map(|&(slug, text)| {
                                        view! {
                                            <option value=slug selected=move || kind.get() == slug>
                                                {text}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                        <div class="field" class:field-error=move || label_message.get().is_some()>
                            <label for=label_id.clone()>"Libellé ou question"</label>
                            <FieldMessage id=label_error_id.clone() message=label_message />
                            <input
                                id=label_id.clone()
                                name="label"
                                type="text"
                                value=label_value
                                aria-describedby=move || label_message.get().map(|_| label_error_id.clone())
                                aria-invalid=move || label_message.get().is_some().then_some("true")
                            />
                        </div>
                        <div class="button-group">
                            <button type="submit" class="button button-secondary">
                                "Ajouter le champ"
                                <span class="visually-hidden">{button_context}</span>
                            </button>
                        </div>
                    </div>
                </fieldset>
            </ActionForm>
        </div>
    }
}

// ---------------------------------------------------------------- form parts of the editors

/// A labelled text input whose label or hint is computed (else use `TextField`).
#[component]
fn SettingInput(
    #[prop(into)] label: String,
    name: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] width: Option<&'static str>,
) -> impl IntoView {
    let id = field_id(name);
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
        move || described_by(has_hint, &id, message.get().is_some())
    };
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <FieldMessage id=error_id message />
            <input
                id=id.clone()
                name=name
                type="text"
                class=width
                inputmode=inputmode
                value=value
                aria-describedby=describe
                aria-invalid=move || message.get().is_some().then_some("true")
            />
        </div>
    }
}

/// A single checkbox posting `on`, with its error.
#[component]
fn SettingCheckbox(
    label: &'static str,
    name: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] checked: bool,
) -> impl IntoView {
    let id = field_id(name);
    let message = Signal::derive(move || error.get().and_then(|e| e.field_message(name)));
    let initial = checked;
    let checked = move || {
        error
            .get()
            .and_then(|e| e.kept_value(name))
            .map_or(initial, |v| v == "on")
    };
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    let describe = {
        let id = id.clone();
        move || described_by(hint.is_some(), &id, message.get().is_some())
    };
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <FieldMessage id=error_id message />
            <div class="choice">
                <input
                    type="checkbox"
                    id=id.clone()
                    name=name
                    value="on"
                    checked=checked
                    aria-describedby=describe
                    aria-invalid=move || message.get().is_some().then_some("true")
                />
                <label for=id.clone()>{label}</label>
            </div>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
        </div>
    }
}

/// « Afficher … seulement si… »: the question (yes/no or choice, asked before) and
/// the answer that shows the page or field. The answers are grouped by question;
/// once the script runs, only those of the chosen question can be picked.
#[component]
fn ConditionFields(
    /// « Afficher cette page seulement si… ».
    label: &'static str,
    field_name: &'static str,
    equals_name: &'static str,
    choices: Vec<ConditionChoice>,
    #[prop(into)] field: String,
    #[prop(into)] equals: String,
    error: Signal<Option<AppError>>,
    /// Said when no question may be named.
    none: &'static str,
) -> impl IntoView {
    if choices.is_empty() && field.is_empty() {
        return view! {
            <div class="field adm-condition-fields">
                <p class="hint">{none}</p>
                <input type="hidden" name=field_name value="" />
                <input type="hidden" name=equals_name value="" />
            </div>
        }
        .into_any();
    }
    let kept = |name: &str| error.get_untracked().and_then(|e| e.kept_value(name));
    let message = |name: &str| error.get_untracked().and_then(|e| e.field_message(name));
    // A question named by the condition but no longer allowed: kept, so that the
    // server says why.
    let unknown =
        (!field.is_empty() && !choices.iter().any(|c| c.key == field)).then(|| field.clone());
    view! {
        <ConditionSelects
            label=label.to_owned()
            field_name=field_name.to_owned()
            equals_name=equals_name.to_owned()
            current_field=kept(field_name).unwrap_or(field)
            current_equals=kept(equals_name).unwrap_or(equals)
            field_message=message(field_name)
            equals_message=message(equals_name)
            choices
            unknown
        />
    }
    .into_any()
}

/// The two lists of [`ConditionFields`], an island: once the client runs, choosing the
/// question leaves only its answers to pick.
#[island(lazy)]
#[allow(clippy::too_many_arguments)]
fn ConditionSelects(
    label: String,
    field_name: String,
    equals_name: String,
    current_field: String,
    current_equals: String,
    field_message: Option<String>,
    equals_message: Option<String>,
    choices: Vec<ConditionChoice>,
    unknown: Option<String>,
) -> impl IntoView {
    crate::island_hydrated();
    let field_input = field_id(&field_name);
    let equals_input = field_id(&equals_name);
    let field_error = format!("{field_input}-erreur");
    let equals_error = format!("{equals_input}-erreur");
    let field_invalid = field_message.is_some();
    let equals_invalid = equals_message.is_some();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let chosen = RwSignal::new(None::<String>);
    let active = {
        let current = current_field.clone();
        move || chosen.get().unwrap_or_else(|| current.clone())
    };
    view! {
        <div class="adm-condition-fields">
            <div class="field" class:field-error=field_invalid>
                <label for=field_input.clone()>{label}</label>
                <FieldMessage id=field_error.clone() message=Signal::stored(field_message) />
                <select
                    id=field_input.clone()
                    name=field_name
                    aria-describedby=field_invalid.then(|| field_error.clone())
                    aria-invalid=field_invalid.then_some("true")
                    on:change=move |ev| chosen.set(Some(event_target_value(&ev)))
                >
                    <option value="" selected=current_field.is_empty()>
                        "Toujours afficher"
                    </option>
                    {choices
                        .iter()
                        .map(|c| {
                            view! {
                                <option value=c.key.clone() selected=current_field == c.key>
                                    {c.label.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                    {unknown
                        .map(|f| {
                            let text = format!("{f} (question introuvable)");
                            view! { <option value=f selected=true>{text}</option> }
                        })}
                </select>
            </div>
            <div class="field" class:field-error=equals_invalid>
                <label for=equals_input.clone()>"… quand la réponse est"</label>
                <FieldMessage id=equals_error.clone() message=Signal::stored(equals_message) />
                <select
                    id=equals_input.clone()
                    name=equals_name
                    aria-describedby=equals_invalid.then(|| equals_error.clone())
                    aria-invalid=equals_invalid.then_some("true")
                >
                    <option value="">"Choisissez une réponse"</option>
                    {choices
                        .into_iter()
                        .map(|c| {
                            let group_key = c.key.clone();
                            let active = active.clone();
                            let mine = current_field == c.key;
                            view! {
                                <optgroup
                                    label=c.label.clone()
                                    disabled=move || {
                                        let a = active();
                                        hydrated.get() && !a.is_empty() && a != group_key
                                    }
                                >
                                    {c
                                        .values
                                        .into_iter()
                                        .map(|v| {
                                            let text = answer_words(&v);
                                            let selected = mine && current_equals == v;
                                            view! { <option value=v selected=selected>{text}</option> }
                                        })
                                        .collect_view()}
                                </optgroup>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
        </div>
    }
}

// ---------------------------------------------------------------- a page's editor

/// « Page : … »: title, introduction and condition of a page.
#[component]
pub fn PageEditorPage() -> impl IntoView {
    let id = id_param();
    let page = text_param("page");
    let save = ServerAction::<SavePage>::new();
    let data = Resource::new(move || (id(), page()), |(id, page)| admin_page(id, page));
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(editor) => view! { <PageEditorView editor save /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn PageEditorView(editor: PageEditor, save: ServerAction<SavePage>) -> impl IntoView {
    let error = form_error(save);
    let id = editor.demarche_id;
    let key = editor.key.clone();
    let demarche = editor.demarche_title.clone();
    let heading = format!("Page : {}", editor.title);
    view! {
        <Title text=format!("{heading} – {demarche} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
            more=vec![
                (format!("/admin/demarches/{id}"), demarche.clone()),
                (format!("/admin/demarches/{id}/formulaire"), "Formulaire".to_owned()),
            ]
            current=heading.clone()
        />
        <AdminNav current="Démarches" />
        <h1>{heading.clone()}</h1>
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <ErrorSummary error />
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="page" value=key.clone() />
            <TextField label="Titre de la page" name="title" value=editor.title.clone() required=true error />
            <TextAreaField
                label="Texte d’introduction (facultatif)"
                name="intro"
                hint="Une ou deux phrases affichées sous le titre de la page."
                value=editor.intro.clone()
                rows=3
                error
            />
            <ConditionFields
                label="Afficher cette page seulement si…"
                field_name="condition_field"
                equals_name="condition_equals"
                choices=editor.condition_choices.clone()
                field=editor.condition_field.clone()
                equals=editor.condition_equals.clone()
                error
                none="Cette page est toujours affichée : seules les questions Oui / Non ou à choix des pages précédentes peuvent servir de condition."
            />
            <div class="button-group">
                <button type="submit" class="button">
                    "Enregistrer la page"
                </button>
                <a class="button button-secondary" href=format!("/admin/demarches/{id}/formulaire#page-{key}")>
                    "Annuler"
                </a>
            </div>
        </ActionForm>
    }
}

// ---------------------------------------------------------------- a field's editor

/// « Champ : … »: the settings of a field (those of its type), and its preview.
#[component]
pub fn FieldEditorPage() -> impl IntoView {
    let id = id_param();
    let key = text_param("key");
    let save = ServerAction::<SaveField>::new();
    let data = Resource::new(move || (id(), key()), |(id, key)| admin_field(id, key));
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => error_view(e),
                        Ok(editor) => view! { <FieldEditorView editor save /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn FieldEditorView(editor: FieldEditor, save: ServerAction<SaveField>) -> impl IntoView {
    let error = form_error(save);
    let id = editor.demarche_id;
    let key = editor.field.key.clone();
    let demarche = editor.demarche_title.clone();
    let heading = format!("Champ : {}", editor.field.label);
    let kind = editor.field.kind.clone();
    let type_label = field_type_label(kind_slug(&kind));
    let s = editor.settings.clone();
    let asks = kind.asks();
    let label_input = match kind {
        FieldKind::Explanation => view! {
            <TextAreaField label="Texte d’explication" name="settings[label]" value=s.label.clone() rows=5 error />
        }
        .into_any(),
        FieldKind::Section => view! {
            <TextField label="Titre de la section" name="settings[label]" value=s.label.clone() error />
        }
        .into_any(),
        _ => view! {
            <TextField label="Libellé ou question" name="settings[label]" value=s.label.clone() error />
        }
        .into_any(),
    };
    let specific = kind_settings(&kind, &s, error, editor.max_file_mb, id, &key);
    let base = editor.field.clone();
    let max_file_mb = editor.max_file_mb;
    view! {
        <Title text=format!("{heading} – {demarche} – Administration") />
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
            more=vec![
                (format!("/admin/demarches/{id}"), demarche.clone()),
                (format!("/admin/demarches/{id}/formulaire"), "Formulaire".to_owned()),
            ]
            current=heading.clone()
        />
        <AdminNav current="Démarches" />
        <h1>{heading.clone()}</h1>
        {notice_view(editor.notice.clone())}
        <dl class="summary-list adm-field-facts">
            <div>
                <dt>"Type"</dt>
                <dd>{type_label}</dd>
            </div>
            <div>
                <dt>"Page"</dt>
                <dd>{editor.page_title.clone()}</dd>
            </div>
            {editor
                .group
                .clone()
                .map(|g| {
                    view! {
                        <div>
                            <dt>"Groupe répétable"</dt>
                            <dd><code>{g}</code></dd>
                        </div>
                    }
                })}
        </dl>
        <FieldSettingsPreview base max_file_mb>
        <ActionForm action=save attr:class="form" attr:novalidate=true>
            <ErrorSummary error />
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="key" value=key.clone() />
            {label_input}
            <TextField
                label="Clé"
                name="settings[key]"
                hint="Lettres sans accent, chiffres et _ ; utilisée dans les exports."
                value=s.key.clone()
                width="input-medium"
                error
            />
            <TextAreaField
                label="Aide (facultatif)"
                name="settings[help]"
                hint="Une précision affichée sous le libellé."
                value=s.help.clone()
                rows=3
                error
            />
            {asks
                .then(|| {
                    view! {
                        <SettingCheckbox
                            label="Réponse obligatoire"
                            name="settings[required]"
                            checked=s.required.as_deref() == Some("on")
                            error
                        />
                    }
                })}
            <ConditionFields
                label="Afficher ce champ seulement si…"
                field_name="settings[condition_field]"
                equals_name="settings[condition_equals]"
                choices=editor.condition_choices.clone()
                field=s.condition_field.clone()
                equals=s.condition_equals.clone()
                error
                none="Ce champ est toujours affiché : seules les questions Oui / Non ou à choix posées avant lui (hors groupe répétable) peuvent servir de condition."
            />
            {specific}
            <div class="button-group">
                <button type="submit" class="button">
                    "Enregistrer le champ"
                </button>
                <a class="button button-secondary" href=format!("/admin/demarches/{id}/formulaire#champ-{key}")>
                    "Annuler"
                </a>
            </div>
        </ActionForm>
        </FieldSettingsPreview>
    }
}

/// The field editor's settings form (`children`) and the preview of the field, an
/// island: once the client runs, the preview follows the settings as they are typed
/// (the server's own `builder::preview_field` runs in the browser); without it, it
/// shows the saved field.
#[island(lazy)]
fn FieldSettingsPreview(base: Field, max_file_mb: u64, children: Children) -> impl IntoView {
    crate::island_hydrated();
    let live_field = RwSignal::new(base.clone());
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let settings_box = NodeRef::<leptos::html::Div>::new();
    let base = StoredValue::new(base);
    let on_settings_input = move |_: leptos::ev::Event| {
        if let Some(field) = base.with_value(|base| live_settings(&settings_box, base)) {
            live_field.set(field);
        }
    };
    let ctx = preview_context(
        Answers::default(),
        max_file_mb,
        RwSignal::new(Answers::default()),
        Signal::derive(|| false),
        BTreeMap::new(),
    );
    view! {
        <div node_ref=settings_box on:input=on_settings_input on:change=on_settings_input>
            {children()}
        </div>
        <section class="adm-field-preview" aria-labelledby="titre-apercu-champ">
            <h2 id="titre-apercu-champ">"Aperçu du champ"</h2>
            <p class="hint">
                {move || {
                    if scripted.get() {
                        "Le champ tel que les usagers le verront, avec les réglages en cours de saisie (enregistrez-les pour les garder)."
                    } else {
                        "Le champ tel que les usagers le voient, avec les derniers réglages enregistrés."
                    }
                }}
            </p>
            <fieldset class="adm-preview" disabled=true>
                <legend class="visually-hidden">"Aperçu du champ"</legend>
                {move || {
                    let page = FormPage {
                        key: "apercu".into(),
                        title: String::new(),
                        intro: None,
                        condition: None,
                        fields: vec![live_field.get()],
                    };
                    view! { <PageFields page ctx=ctx.clone() /> }
                }}
            </fieldset>
        </section>
    }
}

/// The settings that belong to a field's type, in their own fieldset.
fn kind_settings(
    kind: &FieldKind,
    s: &FieldSettings,
    error: Signal<Option<AppError>>,
    max_file_mb: u64,
    id: i32,
    key: &str,
) -> Option<AnyView> {
    let inner = match kind {
        FieldKind::ShortText { .. } | FieldKind::LongText { .. } => view! {
            <TextField
                label="Nombre maximal de caractères (facultatif)"
                name="settings[max_length]"
                hint="Laissez vide pour la limite habituelle."
                value=s.max_length.clone()
                inputmode="numeric"
                width="input-short"
                error
            />
        }
        .into_any(),
        FieldKind::Number { .. } => view! {
            <TextField
                label="Valeur minimale (facultatif)"
                name="settings[min]"
                value=s.min.clone()
                inputmode="decimal"
                width="input-short"
                error
            />
            <TextField
                label="Valeur maximale (facultatif)"
                name="settings[max]"
                value=s.max.clone()
                inputmode="decimal"
                width="input-short"
                error
            />
            <SettingCheckbox
                label="Nombres entiers seulement"
                name="settings[integer]"
                checked=s.integer.as_deref() == Some("on")
                error
            />
            <TextField
                label="Unité (facultatif)"
                name="settings[unit]"
                hint="Affichée après la case : €, km, élèves…"
                value=s.unit.clone()
                width="input-short"
                error
            />
        }
        .into_any(),
        FieldKind::Date { .. } => view! {
            <SettingCheckbox
                label="Date passée ou du jour seulement"
                name="settings[past_only]"
                hint="Pour une date de naissance, un événement passé…"
                checked=s.past_only.as_deref() == Some("on")
                error
            />
        }
        .into_any(),
        FieldKind::SingleChoice { .. } => view! {
            <TextAreaField
                label="Réponses possibles"
                name="settings[options]"
                hint="Une réponse par ligne."
                value=s.options.clone()
                rows=6
                error
            />
            <RadioGroup
                legend="Affichage des réponses"
                name="settings[display]"
                options=vec![("radio", "Boutons radio"), ("list", "Liste déroulante")]
                selected=s.display.clone()
                error
            />
        }
        .into_any(),
        FieldKind::MultipleChoice { .. } => view! {
            <TextAreaField
                label="Réponses possibles"
                name="settings[options]"
                hint="Une réponse par ligne."
                value=s.options.clone()
                rows=6
                error
            />
        }
        .into_any(),
        FieldKind::Attachment { .. } => view! {
            <TextField
                label="Nombre maximal de fichiers"
                name="settings[max_files]"
                hint="De 1 à 10."
                value=s.max_files.clone()
                inputmode="numeric"
                width="input-short"
                error
            />
            <SettingInput
                label="Taille maximale d’un fichier, en Mo (facultatif)"
                name="settings[max_size_mb]"
                hint=format!("Laissez vide pour la limite du portail : {max_file_mb} Mo.")
                value=s.max_size_mb.clone()
                inputmode="numeric"
                width="input-short"
                error
            />
        }
        .into_any(),
        FieldKind::Group { .. } => view! {
            <TextField
                label="Texte du bouton d’ajout"
                name="settings[add_label]"
                hint="Par exemple « Ajouter un enfant »."
                value=s.add_label.clone()
                error
            />
            <TextField
                label="Titre de chaque élément"
                name="settings[item_label]"
                hint="Par exemple « Enfant » donne « Enfant 1 », « Enfant 2 »…"
                value=s.item_label.clone()
                error
            />
            <TextField
                label="Nombre minimal d’éléments"
                name="settings[min_items]"
                value=s.min_items.clone()
                inputmode="numeric"
                width="input-short"
                error
            />
            <TextField
                label="Nombre maximal d’éléments"
                name="settings[max_items]"
                value=s.max_items.clone()
                inputmode="numeric"
                width="input-short"
                error
            />
            <p>
                <a href=format!("/admin/demarches/{id}/formulaire#champ-{key}")>
                    "Modifier les champs du groupe dans le formulaire"
                </a>
            </p>
        }
        .into_any(),
        FieldKind::Email
        | FieldKind::Phone
        | FieldKind::YesNo
        | FieldKind::Address
        | FieldKind::Siret
        | FieldKind::Iban
        | FieldKind::Section
        | FieldKind::Explanation => return None,
    };
    let legend = format!("Réglages du type « {} »", field_type_label(kind_slug(kind)));
    Some(
        view! {
            <fieldset class="adm-settings-group">
                <legend>{legend}</legend>
                {inner}
            </fieldset>
        }
        .into_any(),
    )
}

// ---------------------------------------------------------------- the preview

/// Answers that make true the conditions a page's fields put on other pages'
/// questions: the preview shows those fields (the preview has no earlier answers).
fn preview_answers(page: &FormPage) -> Answers {
    let own: BTreeSet<&str> = page.fields.iter().map(|f| f.key.as_str()).collect();
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let conditions = page.fields.iter().flat_map(|f| {
        let inner: Vec<&Field> = match &f.kind {
            FieldKind::Group { fields, .. } => fields.iter().collect(),
            _ => Vec::new(),
        };
        std::iter::once(f).chain(inner)
    });
    for field in conditions {
        if let Some(c) = &field.condition
            && !own.contains(c.field.as_str())
        {
            wanted
                .entry(c.field.clone())
                .or_default()
                .push(c.equals.clone());
        }
    }
    let mut answers = Answers::new();
    for (key, values) in wanted {
        answers.set(key, Value::Many(values));
    }
    answers
}

/// « Aperçu » of the form being built, page by page (`?page=N`, from 1), as citizens
/// will see it; nothing is sent.
#[component]
pub fn FormPreviewPage() -> impl IntoView {
    let id = id_param();
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let data = Resource::new(move || (id(), page()), |(id, _)| admin_form(id));
    view! {
        <div class="container page">
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let n = page();
                    match data.await {
                        Err(e) => error_view(e),
                        Ok((editor, def)) => view! { <PreviewView editor def n /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn PreviewView(editor: DemarcheEditor, def: FormDefinition, n: usize) -> impl IntoView {
    let id = editor.id;
    let demarche = editor.settings.title.clone();
    let builder = format!("/admin/demarches/{id}/formulaire");
    let head = view! {
        <Breadcrumb
            trail=vec![("/admin", "Administration"), ("/admin/demarches", "Démarches")]
            more=vec![
                (format!("/admin/demarches/{id}"), demarche.clone()),
                (builder.clone(), "Formulaire".to_owned()),
            ]
            current="Aperçu"
        />
        <AdminNav current="Démarches" />
        <div class="notice notice-info adm-preview-banner">
            <p>"Aperçu : voici le formulaire tel que les usagers le verront. Rien n’est enregistré."</p>
        </div>
    };
    let steps = def.pages.len();
    if steps == 0 {
        return view! {
            <Title text=format!("Aperçu : {demarche} – Administration") />
            {head}
            <h1>{format!("Aperçu : {demarche}")}</h1>
            <p class="empty-state">"Le formulaire n’a encore aucune page."</p>
            <p>
                <a href=builder>"Retour au formulaire"</a>
            </p>
        }
        .into_any();
    }
    let step = n.clamp(1, steps);
    let page = def.pages[step - 1].clone();
    let next = def.pages.get(step).map(|p| p.title.clone());
    let labels = labels_of_form(&def);
    let condition_note = page.condition.as_ref().map(|c| {
        let question = labels
            .get(&c.field)
            .cloned()
            .unwrap_or_else(|| c.field.clone());
        format!(
            "Cette page n’est affichée que si la réponse à « {question} » est « {} ».",
            answer_words(&c.equals)
        )
    });
    let base = preview_answers(&page);
    let max_file_mb = editor.max_file_mb;
    let page_href = move |n: usize| format!("/admin/demarches/{id}/apercu?page={n}");
    view! {
        <Title text=format!("Aperçu : {} – {demarche} – Administration", page.title) />
        {head}
        <Stepper step steps title=page.title.clone() next />
        <h1>{page.title.clone()}</h1>
        {page.intro.clone().map(|i| view! { <p class="lead">{i}</p> })}
        {condition_note
            .map(|note| {
                view! {
                    <div class="notice notice-info adm-preview-condition">
                        <p>{note}</p>
                    </div>
                }
            })}
        <PreviewForm page=page.clone() base max_file_mb labels step />
        <nav class="adm-preview-nav" aria-label="Pages de l’aperçu">
            <div class="button-group form-navigation">
                {(step > 1)
                    .then(|| {
                        view! {
                            <a class="button button-secondary" href=page_href(step - 1)>
                                "Page précédente"
                            </a>
                        }
                    })}
                {(step < steps)
                    .then(|| {
                        view! {
                            <a class="button" href=page_href(step + 1)>
                                "Page suivante"
                            </a>
                        }
                    })}
            </div>
            <p>
                <a href=builder>"Retour au formulaire"</a>
            </p>
        </nav>
    }
    .into_any()
}

/// The form of a preview page, an island: once the client runs, the questions whose
/// condition is on this page are shown or hidden as the administrator answers.
#[island(lazy)]
fn PreviewForm(
    page: FormPage,
    base: Answers,
    max_file_mb: u64,
    labels: BTreeMap<String, String>,
    step: usize,
) -> impl IntoView {
    crate::island_hydrated();
    let scripted = RwSignal::new(false);
    Effect::new(move |_| scripted.set(true));
    let live = RwSignal::new(base.clone());
    let ctx = preview_context(base.clone(), max_file_mb, live, scripted.into(), labels);
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let on_change = {
        let page = page.clone();
        move |_ev: leptos::ev::Event| {
            if let Some(answers) = read_answers(&form_ref, &page, &base) {
                live.set(answers);
            }
        }
    };
    view! {
        <form
            class="form adm-preview-form"
            novalidate=true
            node_ref=form_ref
            on:change=on_change
            on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()
        >
            // Without the script, a group's or an attachment's button reloads this page.
            <input type="hidden" name="page" value=step.to_string() />
            <PageFields page=page.clone() ctx />
        </form>
    }
}
