use std::collections::HashSet;
use std::time::Duration;

use guichet::server::entities::outbox;
use guichet::server::mail::{Action, Template};
use sea_orm::{EntityTrait, TransactionTrait};

use crate::helpers::{SmtpSink, TestApp, TestDatabase, eventually, free_port, spawn_app};

fn notice(n: usize) -> Template {
    Template::Notification {
        subject: format!("Votre demande n° {n}"),
        heading: "Bonjour Camille".into(),
        paragraphs: vec![format!("Votre dossier n° {n} a bien été reçu.")],
        action: Some(Action {
            label: "Suivre mon dossier".into(),
            url: format!("http://127.0.0.1:3000/mon-compte/dossiers/{n}"),
        }),
    }
}

async fn queue(app: &TestApp, to: &str, n: usize) {
    let txn = app.db.begin().await.expect("begin");
    app.state
        .mailer
        .queue(&txn, to, notice(n))
        .await
        .expect("queued");
    txn.commit().await.expect("commit");
    app.state.mailer.wake();
}

async fn rows(app: &TestApp) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox rows")
}

#[tokio::test]
async fn a_queued_email_is_delivered_once_over_smtp_as_french_multipart() {
    let app = spawn_app().await;
    queue(&app, "camille.martin@example.org", 1).await;

    let mails = app.smtp.wait_for(1, Duration::from_secs(10)).await;
    let mail = &mails[0];
    assert_eq!(mail.envelope_to, ["<camille.martin@example.org>"]);
    assert_eq!(mail.subject(), "Votre demande n° 1");
    let parsed = mail.parsed();
    let from = parsed
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .unwrap_or_default()
        .to_string();
    assert_eq!(from, "ne-pas-repondre@vallee-verte.example");
    assert!(mail.text().contains("Votre dossier n° 1 a bien été reçu."));
    assert!(
        mail.text()
            .contains("Suivre mon dossier : http://127.0.0.1:3000/mon-compte/dossiers/1")
    );
    assert!(mail.html().contains("<html lang=\"fr\">"));
    assert!(mail.html().contains("Département de la Vallée-Verte"));
    // minijinja escapes "/" in HTML as &#x2f;, which every HTML parser decodes.
    let html = mail.html().replace("&#x2f;", "/");
    assert!(
        html.contains("href=\"http://127.0.0.1:3000/aide\""),
        "footer link"
    );
    assert!(
        html.contains("href=\"http://127.0.0.1:3000/mon-compte/dossiers/1\""),
        "action button"
    );

    // Give the worker time to (wrongly) send it again: it must not.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(app.smtp.received().len(), 1);
    let rows = rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "sent");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].sent_at.is_some());
    assert_eq!(format!("<{}>", mail.message_id()), rows[0].message_id);
}

#[tokio::test]
async fn an_email_of_a_rolled_back_change_is_never_sent() {
    let app = spawn_app().await;
    let txn = app.db.begin().await.expect("begin");
    app.state
        .mailer
        .queue(&txn, "camille.martin@example.org", notice(7))
        .await
        .expect("queued");
    txn.rollback().await.expect("rollback");
    queue(&app, "camille.martin@example.org", 8).await;
    let mails = app.smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].subject(), "Votre demande n° 8");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.received().len(), 1);
    assert_eq!(rows(&app).await.len(), 1);
}

#[tokio::test]
async fn emails_wait_while_smtp_is_down_then_each_is_delivered_once() {
    let database = TestDatabase::new().await;
    let port = free_port();
    let app = TestApp::start(&database, &format!("smtp://127.0.0.1:{port}")).await;
    for n in 1..=3 {
        queue(&app, "camille.martin@example.org", n).await;
    }
    // The worker tries, fails, records the error and backs off.
    eventually(
        "three failed attempts recorded",
        Duration::from_secs(10),
        || async {
            let rows = rows(&app).await;
            (rows.len() == 3
                && rows
                    .iter()
                    .all(|r| r.status == "pending" && r.attempts >= 2 && r.last_error.is_some()))
            .then_some(())
        },
    )
    .await;
    let error = rows(&app).await[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("SMTP"), "the cause is recorded: {error}");

    let smtp = SmtpSink::start_on(port).await;
    let mails = smtp.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(smtp.received().len(), 3, "each email exactly once");
    let subjects: HashSet<_> = mails.iter().map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), 3);
    assert!(rows(&app).await.iter().all(|r| r.status == "sent"));
    app.stop().await;
}

#[tokio::test]
async fn a_restart_while_smtp_is_down_loses_no_email() {
    let database = TestDatabase::new().await;
    let port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let first = TestApp::start(&database, &smtp_url).await;
    for n in 1..=3 {
        queue(&first, "camille.martin@example.org", n).await;
    }
    eventually(
        "a failed attempt for each email",
        Duration::from_secs(10),
        || async {
            let rows = rows(&first).await;
            (rows.len() == 3 && rows.iter().all(|r| r.attempts >= 1)).then_some(())
        },
    )
    .await;
    first.stop().await;

    let smtp = SmtpSink::start_on(port).await;
    let second = TestApp::start(&database, &smtp_url).await;
    smtp.wait_for(3, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 3, "each email exactly once after the restart");
    let ids: HashSet<_> = mails.iter().map(|m| m.message_id()).collect();
    assert_eq!(ids.len(), 3);
    assert!(rows(&second).await.iter().all(|r| r.status == "sent"));
    second.stop().await;
}

#[tokio::test]
async fn a_permanent_refusal_is_not_retried() {
    let app = spawn_app().await;
    queue(&app, "refuse@example.org", 1).await;
    queue(&app, "camille.martin@example.org", 2).await;
    app.smtp.wait_for(1, Duration::from_secs(10)).await;
    let refused = eventually(
        "the refused email marked failed",
        Duration::from_secs(10),
        || async {
            rows(&app)
                .await
                .into_iter()
                .find(|r| r.recipient == "refuse@example.org" && r.status == "failed")
        },
    )
    .await;
    assert_eq!(refused.attempts, 1);
    assert!(refused.last_error.unwrap_or_default().contains("550"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.received().len(), 1);
}

#[tokio::test]
async fn without_smtp_emails_are_written_to_the_outbox_folder() {
    let database = TestDatabase::new().await;
    let mut settings = crate::helpers::app::test_settings(&database, "smtp://127.0.0.1:1", false);
    settings.smtp_url = None;
    let app = TestApp::start_with(settings).await;
    queue(&app, "camille.martin@example.org", 5).await;
    let dir = database.dir.path().join("outbox");
    let file = eventually("an .eml file", Duration::from_secs(10), || {
        let dir = dir.clone();
        async move {
            std::fs::read_dir(&dir)
                .ok()?
                .filter_map(Result::ok)
                .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| e.path())
        }
    })
    .await;
    let raw = std::fs::read(&file).expect("read .eml");
    let parsed = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("parse");
    assert_eq!(parsed.subject(), Some("Votre demande n° 5"));
    app.stop().await;
}
