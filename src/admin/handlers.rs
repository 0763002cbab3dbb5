//! `GET /admin/journal.csv`: the audit log's lines of the journal's filters, as CSV
//! streamed batch by batch (the log grows without end; memory holds one batch).

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DatabaseConnection, QuerySelect};
use tower_sessions::Session;

use super::model::{AuditAction, AuditQuery};
use super::service::{audit_row, audit_select};
use crate::backoffice::csv::{BOM, write_records};
use crate::backoffice::handlers::{error_response, sign_in_first};
use crate::error::AppError;
use crate::server::AppState;
use crate::server::audit::{Actor, Audit};
use crate::server::auth::session_admin;

const BATCH: u64 = 1000;

const HEADER: [&str; 7] = [
    "Date et heure (Paris)",
    "Auteur",
    "Action",
    "Code de l’action",
    "Objet",
    "Détail",
    "Adresse IP",
];

async fn write(
    db: &DatabaseConnection,
    mut query: AuditQuery,
    tx: &tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>>,
) -> Result<(), AppError> {
    let mut first = BOM.to_vec();
    first.extend(
        write_records([HEADER.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()])
            .map_err(|e| AppError::internal("audit CSV header", &e))?,
    );
    if tx.send(Ok(first.into())).await.is_err() {
        return Ok(());
    }
    loop {
        let rows = audit_select(&query).limit(BATCH).all(db).await?;
        let Some(last) = rows.last().map(|r| r.id) else {
            return Ok(());
        };
        let done = (rows.len() as u64) < BATCH;
        let lines = rows.into_iter().map(audit_row).map(|r| {
            vec![
                r.at,
                r.actor,
                r.action_label,
                r.action,
                r.object,
                r.detail,
                r.ip,
            ]
        });
        let bytes = write_records(lines).map_err(|e| AppError::internal("audit CSV", &e))?;
        if tx.send(Ok(bytes.into())).await.is_err() || done {
            return Ok(());
        }
        query.apres = Some(last.to_string());
    }
}

pub async fn export_csv(
    State(state): State<AppState>,
    session: Session,
    Query(mut query): Query<AuditQuery>,
) -> Response {
    let account = match session_admin(&state, &session).await {
        Ok(a) => a,
        Err(AppError::Unauthenticated) => return sign_in_first("/admin/journal"),
        Err(e) => return error_response(e),
    };
    query.apres = None;
    let summary = query.to_query_string();
    Audit::new(AuditAction::AuditExported)
        .on("journal", 0, "Journal des actions")
        .detail(if summary.is_empty() {
            "Toutes les lignes".to_owned()
        } else {
            format!("Filtres : {summary}")
        })
        .write_logged(&state.db, &Actor::of(&account).await)
        .await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    let db = state.db.clone();
    tokio::spawn(async move {
        if let Err(e) = write(&db, query, &tx).await {
            tracing::error!(error = ?e, "audit CSV export failed");
            let _ = tx
                .send(Err(std::io::Error::other("export interrompu")))
                .await;
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"journal-{}.csv\"",
        crate::server::db::today()
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
