//! `results/index.html`: the same report as one self-contained page (charts inline, no
//! network), converted from the Markdown the report writes by `pulldown-cmark` (CommonMark with
//! tables). Each image becomes its chart's SVG, inline; HTML inside the Markdown is shown as
//! text, never interpreted (a cell's reason may quote a server's reply). A script at the end
//! checks that every chart rendered and records any script error, so a headless browser can
//! verify the page.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The figure that replaces the image `path` (its SVG inline) or says that it is missing.
fn figure(path: &str, alt: &str, chart: &impl Fn(&str) -> Option<String>) -> String {
    match chart(path) {
        Some(svg) => format!(
            "<figure class=\"chart\" data-chart=\"{}\">{}</figure>\n",
            escape(path),
            svg.trim_start_matches(|c| c != '<')
                .replacen("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", 1)
                .trim_start()
        ),
        None => format!(
            "<p class=\"missing\">chart {} is missing: {}</p>\n",
            escape(path),
            escape(alt)
        ),
    }
}

/// Converts the report's Markdown to a page; `chart(path)` returns an SVG document to inline.
pub fn render(markdown: &str, chart: impl Fn(&str) -> Option<String>) -> String {
    let events: Vec<Event> = Parser::new_ext(markdown, Options::ENABLE_TABLES).collect();
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Image { dest_url, .. }) => {
                // The image's alt text runs to its end.
                let mut alt = String::new();
                let mut j = i + 1;
                while j < events.len() && events[j] != Event::End(TagEnd::Image) {
                    if let Event::Text(t) | Event::Code(t) = &events[j] {
                        alt.push_str(t);
                    }
                    j += 1;
                }
                // A paragraph holding the image alone becomes the figure (no <p> around it).
                if matches!(out.last(), Some(Event::Start(Tag::Paragraph)))
                    && matches!(events.get(j + 1), Some(Event::End(TagEnd::Paragraph)))
                {
                    out.pop();
                    j += 1;
                }
                out.push(Event::Html(CowStr::from(figure(dest_url, &alt, &chart))));
                i = j + 1;
                continue;
            }
            Event::Html(h) | Event::InlineHtml(h) => out.push(Event::Text(h.clone())),
            e => out.push(e.clone()),
        }
        i += 1;
    }
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, out.into_iter());
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>fanout-bench results</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <main>\n{body}</main>\n<script>\n{CHECK}</script>\n</body>\n</html>\n"
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#222}\
main{max-width:960px;margin:0 auto;padding:1rem}\
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem}\
td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}\
th{background:#f4f4f4}code{font-size:.9em}figure.chart{margin:1rem 0}\
figure.chart svg{max-width:100%;height:auto}\n";

/// Marks the page with `data-render-check="ok N"` once every chart has a non-empty drawing and
/// no script error happened, else with what failed.
const CHECK: &str = r#"(function () {
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  function check() {
    var figs = document.querySelectorAll('figure.chart');
    var bad = [];
    figs.forEach(function (f) {
      var svg = f.querySelector('svg');
      var box = svg ? svg.getBBox() : null;
      if (!svg || !box || box.width < 10 || box.height < 10 || svg.querySelectorAll('*').length < 10) {
        bad.push(f.getAttribute('data-chart'));
      }
    });
    var missing = document.querySelectorAll('p.missing').length;
    var ok = bad.length === 0 && errors.length === 0 && missing === 0 && figs.length > 0;
    document.body.setAttribute('data-render-check',
      ok ? 'ok ' + figs.length : 'failed: charts ' + bad.join(',') + ' missing ' + missing + ' errors ' + errors.join(';'));
  }
  if (document.readyState === 'complete') { check(); } else { window.addEventListener('load', check); }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_markdown_converts_with_charts_inline() {
        let md = "# T\n\nSome `code` and **bold** [link](a.json).\n\n| a | b |\n|---|---|\n| 1 | <2> <b>x</b> |\n\n- x\n- y\n\n![c *chart*](charts/c.svg)\n";
        let html = render(md, |p| {
            (p == "charts/c.svg")
                .then(|| "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg><g/></svg>".into())
        });
        assert!(html.contains("<h1>T</h1>"), "{html}");
        assert!(html
            .contains("<code>code</code> and <strong>bold</strong> <a href=\"a.json\">link</a>"));
        assert!(
            html.contains("<td>1</td><td>&lt;2&gt; &lt;b&gt;x&lt;/b&gt;</td>"),
            "{html}"
        );
        assert!(html.contains("<li>x</li>\n<li>y</li>"), "{html}");
        assert!(
            html.contains(
                "<figure class=\"chart\" data-chart=\"charts/c.svg\"><svg><g/></svg></figure>"
            ),
            "{html}"
        );
        assert!(!html.contains("<p><figure"), "{html}");
        let missing = render("![c](charts/none.svg)\n", |_| None);
        assert!(
            missing.contains("<p class=\"missing\">chart charts/none.svg is missing: c</p>"),
            "{missing}"
        );
    }
}
