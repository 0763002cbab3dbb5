//! Pages of the administration. Every form is a plain HTML form posting to a server
//! function (it works without JavaScript); the server function checks the caller.

mod builder;
mod demarches;
mod people;

pub use builder::*;
pub use demarches::*;
pub use people::*;

use leptos::prelude::*;

/// The administration's menu; `current` is the section of the page.
#[component]
pub fn AdminNav(current: &'static str) -> impl IntoView {
    const ENTRIES: [(&str, &str); 6] = [
        ("/admin", "Accueil"),
        ("/admin/demarches", "Démarches"),
        ("/admin/a-la-une", "À la Une"),
        ("/admin/services", "Services"),
        ("/admin/utilisateurs", "Utilisateurs"),
        ("/admin/journal", "Journal"),
    ];
    view! {
        <nav class="adm-nav" aria-label="Administration">
            <ul role="list">
                {ENTRIES
                    .into_iter()
                    .map(|(href, label)| {
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
