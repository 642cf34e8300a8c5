//! 4. Query parameters from a struct and from pairs; a form POST.
use serde::Serialize;

#[derive(Serialize)]
struct Search<'a> {
    q: &'a str,
    page: u32,
    lang: Option<&'a str>,
}

pub async fn run(client: &reqwest::Client) -> Result<(), reqwest::Error> {
    let search = Search { q: "http client", page: 2, lang: None };
    let resp = client
        .get("https://example.com/search")
        .query(&search)
        .query(&[("limit", 10)])
        .send()
        .await?;
    println!("{} {}", resp.status(), resp.url());
    let params = [("grant_type", "client_credentials"), ("scope", "read write")];
    let token = client
        .post("https://example.com/oauth/token")
        .basic_auth("client-id", Some("secret"))
        .form(&params)
        .send()
        .await?
        .text()
        .await?;
    println!("{token}");
    Ok(())
}
