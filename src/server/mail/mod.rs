//! Outgoing email: templates, the outbox (a table written in the same transaction as
//! the change that causes the email) and the worker that sends it.

mod worker;

use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::transport::file::AsyncFileTransport;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use minijinja::{Environment, context};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::Serialize;
use tokio::sync::Notify;

use super::db::now_ms;
use super::entities::outbox;
use super::settings::Settings;
use crate::branding::{DEPARTEMENT, PORTAL};
use crate::error::AppError;

pub use worker::spawn_worker;

/// A button at the bottom of an email.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub label: String,
    pub url: String,
}

/// Every email the portal sends. Each variant has an HTML and a plain text template.
#[derive(Debug, Clone)]
pub enum Template {
    /// A notice with a heading, paragraphs and an optional button.
    Notification {
        subject: String,
        heading: String,
        paragraphs: Vec<String>,
        action: Option<Action>,
    },
}

impl Template {
    fn name(&self) -> &'static str {
        match self {
            Template::Notification { .. } => "notification",
        }
    }

    fn subject(&self) -> String {
        match self {
            Template::Notification { subject, .. } => subject.clone(),
        }
    }

    fn context(&self) -> minijinja::Value {
        match self {
            Template::Notification {
                heading,
                paragraphs,
                action,
                ..
            } => context! { heading, paragraphs, action },
        }
    }
}

/// An email ready to be written to the outbox.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Renderer {
    env: Environment<'static>,
    public_url: String,
}

impl Renderer {
    pub fn new(public_url: &str) -> Self {
        let mut env = Environment::new();
        // `.html` templates are escaped automatically; `.txt` ones are not.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (name, source) in TEMPLATES {
            // The templates are part of the binary and checked by the tests below.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "invalid email template");
            }
        }
        Self {
            env,
            public_url: public_url.to_owned(),
        }
    }

    pub fn render(&self, template: &Template) -> Result<RenderedEmail, minijinja::Error> {
        let subject = template.subject();
        let ctx = context! {
            departement => DEPARTEMENT,
            portal => PORTAL,
            public_url => &self.public_url,
            subject => &subject,
            ..template.context()
        };
        let html = self
            .env
            .get_template(&format!("{}.html", template.name()))?
            .render(&ctx)?;
        let text = self
            .env
            .get_template(&format!("{}.txt", template.name()))?
            .render(&ctx)?;
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }
}

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    ("layout.txt", include_str!("templates/layout.txt")),
    (
        "notification.html",
        include_str!("templates/notification.html"),
    ),
    (
        "notification.txt",
        include_str!("templates/notification.txt"),
    ),
];

/// Where emails go: an SMTP server, or `.eml` files in the outbox folder.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("SMTP delivery failed")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("writing the .eml file failed")]
    File(#[from] lettre::transport::file::Error),
    #[error("the email could not be built")]
    Build(#[from] lettre::error::Error),
    #[error("invalid address {0:?}")]
    Address(String),
}

impl SendError {
    /// A failure that retrying cannot fix (the server refused the message for good).
    pub fn is_permanent(&self) -> bool {
        match self {
            SendError::Smtp(e) => e.is_permanent(),
            SendError::Build(_) | SendError::Address(_) => true,
            SendError::File(_) => false,
        }
    }
}

impl Transport {
    pub fn from_settings(
        settings: &Settings,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        match &settings.smtp_url {
            Some(url) => Ok(Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
                    .timeout(Some(std::time::Duration::from_secs(10)))
                    .build(),
            )),
            None => {
                let dir = settings.outbox_dir();
                std::fs::create_dir_all(&dir)?;
                Ok(Transport::Files(AsyncFileTransport::new(dir)))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Transport::Smtp(t) => t.send(message).await.map(|_| ())?,
            Transport::Files(t) => t.send(message).await.map(|_| ())?,
        }
        Ok(())
    }
}

/// Queues emails and wakes the worker. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<MailerInner>,
}

struct MailerInner {
    renderer: Renderer,
    transport: Transport,
    from: Mailbox,
    domain: String,
    wake: Notify,
}

impl Mailer {
    pub fn new(settings: &Settings) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let from: Mailbox = settings.mail_from.parse()?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            inner: Arc::new(MailerInner {
                renderer: Renderer::new(&settings.public_url),
                transport: Transport::from_settings(settings)?,
                from,
                domain,
                wake: Notify::new(),
            }),
        })
    }

    /// Writes an email to the outbox through `conn`: pass the transaction of the change
    /// that causes the email, so that both are saved or neither. Call [`Mailer::wake`]
    /// after the commit to send it at once.
    pub async fn queue<C: ConnectionTrait>(
        &self,
        conn: &C,
        to: &str,
        template: Template,
    ) -> Result<i64, AppError> {
        if to.parse::<Mailbox>().is_err() {
            return Err(AppError::field(
                "email",
                "Saisissez une adresse électronique valide, par exemple nom@exemple.fr.",
            ));
        }
        let email = self
            .inner
            .renderer
            .render(&template)
            .map_err(|e| AppError::internal("email template failed", &e))?;
        let now = now_ms();
        let row = outbox::ActiveModel {
            message_id: Set(format!("<{}@{}>", uuid::Uuid::new_v4(), self.inner.domain)),
            recipient: Set(to.to_owned()),
            template: Set(template.name().to_owned()),
            subject: Set(email.subject),
            body_text: Set(email.text),
            body_html: Set(email.html),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            lock_owner: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        };
        let result = outbox::Entity::insert(row).exec(conn).await?;
        Ok(result.last_insert_id)
    }

    /// Tells the worker of this instance that emails are waiting.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    fn build(&self, row: &outbox::Model) -> Result<Message, SendError> {
        let to: Mailbox = row
            .recipient
            .parse()
            .map_err(|_| SendError::Address(row.recipient.clone()))?;
        Ok(Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .message_id(Some(row.message_id.clone()))
            .multipart(lettre::message::MultiPart::alternative_plain_html(
                row.body_text.clone(),
                row.body_html.clone(),
            ))?)
    }

    async fn deliver(&self, row: &outbox::Model) -> Result<(), SendError> {
        let message = self.build(row)?;
        self.inner.transport.send(message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification() -> Template {
        Template::Notification {
            subject: "Votre demande".into(),
            heading: "Bonjour <Camille>".into(),
            paragraphs: vec!["Votre dossier n° 42 & suivants.".into()],
            action: Some(Action {
                label: "Voir mon dossier".into(),
                url: "https://demarches.example/mon-compte?x=1&y=2".into(),
            }),
        }
    }

    #[test]
    fn every_template_renders_and_html_is_escaped() {
        let renderer = Renderer::new("https://demarches.example");
        let email = renderer.render(&notification()).expect("render");
        assert_eq!(email.subject, "Votre demande");
        assert!(
            email.html.contains("Bonjour &lt;Camille&gt;"),
            "{}",
            email.html
        );
        assert!(email.html.contains("n° 42 &amp; suivants"));
        assert!(email.html.contains("lang=\"fr\""));
        assert!(email.html.contains(DEPARTEMENT));
        assert!(email.text.contains("Bonjour <Camille>"));
        assert!(
            email
                .text
                .contains("Voir mon dossier : https://demarches.example/mon-compte?x=1&y=2")
        );
        assert!(email.text.contains("https://demarches.example/aide"));
    }
}
