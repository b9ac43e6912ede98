//! The server's guard around its routes: the request body limit and the
//! handler panic catcher, in one service that boxes nothing.
//!
//! tower-http's two layers did the same at three extra allocations per
//! request: the limit wrapped every body (which the router then boxed
//! again), the panic catcher boxed every response body (which the request
//! hooks boxed again), and axum's limit marker was one more request
//! extension. Together they cost about 3% of the example app's throughput
//! (ADR 034).

use std::any::Any;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::{CatchUnwind, Either, Map, Ready, ready};
use http_body_util::Limited;
use tower::{Layer, Service};

use crate::ApiError;

/// The limit axum's body extractors (`Bytes`, `Json`, `Form`) apply when
/// no `DefaultBodyLimit` layer tells them another: a server whose limit is
/// within it needs no such layer (one more request extension).
pub(crate) const EXTRACTORS_DEFAULT_LIMIT: usize = 2 * 1024 * 1024;

/// Bounds request bodies to `limit` bytes and answers 500 for a handler
/// that panics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardLayer {
    limit: usize,
}

impl GuardLayer {
    pub(crate) fn new(limit: usize) -> Self {
        GuardLayer { limit }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            limit: self.limit,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Guard<S> {
    inner: S,
    limit: usize,
}

type Answer = Result<Response, Infallible>;
type Caught<F> = Map<CatchUnwind<AssertUnwindSafe<F>>, fn(std::thread::Result<Answer>) -> Answer>;

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Answer>, Caught<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let hint = request.body().size_hint();
        if usize::try_from(hint.lower()).map_or(true, |least| least > self.limit) {
            return Either::Left(ready(Ok(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            )
            .into_response())));
        }
        // A body bounded within the limit is left as it is: hyper ends a
        // body at its declared length, and an exact hint is such a bound.
        // Only a body of unknown length is counted as it is read.
        let bounded = hint
            .upper()
            .and_then(|most| usize::try_from(most).ok())
            .is_some_and(|most| most <= self.limit);
        let request = if bounded {
            request
        } else {
            request.map(|body| Body::new(Limited::new(body, self.limit)))
        };
        // The clone is the one polled ready; the other stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(request))) {
            Ok(answer) => Either::Right(
                AssertUnwindSafe(answer)
                    .catch_unwind()
                    .map(settle as fn(std::thread::Result<Answer>) -> Answer),
            ),
            Err(panic) => Either::Left(ready(Ok(panicked(panic)))),
        }
    }
}

fn settle(caught: std::thread::Result<Answer>) -> Answer {
    caught.unwrap_or_else(|panic| Ok(panicked(panic)))
}

fn panicked(_: Box<dyn Any + Send>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::Bytes;
    use axum::routing::post;
    use futures_util::stream;
    use tower::ServiceExt;

    use super::*;

    /// A route that reads the whole body and answers its length, counting
    /// the requests that reached it.
    fn reader(reached: &Arc<AtomicUsize>) -> Router {
        let reached = reached.clone();
        Router::new().route(
            "/",
            post(move |body: Bytes| async move {
                reached.fetch_add(1, Ordering::SeqCst);
                body.len().to_string()
            }),
        )
    }

    async fn status(service: Guard<Router>, body: Body) -> u16 {
        let request = Request::post("/").body(body).unwrap();
        service.oneshot(request).await.unwrap().status().as_u16()
    }

    /// A body of `len` bytes in 1 KiB chunks, of unknown length.
    fn streamed(len: usize) -> Body {
        let chunks = (0..len / 1024).map(|_| Ok::<_, Infallible>(Bytes::from(vec![b'x'; 1024])));
        Body::from_stream(stream::iter(chunks))
    }

    #[tokio::test]
    async fn a_body_declared_too_large_is_refused_before_any_handler() {
        let reached = Arc::new(AtomicUsize::new(0));
        let guard = GuardLayer::new(1024).layer(reader(&reached));
        assert_eq!(
            status(guard.clone(), Body::from(vec![0u8; 1025])).await,
            413
        );
        assert_eq!(reached.load(Ordering::SeqCst), 0);
        assert_eq!(status(guard, Body::from(vec![0u8; 1024])).await, 200);
        assert_eq!(reached.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_body_of_unknown_length_is_counted_as_it_is_read() {
        let reached = Arc::new(AtomicUsize::new(0));
        let guard = GuardLayer::new(4 * 1024).layer(reader(&reached));
        assert_eq!(status(guard.clone(), streamed(4 * 1024)).await, 200);
        assert_eq!(status(guard, streamed(5 * 1024)).await, 413);
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_whether_it_panics_early_or_late() {
        let late = Router::new().route(
            "/",
            post(|| async {
                tokio::task::yield_now().await;
                let panics: fn() -> &'static str = || panic!("late");
                panics()
            }),
        );
        assert_eq!(
            status(GuardLayer::new(64).layer(late), Body::empty()).await,
            500
        );

        #[derive(Clone)]
        struct PanicsOnCall;
        impl Service<Request> for PanicsOnCall {
            type Response = Response;
            type Error = Infallible;
            type Future = Ready<Answer>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, _: Request) -> Self::Future {
                panic!("early")
            }
        }
        let early = GuardLayer::new(64).layer(PanicsOnCall);
        let answer = early
            .oneshot(Request::post("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.status(), 500);
    }

    #[tokio::test]
    async fn a_server_limit_above_the_extractors_default_raises_theirs() {
        let reached = Arc::new(AtomicUsize::new(0));
        let config = crate::ServerConfig {
            body_limit: EXTRACTORS_DEFAULT_LIMIT + 1024 * 1024,
            ..crate::ServerConfig::default()
        };
        let server = crate::Server::new(plinth_runtime::Manager::new(), config)
            .unwrap()
            .routes(reader(&reached));
        let post = |body: Body| Request::post("/").body(body).unwrap();
        let over_default = EXTRACTORS_DEFAULT_LIMIT + 1024;
        let answer = server
            .router()
            .oneshot(post(streamed(over_default)))
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "within the server's limit");
        let answer = server
            .router()
            .oneshot(post(streamed(EXTRACTORS_DEFAULT_LIMIT + 2 * 1024 * 1024)))
            .await
            .unwrap();
        assert_eq!(answer.status(), 413, "over the server's limit");
        assert_eq!(reached.load(Ordering::SeqCst), 1);
    }
}
