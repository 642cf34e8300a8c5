//! Many requests at once, with a bound on how many are in flight: the
//! `asyncio.gather(..., return_exceptions=True)` of brisk, each result in
//! the order of its request, failures included.

use super::{Client, RequestBuilder, Response};
use crate::error::Error;
use std::future::Future;
use tokio::task::JoinSet;

impl Client {
    /// Sends every request, at most `concurrency` at a time (0 is taken as
    /// 1), and returns each one's result in the order of `requests`:
    /// failures are results like the others, and one failure stops
    /// nothing.
    ///
    /// Each request runs as its own tokio task, under its own deadline and
    /// retry policy, so the batch uses every worker of a multi-threaded
    /// runtime. A request is started only when a place is free: `requests`
    /// is read lazily, and at most `concurrency` requests (and their
    /// connections) exist at once.
    ///
    /// A place is free once its response's body is read: each task reads
    /// the body into memory, as [`Response::bytes`] would (within
    /// [`Limits::max_body_bytes`](crate::h1::Limits::max_body_bytes), under
    /// the request's deadline), and gives the connection back to the pool
    /// before the next request starts. So a batch needs no more
    /// connections than `concurrency`, and a finished response never
    /// holds one while the rest run (as httpx and `aiohttp` users read
    /// the body inside each gathered task). Read the responses as usual:
    /// `bytes`, `text`, `json`, `chunk` and `read` serve the buffered body
    /// without I/O. A body that fails to arrive makes its request's result
    /// that error. For bodies too large to hold in memory, send the
    /// requests yourself and stream each one.
    ///
    /// The requests may come from any client (each carries its own); the
    /// pool each uses is its client's.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), brisk::Error> {
    /// let client = brisk::Client::new();
    /// let urls = ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"];
    /// let results = client
    ///     .send_all(urls.iter().map(|u| client.get(*u)), 8)
    ///     .await;
    /// for (url, result) in urls.iter().zip(results) {
    ///     match result {
    ///         Ok(resp) => println!("{url}: {}", resp.status()),
    ///         Err(e) => println!("{url}: {e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_all(
        &self,
        requests: impl IntoIterator<Item = RequestBuilder>,
        concurrency: usize,
    ) -> Vec<Result<Response, Error>> {
        let buffered = requests.into_iter().map(|request| async move {
            let mut resp = request.send().await?;
            resp.buffer_body().await?;
            Ok(resp)
        });
        run_bounded(buffered, concurrency).await
    }
}

/// Runs `tasks`, at most `concurrency` at a time (at least one), each as a
/// tokio task, and returns their outputs in input order. A task that
/// panics makes this panic with the same payload, as a plain `.await`
/// would.
pub(crate) async fn run_bounded<F>(
    tasks: impl IntoIterator<Item = F>,
    concurrency: usize,
) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let limit = concurrency.max(1);
    let mut tasks = tasks.into_iter().enumerate();
    let mut results: Vec<Option<F::Output>> = Vec::with_capacity(tasks.size_hint().0);
    let mut running = JoinSet::new();
    let mut spawn_next = |running: &mut JoinSet<_>, results: &mut Vec<Option<_>>| {
        let Some((i, task)) = tasks.next() else {
            return false;
        };
        results.push(None);
        running.spawn(async move { (i, task.await) });
        true
    };
    while running.len() < limit && spawn_next(&mut running, &mut results) {}
    while let Some(joined) = running.join_next().await {
        match joined {
            Ok((i, output)) => results[i] = Some(output),
            // Tasks are never aborted here (the set is ours), so a join
            // error is a panic: pass it on.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
        spawn_next(&mut running, &mut results);
    }
    results
        .into_iter()
        .map(|r| r.expect("every task was joined"))
        .collect()
}
