//! A real SMTP server on loopback that keeps what it receives, for the tests to read.
//! It speaks the protocol lettre uses (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and
//! refuses any recipient whose address contains "refuse" with a permanent 550.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub envelope_to: Vec<String>,
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parsable email")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the SMTP sink");
        let port = listener.local_addr().expect("address").port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let task = {
            let mails = mails.clone();
            let arrived = arrived.clone();
            tokio::spawn(async move {
                let mut connections = tokio::task::JoinSet::new();
                while let Ok((stream, _)) = listener.accept().await {
                    let mails = mails.clone();
                    let arrived = arrived.clone();
                    connections.spawn(async move {
                        let _ = serve(stream, mails, arrived).await;
                    });
                }
            })
        };
        Self {
            port,
            mails,
            arrived,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mails.lock().expect("lock").clone()
    }

    /// Waits until at least `count` emails have arrived.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            let mails = self.received();
            if mails.len() >= count {
                return mails;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "expected {count} emails within {timeout:?}, got {}",
                    self.received().len()
                );
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Aborting the accept loop drops the listener and every open connection.
        self.task.abort();
    }
}

async fn serve(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 sink.test ESMTP test sink\r\n")
        .await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if tokio::time::timeout(Duration::from_secs(60), lines.read_line(&mut line))
            .await
            .map_err(|_| std::io::ErrorKind::TimedOut)??
            == 0
        {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if command.starts_with("HELO") || command.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if command.starts_with("MAIL FROM") || command.starts_with("RSET") {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO") {
            if command.contains("REFUSE") {
                b"550 5.1.1 Mailbox unavailable\r\n"
            } else {
                to.push(line.trim_end()[8..].trim().to_string());
                b"250 OK\r\n"
            }
        } else if command == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut raw = Vec::new();
            loop {
                let mut data = String::new();
                if lines.read_line(&mut data).await? == 0 {
                    return Ok(());
                }
                if data == ".\r\n" || data == ".\n" {
                    break;
                }
                let data = data.strip_prefix('.').unwrap_or(&data);
                raw.extend_from_slice(data.as_bytes());
            }
            mails.lock().expect("lock").push(ReceivedMail {
                envelope_to: std::mem::take(&mut to),
                raw,
            });
            arrived.notify_waiters();
            b"250 2.0.0 Queued\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 5.5.2 Command not recognized\r\n"
        };
        write.write_all(reply).await?;
    }
}
