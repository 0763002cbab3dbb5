//! Form parts shared by every form: fields with their hint and error, the error
//! summary, the password field with its advice and meter, notices.
//!
//! Errors come from the server function's `AppError`. Without JavaScript, the portal
//! redirects back to the form with the error in the address, and the fields are filled
//! again from the values the error kept (never passwords).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::account::model::{PASSWORD_ADVICE, PasswordStrength};
use crate::error::AppError;

/// The last error of a form's action.
pub fn form_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

fn field_id(name: &str) -> String {
    format!("champ-{}", name.replace('_', "-"))
}

/// The message of `name`, reactive.
fn message_of(error: Signal<Option<AppError>>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
}

/// « Il y a un problème » with a link to each field in error; or the message of an error
/// that belongs to no field (too many attempts, expired link, server error). It takes
/// the focus when it appears, so that screen readers announce it: moved there by the
/// client, or by the browser (`autofocus`) on a page sent with the error, such as the
/// answer to a form posted without the client (the home page's sign-in always is).
#[component]
pub fn ErrorSummary(error: Signal<Option<AppError>>) -> impl IntoView {
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
            let fields = e.field_errors().to_vec();
            let body = if fields.is_empty() {
                view! { <p>{e.to_string()}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {fields
                            .into_iter()
                            .map(|f| {
                                let href = format!("#{}", field_id(&f.field));
                                view! {
                                    <li>
                                        <a href=href>{f.message}</a>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            };
            view! {
                <div class="error-summary" role="alert" tabindex="-1" autofocus node_ref=node>
                    <h2>"Il y a un problème"</h2>
                    {body}
                </div>
            }
        })
    }
}

/// The error line of a field (with a hidden « Erreur : » for screen readers).
#[component]
pub fn FieldMessage(id: String, message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <p class="error-message" id=id.clone()>
                    <span class="visually-hidden">"Erreur : "</span>
                    {m}
                </p>
            }
        })
    }
}

pub fn described_by(hint: bool, id: &str, error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{id}-aide"));
    }
    if error {
        ids.push(format!("{id}-erreur"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A labelled text input with its hint and error.
#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] width: Option<&'static str>,
    #[prop(optional)] autofocus: bool,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let id = field_id(name);
    let message = message_of(error, name);
    let initial = value.unwrap_or_default();
    let value = move || {
        error
            .get()
            .and_then(|e| e.kept_value(name))
            .unwrap_or_else(|| initial.clone())
    };
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    let describe = {
        let id = id.clone();
        move || described_by(hint.is_some(), &id, message.get().is_some())
    };
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <FieldMessage id=error_id message />
            <input
                id=id.clone()
                name=name
                type=kind
                class=width
                autocomplete=autocomplete
                inputmode=inputmode
                autofocus=autofocus
                required=required
                spellcheck=if kind == "email" { Some("false") } else { None }
                value=value
                aria-describedby=describe
                aria-invalid=move || message.get().is_some().then_some("true")
            />
        </div>
    }
}

/// A password input with the help page's advice, and (with `meter`) a live strength
/// meter once the client runs. The value is never kept after an error.
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(default = "current-password")] autocomplete: &'static str,
    #[prop(optional)] meter: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] advice: bool,
) -> impl IntoView {
    let id = field_id(name);
    let message = message_of(error, name);
    let has_hint = hint.is_some() || advice;
    let hint_id = format!("{id}-aide");
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {has_hint
                .then(|| {
                    view! {
                        <div class="hint" id=hint_id.clone()>
                            {hint.map(|h| view! { <p>{h}</p> })}
                            {advice.then(|| view! { <p>{PASSWORD_ADVICE}</p> })}
                        </div>
                    }
                })}
            <FieldMessage id=error_id message />
            {move || {
                let invalid = message.get().is_some();
                let input = PasswordInputSpec {
                    id: id.clone(),
                    name: name.to_owned(),
                    label: label.to_owned(),
                    autocomplete: autocomplete.to_owned(),
                    described_by: described_by(has_hint, &id, invalid),
                    invalid,
                    meter,
                };
                // On a page sent without the client (the home page's sign-in), the same
                // input without its island: nothing would run it.
                if crate::app::page_runs_client() {
                    view! { <PasswordInput input /> }.into_any()
                } else {
                    view! { <PasswordControls input /> }.into_any()
                }
            }}
        </div>
    }
}

/// The password input of a [`PasswordField`], as the server decided it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct PasswordInputSpec {
    id: String,
    name: String,
    label: String,
    autocomplete: String,
    described_by: Option<String>,
    invalid: bool,
    meter: bool,
}

/// The input of [`PasswordField`], an island: « Afficher » (which exists only once the
/// client runs, as it needs JavaScript) and the live strength meter.
#[island]
fn PasswordInput(input: PasswordInputSpec) -> impl IntoView {
    crate::island_hydrated();
    view! { <PasswordControls input /> }
}

/// What [`PasswordInput`] shows and runs.
#[component]
fn PasswordControls(input: PasswordInputSpec) -> impl IntoView {
    let PasswordInputSpec {
        id,
        name,
        label,
        autocomplete,
        described_by,
        invalid,
        meter,
    } = input;
    let strength = RwSignal::new(None::<PasswordStrength>);
    let sequence = StoredValue::new(0u32);
    let on_input = move |ev: leptos::ev::Event| {
        if !meter {
            return;
        }
        let value = event_target_value(&ev);
        let n = sequence.get_value().wrapping_add(1);
        sequence.set_value(n);
        if value.is_empty() {
            strength.set(None);
            return;
        }
        set_timeout(
            move || {
                if sequence.get_value() != n {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Some(s) = measure(&value).await
                        && sequence.get_value() == n
                    {
                        strength.set(Some(s));
                    }
                });
            },
            std::time::Duration::from_millis(300),
        );
    };
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let shown = RwSignal::new(false);
    let meter_id = format!("{id}-force");
    view! {
        <div class="password-input">
            <input
                id=id.clone()
                name=name
                type=move || if shown.get() { "text" } else { "password" }
                autocomplete=autocomplete
                spellcheck="false"
                autocapitalize="off"
                aria-describedby=described_by
                aria-invalid=invalid.then_some("true")
                on:input=on_input
            />
            <Show when=move || hydrated.get()>
                <button
                    type="button"
                    class="button button-secondary password-toggle"
                    aria-controls=id.clone()
                    aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    "Afficher"
                    <span class="visually-hidden">{format!(" le champ {label}")}</span>
                </button>
            </Show>
        </div>
        {meter
            .then(|| {
                view! {
                    <div aria-live="polite" id=meter_id.clone()>
                        {move || {
                            strength
                                .get()
                                .map(|s| {
                                    let class = format!("password-meter level-{}", s.score.min(4));
                                    let text = match &s.advice {
                                        Some(advice) => format!("Robustesse : {}. {advice}", s.label()),
                                        None => format!("Robustesse : {}.", s.label()),
                                    };
                                    view! {
                                        <div class=class aria-hidden="true"></div>
                                        <p class="password-meter-label">{text}</p>
                                    }
                                })
                        }}
                    </div>
                }
            })}
    }
}

/// Asks the server how strong `password` is (`account::api::measure_password`, the
/// same check it enforces), posting to the server function's address as its client
/// would, with the browser's `fetch` and JSON: the client of server functions and its
/// serde code would weigh more in the WASM module than the meter itself.
#[cfg(feature = "hydrate")]
async fn measure(password: &str) -> Option<PasswordStrength> {
    use leptos::server_fn::ServerFn;
    use wasm_bindgen::{JsCast, JsValue};
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(
        &headers,
        &"Content-Type".into(),
        &"application/x-www-form-urlencoded".into(),
    )
    .ok()?;
    js_sys::Reflect::set(&headers, &"Accept".into(), &"application/json".into()).ok()?;
    init.set_headers(&headers);
    let body = format!(
        "password={}",
        String::from(js_sys::encode_uri_component(password))
    );
    init.set_body(&JsValue::from_str(&body));
    let path = crate::account::api::MeasurePassword::PATH;
    let promise = window().fetch_with_str_and_init(path, &init);
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let json = wasm_bindgen_futures::JsFuture::from(response.json().ok()?)
        .await
        .ok()?;
    let get = |key: &str| js_sys::Reflect::get(&json, &key.into()).ok();
    Some(PasswordStrength {
        score: get("score")?.as_f64()? as u8,
        acceptable: get("acceptable")?.as_bool()?,
        advice: get("advice").and_then(|a| a.as_string()),
    })
}

#[cfg(not(feature = "hydrate"))]
async fn measure(_password: &str) -> Option<PasswordStrength> {
    None
}

/// A group of radio buttons in a fieldset.
#[component]
pub fn RadioGroup(
    legend: &'static str,
    name: &'static str,
    options: Vec<(&'static str, &'static str)>,
    error: Signal<Option<AppError>>,
    #[prop(optional, into)] selected: Option<String>,
) -> impl IntoView {
    let id = field_id(name);
    let message = message_of(error, name);
    let initial = selected.unwrap_or_default();
    let current = Signal::derive(move || {
        error
            .get()
            .and_then(|e| e.kept_value(name))
            .unwrap_or_else(|| initial.clone())
    });
    let error_id = format!("{id}-erreur");
    let first_id = id.clone();
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <fieldset aria-describedby=move || message.get().map(|_| format!("{}-erreur", field_id(name)))>
                <legend>{legend}</legend>
                <FieldMessage id=error_id message />
                {options
                    .into_iter()
                    .enumerate()
                    .map(|(i, (value, label))| {
                        // The first option carries the field's id: the summary links to it.
                        let option_id = if i == 0 { first_id.clone() } else { format!("{id}-{i}") };
                        view! {
                            <div class="choice">
                                <input
                                    type="radio"
                                    id=option_id.clone()
                                    name=name
                                    value=value
                                    checked=move || current.get() == value
                                />
                                <label for=option_id>{label}</label>
                            </div>
                        }
                    })
                    .collect_view()}
            </fieldset>
        </div>
    }
}

/// A single checkbox (terms acceptance…).
#[component]
pub fn CheckboxField(
    name: &'static str,
    error: Signal<Option<AppError>>,
    children: Children,
) -> impl IntoView {
    let id = field_id(name);
    let message = message_of(error, name);
    let checked = move || error.get().and_then(|e| e.kept_value(name)).as_deref() == Some("on");
    let error_id = format!("{id}-erreur");
    view! {
        <div class="field" class:field-error=move || message.get().is_some()>
            <FieldMessage id=error_id.clone() message />
            <div class="choice">
                <input
                    type="checkbox"
                    id=id.clone()
                    name=name
                    value="on"
                    checked=checked
                    aria-describedby=move || message.get().map(|_| error_id.clone())
                    aria-invalid=move || message.get().is_some().then_some("true")
                />
                <label for=id>{children()}</label>
            </div>
        </div>
    }
}

/// A notice: `kind` is info, success, warning or error. Success notices are announced.
#[component]
pub fn Notice(
    kind: &'static str,
    #[prop(optional)] title: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let role = (kind == "success").then_some("status");
    view! {
        <div class=format!("notice notice-{kind}") role=role>
            {title.map(|t| view! { <p class="notice-title">{t}</p> })}
            {children()}
        </div>
    }
}

/// The form's main button, alone in its button group.
#[component]
pub fn SubmitButton(label: &'static str) -> impl IntoView {
    view! {
        <div class="button-group">
            <button type="submit" class="button">
                {label}
            </button>
        </div>
    }
}
