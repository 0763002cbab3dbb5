//! The form's fields as the citizen sees them, built from the definition. The same
//! components will show the administrators' live preview.
//!
//! Every input is a plain form control of one `<form method="post">`, so the page works
//! without JavaScript; names follow `answers::read_page` (`key`, `key.ligne`,
//! `group.0.key`, `fichier:path`).

use leptos::prelude::*;

use super::answers::{Answers, Value, group_item_count, input_id, item_prefix};
use super::definition::{ChoiceDisplay, Field, FieldKind, FormPage};
use crate::dossiers::model::FileRow;
use crate::error::FieldError;
use crate::ui::form::{FieldMessage, described_by};

/// What every field of a page reads.
#[derive(Clone)]
pub struct FieldContext {
    pub answers: Answers,
    pub files: Vec<FileRow>,
    pub errors: Signal<Vec<FieldError>>,
    pub max_file_mb: u64,
    /// Fields whose condition names another field of the same page: shown or hidden
    /// live once the script runs (always shown without it).
    pub live: RwSignal<Answers>,
    pub scripted: Signal<bool>,
    /// The questions of the form by key, to name them in condition hints.
    pub labels: std::collections::BTreeMap<String, String>,
    /// Fields hidden by an answer given on another page (never shown on this one).
    pub hidden_fields: Vec<String>,
}

impl FieldContext {
    fn message(&self, name: &str) -> Signal<Option<String>> {
        let errors = self.errors;
        let name = name.to_owned();
        Signal::derive(move || {
            errors
                .get()
                .into_iter()
                .find(|e| e.field == name)
                .map(|e| e.message)
        })
    }

    fn text(&self, name: &str, scope: &Answers) -> String {
        let key = name.rsplit('.').next().unwrap_or(name);
        scope
            .get(key)
            .and_then(Value::as_text)
            .unwrap_or_default()
            .to_owned()
    }
}

/// « Il y a un problème », linking to each field in error.
#[component]
pub fn FormErrorSummary(errors: Signal<Vec<FieldError>>) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if !errors.get().is_empty()
            && let Some(el) = node.get()
        {
            let _ = el.focus();
        }
    });
    move || {
        let list = errors.get();
        (!list.is_empty()).then(|| {
            view! {
                <div
                    class="error-summary"
                    role="alert"
                    tabindex="-1"
                    node_ref=node
                    id="resume-erreurs"
                >
                    <h2>"Il y a un problème"</h2>
                    <ul>
                        {list
                            .into_iter()
                            .map(|e| {
                                let href = format!("#{}", input_id(&e.field));
                                view! {
                                    <li>
                                        <a href=href>{e.message}</a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

/// Every field of a page, in order.
#[component]
pub fn PageFields(page: FormPage, ctx: FieldContext) -> impl IntoView {
    let answers = ctx.answers.clone();
    page.fields
        .into_iter()
        .map(|field| {
            let scope = answers.clone();
            view! { <FieldView field prefix=String::new() scope ctx=ctx.clone() /> }
        })
        .collect_view()
}

/// One field, under `prefix` (`group.0.` inside a repeated group).
#[component]
fn FieldView(field: Field, prefix: String, scope: Answers, ctx: FieldContext) -> impl IntoView {
    let name = format!("{prefix}{}", field.key);
    let id = input_id(&name);
    let hint = field.help.clone();
    let label = if field.required || !field.kind.asks() {
        field.label.clone()
    } else {
        format!("{} (facultatif)", field.label)
    };
    // A condition on a field of the same page: shown without the script; with it,
    // follows the answer live.
    let never = prefix.is_empty() && ctx.hidden_fields.contains(&field.key);
    if never {
        return ().into_any();
    }
    let hidden = field.condition.clone().map(|condition| {
        let live = ctx.live;
        let scripted = ctx.scripted;
        Signal::derive(move || {
            scripted.get() && !super::answers::condition_holds(&condition, &live.get())
        })
    });
    // Only for a condition on this page (one on an earlier page is already settled).
    let condition_hint = field.condition.as_ref().and_then(|c| {
        let question = ctx.labels.get(&c.field)?;
        Some(format!(
            "Répondez seulement si votre réponse à « {question} » est « {} ».",
            match c.equals.as_str() {
                "oui" => "Oui",
                "non" => "Non",
                other => other,
            }
        ))
    });
    let body = match field.kind.clone() {
        FieldKind::Section => view! {
            <div class="form-section">
                <h2>{field.label.clone()}</h2>
                {hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
            </div>
        }
        .into_any(),
        FieldKind::Explanation => view! {
            <div class="form-explanation">
                <p>{field.label.clone()}</p>
                {hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
            </div>
        }
        .into_any(),
        FieldKind::ShortText { max_length } => {
            let value = ctx.text(&name, &scope);
            input_field(
                &ctx,
                &name,
                &id,
                label,
                hint.clone(),
                value,
                "text",
                max_length.or(Some(200)),
                None,
                None,
            )
        }
        FieldKind::Email => {
            let value = ctx.text(&name, &scope);
            input_field(
                &ctx,
                &name,
                &id,
                label,
                hint.clone(),
                value,
                "email",
                Some(254),
                Some("email"),
                None,
            )
        }
        FieldKind::Phone => {
            let value = ctx.text(&name, &scope);
            input_field(
                &ctx,
                &name,
                &id,
                label,
                hint.clone(),
                value,
                "tel",
                Some(30),
                Some("tel"),
                None,
            )
        }
        FieldKind::Siret => {
            let value = ctx.text(&name, &scope);
            let hint = hint
                .clone()
                .or_else(|| Some("14 chiffres, par exemple 213 502 388 00019".into()));
            input_field(
                &ctx,
                &name,
                &id,
                label,
                hint,
                value,
                "text",
                Some(20),
                Some("off"),
                Some("numeric"),
            )
        }
        FieldKind::Iban => {
            let value = ctx.text(&name, &scope);
            let hint = hint
                .clone()
                .or_else(|| Some("Par exemple FR76 3000 6000 0112 3456 7890 189".into()));
            input_field(
                &ctx,
                &name,
                &id,
                label,
                hint,
                value,
                "text",
                Some(42),
                Some("off"),
                None,
            )
        }
        FieldKind::Date { .. } => {
            let value = ctx.text(&name, &scope);
            let hint = hint
                .clone()
                .or_else(|| Some("Par exemple 14/07/2026".into()));
            input_field(
                &ctx, &name, &id, label, hint, value, "date", None, None, None,
            )
        }
        FieldKind::Number { unit, .. } => {
            let value = ctx.text(&name, &scope);
            let label = match &unit {
                Some(u) => format!("{label} (en {u})"),
                None => label,
            };
            let message = ctx.message(&name);
            let described = described_by(hint.is_some(), &id, false);
            let error_id = format!("{id}-erreur");
            view! {
                <div class="field" class:field-error=move || message.get().is_some()>
                    <label for=id.clone()>{label}</label>
                    {hint.clone().map(|h| view! { <p class="hint" id=format!("{id}-aide")>{h}</p> })}
                    <FieldMessage id=error_id.clone() message />
                    <div class="input-with-unit">
                        <input
                            id=id.clone()
                            name=name.clone()
                            type="text"
                            inputmode="decimal"
                            class="input-width-10"
                            value=value
                            aria-describedby=move || {
                                described_by(described.is_some(), &id, message.get().is_some())
                            }
                            aria-invalid=move || message.get().is_some().then_some("true")
                        />
                        {unit.map(|u| view! { <span class="unit" aria-hidden="true">{u}</span> })}
                    </div>
                </div>
            }
            .into_any()
        }
        FieldKind::LongText { max_length } => {
            let value = ctx.text(&name, &scope);
            let message = ctx.message(&name);
            let has_hint = hint.is_some();
            let error_id = format!("{id}-erreur");
            let max = max_length.unwrap_or(5000);
            view! {
                <div class="field" class:field-error=move || message.get().is_some()>
                    <label for=id.clone()>{label}</label>
                    {hint.clone().map(|h| view! { <p class="hint" id=format!("{id}-aide")>{h}</p> })}
                    <FieldMessage id=error_id message />
                    <textarea
                        id=id.clone()
                        name=name.clone()
                        rows="6"
                        maxlength=max
                        aria-describedby={
                            let id = id.clone();
                            move || described_by(has_hint, &id, message.get().is_some())
                        }
                        aria-invalid=move || message.get().is_some().then_some("true")
                    >
                        {value}
                    </textarea>
                </div>
            }
            .into_any()
        }
        FieldKind::YesNo => {
            let options = vec![
                ("oui".to_owned(), "Oui".to_owned()),
                ("non".to_owned(), "Non".to_owned()),
            ];
            let current = ctx.text(&name, &scope);
            radios(
                &ctx,
                &name,
                &id,
                label,
                hint.clone(),
                options,
                current,
                true,
            )
        }
        FieldKind::SingleChoice { options, display } => {
            let current = ctx.text(&name, &scope);
            let options: Vec<(String, String)> =
                options.into_iter().map(|o| (o.clone(), o)).collect();
            match display {
                ChoiceDisplay::Radio => radios(
                    &ctx,
                    &name,
                    &id,
                    label,
                    hint.clone(),
                    options,
                    current,
                    false,
                ),
                ChoiceDisplay::List => {
                    let message = ctx.message(&name);
                    let has_hint = hint.is_some();
                    let error_id = format!("{id}-erreur");
                    view! {
                        <div class="field" class:field-error=move || message.get().is_some()>
                            <label for=id.clone()>{label}</label>
                            {hint.clone().map(|h| view! { <p class="hint" id=format!("{id}-aide")>{h}</p> })}
                            <FieldMessage id=error_id message />
                            <select
                                id=id.clone()
                                name=name.clone()
                                aria-describedby={
                                    let id = id.clone();
                                    move || described_by(has_hint, &id, message.get().is_some())
                                }
                                aria-invalid=move || message.get().is_some().then_some("true")
                            >
                                <option value="">"Choisissez dans la liste"</option>
                                {options
                                    .into_iter()
                                    .map(|(value, text)| {
                                        let selected = value == current;
                                        view! { <option value=value selected=selected>{text}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </div>
                    }
                    .into_any()
                }
            }
        }
        FieldKind::MultipleChoice { options } => {
            let key = name.rsplit('.').next().unwrap_or(&name).to_owned();
            let ticked: Vec<String> = scope.many(&key).map(<[String]>::to_vec).unwrap_or_default();
            let message = ctx.message(&name);
            let error_id = format!("{id}-erreur");
            view! {
                <div class="field" class:field-error=move || message.get().is_some()>
                    <fieldset aria-describedby={
                        let id = id.clone();
                        move || described_by(false, &id, message.get().is_some())
                    }>
                        <legend>{label}</legend>
                        {hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
                        <FieldMessage id=error_id message />
                        {options
                            .into_iter()
                            .enumerate()
                            .map(|(i, option)| {
                                let option_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                                let checked = ticked.contains(&option);
                                view! {
                                    <div class="choice">
                                        <input
                                            type="checkbox"
                                            id=option_id.clone()
                                            name=name.clone()
                                            value=option.clone()
                                            checked=checked
                                        />
                                        <label for=option_id>{option}</label>
                                    </div>
                                }
                            })
                            .collect_view()}
                    </fieldset>
                </div>
            }
            .into_any()
        }
        FieldKind::Address => {
            let key = name.rsplit('.').next().unwrap_or(&name).to_owned();
            let (line, postal, commune) = match scope.get(&key) {
                Some(Value::Address {
                    line,
                    postal_code,
                    commune,
                }) => (line.clone(), postal_code.clone(), commune.clone()),
                _ => Default::default(),
            };
            view! {
                <div class="field">
                    <fieldset>
                        <legend>{label}</legend>
                        {hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
                        {sub_input(&ctx, &format!("{name}.ligne"), "Numéro et voie", line, Some("address-line1"), None, None)}
                        {sub_input(&ctx, &format!("{name}.code_postal"), "Code postal", postal, Some("postal-code"), Some("numeric"), Some("input-width-5"))}
                        {sub_input(&ctx, &format!("{name}.commune"), "Commune", commune, Some("address-level2"), None, None)}
                    </fieldset>
                </div>
            }
            .into_any()
        }
        FieldKind::Attachment {
            max_files,
            max_size_mb,
        } => {
            let max_mb =
                max_size_mb.map_or(ctx.max_file_mb, |mb| u64::from(mb).min(ctx.max_file_mb));
            view! { <AttachmentField name=name.clone() label hint=hint.clone() max_files max_mb ctx=ctx.clone() /> }
                .into_any()
        }
        FieldKind::Group {
            fields,
            add_label,
            item_label,
            min_items,
            max_items,
        } => {
            let count = group_item_count(&field, &scope).max(usize::from(min_items));
            let items = scope
                .items(&field.key)
                .map(<[Answers]>::to_vec)
                .unwrap_or_default();
            let group = name.clone();
            view! {
                <div class="form-group" id=id.clone()>
                    <h2 class="group-title">{label}</h2>
                    {hint.clone().map(|h| view! { <p class="hint">{h}</p> })}
                    <input type="hidden" name=format!("{group}.items") value=count.to_string() />
                    {(0..count)
                        .map(|i| {
                            let item = items.get(i).cloned().unwrap_or_default();
                            let prefix = item_prefix(&group, i);
                            let legend = format!("{item_label} {}", i + 1);
                            let remove = (count > usize::from(min_items))
                                .then(|| format!("retirer-element:{group}:{i}"));
                            let remove_label = format!("Retirer : {legend}");
                            view! {
                                <fieldset class="group-item" id=input_id(&format!("{group}.{i}"))>
                                    <legend>{legend.clone()}</legend>
                                    {fields
                                        .clone()
                                        .into_iter()
                                        .map(|f| {
                                            view! {
                                                <FieldView
                                                    field=f
                                                    prefix=prefix.clone()
                                                    scope=item.clone()
                                                    ctx=ctx.clone()
                                                />
                                            }
                                        })
                                        .collect_view()}
                                    {remove
                                        .map(|value| {
                                            view! {
                                                <button type="submit" name="action" value=value class="button button-secondary button-small">
                                                    {remove_label.clone()}
                                                </button>
                                            }
                                        })}
                                </fieldset>
                            }
                        })
                        .collect_view()}
                    {(count < usize::from(max_items))
                        .then(|| {
                            view! {
                                <button type="submit" name="action" value=format!("ajouter:{group}") class="button button-secondary">
                                    {add_label.clone()}
                                </button>
                            }
                        })}
                </div>
            }
            .into_any()
        }
    };
    view! {
        <div class="form-field" hidden=move || hidden.map(|h| h.get()).unwrap_or(false)>
            {condition_hint
                .filter(|_| field.kind.asks())
                .map(|h| view! { <p class="hint condition-hint no-script-only">{h}</p> })}
            {body}
        </div>
    }
    .into_any()
}

#[allow(clippy::too_many_arguments)]
fn input_field(
    ctx: &FieldContext,
    name: &str,
    id: &str,
    label: String,
    hint: Option<String>,
    value: String,
    kind: &'static str,
    max_length: Option<u32>,
    autocomplete: Option<&'static str>,
    inputmode: Option<&'static str>,
) -> AnyView {
    let message = ctx.message(name);
    let has_hint = hint.is_some();
    let id = id.to_owned();
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=format!("{id}-aide")>{h}</p> })}
            <FieldMessage id=error_id message />
            <input
                id=id.clone()
                name=name.to_owned()
                type=kind
                value=value
                maxlength=max_length
                autocomplete=autocomplete
                inputmode=inputmode
                spellcheck=(kind == "email").then_some("false")
                aria-describedby={
                    let id = id.clone();
                    move || described_by(has_hint, &id, message.get().is_some())
                }
                aria-invalid=move || message.get().is_some().then_some("true")
            />
        </div>
    }
    .into_any()
}

fn sub_input(
    ctx: &FieldContext,
    name: &str,
    label: &'static str,
    value: String,
    autocomplete: Option<&'static str>,
    inputmode: Option<&'static str>,
    class: Option<&'static str>,
) -> impl IntoView + use<> {
    let message = ctx.message(name);
    let id = input_id(name);
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            <FieldMessage id=error_id.clone() message />
            <input
                id=id.clone()
                name=name.to_owned()
                type="text"
                class=class
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                aria-describedby=move || message.get().map(|_| error_id.clone())
                aria-invalid=move || message.get().is_some().then_some("true")
            />
        </div>
    }
}

#[allow(clippy::too_many_arguments)]
fn radios(
    ctx: &FieldContext,
    name: &str,
    id: &str,
    label: String,
    hint: Option<String>,
    options: Vec<(String, String)>,
    current: String,
    inline: bool,
) -> AnyView {
    let message = ctx.message(name);
    let id = id.to_owned();
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <fieldset aria-describedby={
                let id = id.clone();
                move || described_by(false, &id, message.get().is_some())
            }>
                <legend>{label}</legend>
                {hint.map(|h| view! { <p class="hint">{h}</p> })}
                <FieldMessage id=error_id message />
                <div class:choices-inline=inline>
                    {options
                        .into_iter()
                        .enumerate()
                        .map(|(i, (value, text))| {
                            let option_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                            let checked = value == current;
                            view! {
                                <div class="choice">
                                    <input
                                        type="radio"
                                        id=option_id.clone()
                                        name=name.to_owned()
                                        value=value
                                        checked=checked
                                    />
                                    <label for=option_id>{text}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
        </div>
    }
    .into_any()
}

/// « Joindre un fichier »: the files already attached (name, size, « Retirer »), then
/// a file input and the button that sends it with the page.
#[component]
fn AttachmentField(
    name: String,
    label: String,
    hint: Option<String>,
    max_files: u8,
    max_mb: u64,
    ctx: FieldContext,
) -> impl IntoView {
    let id = input_id(&name);
    let files: Vec<FileRow> = ctx
        .files
        .iter()
        .filter(|f| f.field_path == name)
        .cloned()
        .collect();
    let room = usize::from(max_files).saturating_sub(files.len());
    let message = ctx.message(&name);
    let error_id = format!("{id}-erreur");
    let rules = format!(
        "Formats acceptés : PDF, JPEG, PNG ou WebP (pour des raisons de sécurité). Taille maximale : {} Mo par fichier. {}",
        max_mb,
        if max_files == 1 {
            "Un seul fichier.".to_owned()
        } else {
            format!("Jusqu’à {max_files} fichiers.")
        }
    );
    let attach = format!("joindre:{name}");
    view! {
        <div class="field attachment" class:field-error=move || message.get().is_some()>
            <fieldset>
                <legend>{label.clone()}</legend>
                {hint.map(|h| view! { <p class="hint">{h}</p> })}
                <p class="hint" id=format!("{id}-aide")>{rules}</p>
                <FieldMessage id=error_id.clone() message />
                {(!files.is_empty())
                    .then(|| {
                        view! {
                            <ul class="file-list" role="list">
                                {files
                                    .into_iter()
                                    .map(|f| {
                                        let remove_label = format!("Retirer le fichier {}", f.name);
                                        view! {
                                            <li class="file-item">
                                                <a href=f.href() download="">{f.name.clone()}</a>
                                                <span class="file-meta">{format!("{}, {}", f.kind, f.size)}</span>
                                                <button
                                                    type="submit"
                                                    name="action"
                                                    value=format!("retirer:{}", f.id)
                                                    class="button button-secondary button-small"
                                                    aria-label=remove_label
                                                >
                                                    "Retirer"
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
                {(room > 0)
                    .then(|| {
                        view! {
                            <div class="file-input">
                                <label for=id.clone() class="visually-hidden">
                                    {format!("Fichier pour « {label} »")}
                                </label>
                                <input
                                    type="file"
                                    id=id.clone()
                                    name=format!("fichier:{name}")
                                    accept=".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/jpeg,image/png,image/webp"
                                    multiple={room > 1}
                                    aria-describedby=move || {
                                        let mut ids = format!("{id}-aide");
                                        if message.get().is_some() {
                                            ids.push(' ');
                                            ids.push_str(&error_id);
                                        }
                                        ids
                                    }
                                />
                                <button type="submit" name="action" value=attach.clone() class="button button-secondary">
                                    "Joindre un fichier"
                                </button>
                                <progress class="upload-progress" max="100" value="0" hidden=true></progress>
                            </div>
                        }
                    })}
            </fieldset>
        </div>
    }
}
