use std::io::Write;
use std::process::{Command, Stdio};

use guichet::server::entities::account;
use guichet::server::password;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::spawn_app;

/// Runs the real server binary: `guichet user create …`, password on standard input.
fn user_create(
    database_url: &str,
    data_dir: &str,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(["user", "create"])
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("GUICHET_DATA_DIR", data_dir)
        .env("GUICHET_CONFIG", "/nonexistent/Leptos.toml")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the guichet binary");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    // A binary that refuses its arguments may exit before it reads the password.
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "write the password: {e}"
        );
    }
    child.wait_with_output().expect("wait for the binary")
}

#[tokio::test]
async fn the_binary_creates_then_promotes_an_account() {
    let app = spawn_app().await;
    let data_dir = app.database.dir.path().display().to_string();
    let url = app.database.url.clone();

    let output = user_create(
        &url,
        &data_dir,
        &[
            "--email",
            "Premiere.Admin@Vallee-Verte.example",
            "--role",
            "instructor",
        ],
        "un mot de passe très long\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let find = || async {
        account::Entity::find()
            .filter(account::Column::Email.eq("premiere.admin@vallee-verte.example"))
            .one(&app.db)
            .await
            .expect("query")
            .expect("the account exists, email lower-cased")
    };
    let created = find().await;
    assert_eq!(created.role, "instructor");
    assert!(created.email_verified_at.is_some());
    assert!(created.password_hash.starts_with("$argon2id$"));
    assert!(
        password::verify(
            "un mot de passe très long".into(),
            created.password_hash.clone()
        )
        .await
        .expect("verify")
    );

    let output = user_create(
        &url,
        &data_dir,
        &[
            "--email",
            "premiere.admin@vallee-verte.example",
            "--role",
            "admin",
        ],
        "un autre mot de passe long\n",
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let promoted = find().await;
    assert_eq!(promoted.id, created.id);
    assert_eq!(promoted.role, "admin");
    assert!(
        password::verify("un autre mot de passe long".into(), promoted.password_hash)
            .await
            .expect("verify")
    );
}

#[tokio::test]
async fn the_binary_refuses_bad_input_with_a_clear_message() {
    let app = spawn_app().await;
    let data_dir = app.database.dir.path().display().to_string();
    let url = app.database.url.clone();
    for (args, stdin, expected) in [
        (
            vec!["--email", "a@b.example", "--role", "root"],
            "un mot de passe très long\n",
            "unknown role",
        ),
        (
            vec!["--email", "pas-une-adresse", "--role", "admin"],
            "un mot de passe très long\n",
            "invalid email",
        ),
        (
            vec!["--email", "a@b.example", "--role", "admin"],
            "court\n",
            "at least 12 characters",
        ),
    ] {
        let output = user_create(&url, &data_dir, &args, stdin);
        assert!(!output.status.success(), "{args:?} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(
        account::Entity::find()
            .filter(account::Column::Email.eq("a@b.example"))
            .one(&app.db)
            .await
            .expect("query")
            .is_none()
    );
}
