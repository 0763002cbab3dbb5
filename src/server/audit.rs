//! The append-only audit log: who did what, when, on which object, from which address.
//! A line is written in the transaction of the change it records (or alone, for
//! sign-ins), so that a change and its line exist together or not at all.

use std::net::IpAddr;

use sea_orm::{ActiveValue::NotSet, ConnectionTrait, EntityTrait, Set};

use super::db::now;
use super::entities::{account, audit_log};
use crate::admin::model::AuditAction;
use crate::error::AppError;

/// Who acts, and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: Option<i32>,
    pub email: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    /// A signed-in account, from the address of the current request.
    pub async fn of(account: &account::Model) -> Self {
        Self::with_ip(account, super::auth::client_ip().await)
    }

    /// A signed-in account from a known address (plain axum handlers).
    pub fn with_ip(account: &account::Model, ip: IpAddr) -> Self {
        Actor {
            id: Some(account.id),
            email: Some(account.email.clone()),
            ip: Some(ip.to_string()),
        }
    }

    /// Someone not signed in, known by the address they typed (failed sign-in).
    pub async fn anonymous(typed_email: &str) -> Self {
        Actor {
            id: None,
            email: Some(typed_email.chars().take(255).collect()),
            ip: Some(super::auth::client_ip().await.to_string()),
        }
    }
}

/// One line to write: the action, its object and a detail.
#[derive(Debug, Clone)]
pub struct Audit {
    action: AuditAction,
    object_kind: Option<&'static str>,
    object_id: Option<String>,
    object_label: Option<String>,
    detail: Option<String>,
}

impl Audit {
    pub fn new(action: AuditAction) -> Self {
        Audit {
            action,
            object_kind: None,
            object_id: None,
            object_label: None,
            detail: None,
        }
    }

    /// The object: `demarche`, `dossier`, `compte`, `service` or `journal`.
    pub fn on(mut self, kind: &'static str, id: impl ToString, label: impl Into<String>) -> Self {
        self.object_kind = Some(kind);
        self.object_id = Some(id.to_string());
        self.object_label = Some(label.into().chars().take(300).collect());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        if !detail.is_empty() {
            self.detail = Some(detail);
        }
        self
    }

    /// Writes the line (in the caller's transaction when given one).
    pub async fn write<C: ConnectionTrait>(self, db: &C, actor: &Actor) -> Result<(), AppError> {
        audit_log::Entity::insert(audit_log::ActiveModel {
            id: NotSet,
            at: Set(now()),
            actor_id: Set(actor.id),
            actor_email: Set(actor.email.clone()),
            action: Set(self.action.as_str().to_owned()),
            object_kind: Set(self.object_kind.map(str::to_owned)),
            object_id: Set(self.object_id),
            object_label: Set(self.object_label),
            detail: Set(self.detail),
            ip: Set(actor.ip.clone()),
        })
        .exec(db)
        .await?;
        Ok(())
    }

    /// Writes the line outside any transaction; a failure is logged, never shown (a
    /// sign-in is not refused because its line could not be written).
    pub async fn write_logged<C: ConnectionTrait>(self, db: &C, actor: &Actor) {
        let action = self.action.as_str();
        if let Err(e) = self.write(db, actor).await {
            tracing::error!(action, error = %e, "could not write the audit log");
        }
    }
}

tokio::task_local! {
    /// The caller's address, for the whole handling of a request (plain axum handlers
    /// have no Leptos context to read it from).
    static REQUEST_IP: IpAddr;
}

/// The address the current request came from, when `remember_ip` runs around it.
pub fn request_ip() -> Option<IpAddr> {
    REQUEST_IP.try_with(|ip| *ip).ok()
}

/// The caller's address: the peer, or with `trust_proxy` the last address of
/// `X-Forwarded-For` (the one our own reverse proxy added).
pub fn ip_of(trust_proxy: bool, headers: &http::HeaderMap, peer: Option<IpAddr>) -> IpAddr {
    if trust_proxy
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip;
    }
    peer.unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Middleware: keeps the caller's address for the audit log while the request runs.
pub async fn remember_ip(
    axum::extract::State(trust_proxy): axum::extract::State<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = ip_of(trust_proxy, request.headers(), peer);
    REQUEST_IP.scope(ip, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callers_address_is_the_peer_unless_our_proxy_says_otherwise() {
        let peer = Some(IpAddr::from([192, 0, 2, 7]));
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            http::HeaderValue::from_static("203.0.113.9, 198.51.100.4"),
        );
        // Without a trusted proxy the header is the client's word: ignored.
        assert_eq!(ip_of(false, &headers, peer), IpAddr::from([192, 0, 2, 7]));
        // Our proxy appends the address it saw: the last one.
        assert_eq!(ip_of(true, &headers, peer), IpAddr::from([198, 51, 100, 4]));
        headers.insert(
            "x-forwarded-for",
            http::HeaderValue::from_static("nonsense"),
        );
        assert_eq!(ip_of(true, &headers, peer), IpAddr::from([192, 0, 2, 7]));
        assert_eq!(
            ip_of(false, &http::HeaderMap::new(), None),
            IpAddr::from([0, 0, 0, 0])
        );
        assert_eq!(request_ip(), None, "outside a request");
    }
}
