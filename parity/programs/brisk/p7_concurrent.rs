//! 7. Many requests at once on one client, results in order.
use tokio::task::JoinSet;

pub async fn run(urls: Vec<String>) -> Vec<Result<usize, brisk::Error>> {
    let client = brisk::Client::new();
    let mut set = JoinSet::new();
    for (i, url) in urls.into_iter().enumerate() {
        let client = client.clone();
        set.spawn(async move {
            let len = client.get(&url).send().await?.bytes().await?.len();
            Ok::<_, brisk::Error>((i, len))
        });
    }
    let mut out = Vec::new();
    while let Some(done) = set.join_next().await {
        out.push(done.expect("task panicked"));
    }
    out.sort_by_key(|r| r.as_ref().map(|(i, _)| *i).unwrap_or(usize::MAX));
    out.into_iter().map(|r| r.map(|(_, len)| len)).collect()
}
