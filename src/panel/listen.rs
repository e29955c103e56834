//! The panel's listener: a connection that has not sent its first request head (request line
//! and headers, up to the blank line) within [`HEAD_TIMEOUT`] is closed, so connections held
//! open with half a request ("slowloris") do not pile up. axum's server sets no header-read
//! timeout of its own. There is deliberately no cap on the number of connections: it could
//! refuse the STOP ALL request of the page that needs it most.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// How long a new connection has to send its first request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP listener whose connections get [`HEAD_TIMEOUT`] for their first request head.
pub struct Listener(pub TcpListener);

impl axum::serve::Listener for Listener {
    type Io = HeadDeadline;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (HeadDeadline, SocketAddr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (HeadDeadline::new(io, HEAD_TIMEOUT), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection that fails its reads (hyper then closes it) if the first request head is not
/// complete by its deadline; after that, a plain TCP stream (event streams last for days).
pub struct HeadDeadline {
    io: TcpStream,
    /// `None` once the first head is complete.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Line ends in a row so far (`\r` ignored): 2 ends the head.
    newlines: u8,
}

impl HeadDeadline {
    fn new(io: TcpStream, timeout: Duration) -> HeadDeadline {
        HeadDeadline {
            io,
            deadline: Some(Box::pin(tokio::time::sleep(timeout))),
            newlines: 0,
        }
    }

    /// Follow the bytes read until the blank line that ends the head.
    fn saw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' => self.newlines += 1,
                b'\r' => {}
                _ => self.newlines = 0,
            }
            if self.newlines == 2 {
                self.deadline = None;
                return;
            }
        }
    }
}

impl AsyncRead for HeadDeadline {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(deadline) = this.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no complete request head in time",
            )));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if this.deadline.is_some() && matches!(read, Poll::Ready(Ok(()))) {
            this.saw(&buf.filled()[before..]);
        }
        read
    }
}

impl AsyncWrite for HeadDeadline {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
