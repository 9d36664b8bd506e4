//! Every strategy fetches every URL exactly once per batch: checked by wiremock's request
//! verification (one mock per URL, `.expect(1)`), with the bodies the mock server would send.

use fanout_bench::strategy::{self, Settings};
use fanout_bench::{verify, ProfileFile};
use mock_server::body::body_bytes;
use std::path::Path;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn each_url_is_fetched_exactly_once_per_batch() {
    let w = ProfileFile::parse(
        "[[workload]]\nname = \"w\"\nrequests = 24\nbytes = 700\nlatency = { model = \"fixed\", ms = 0 }\n",
        Path::new("test.toml"),
    )
    .unwrap()
    .workload
    .remove(0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start());
    let requests = w.requests(&server.uri());
    let expected: Vec<_> = requests.iter().map(|r| r.expected).collect();
    for entry in strategy::registry() {
        rt.block_on(async {
            server.reset().await;
            for i in 0..w.requests as u64 {
                Mock::given(method("GET"))
                    .and(path(format!("/r/{i}")))
                    .respond_with(ResponseTemplate::new(200).set_body_bytes(body_bytes(i, w.bytes)))
                    .expect(1)
                    .named(format!("{} /r/{i}", entry.info.id))
                    .mount(&server)
                    .await;
            }
        });
        let mut s = entry.build(&Settings::for_workload(&w)).unwrap();
        let outcomes = s.run(&requests, None);
        if let Err(e) = verify(&expected, &outcomes) {
            panic!("{}: {e}", entry.info.id);
        }
        // Panics naming the mock (strategy and URL) whose count is not exactly one.
        rt.block_on(server.verify());
    }
}
