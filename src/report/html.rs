//! `results/index.html`: the same report as one self-contained page (charts inline, no
//! network), converted from the Markdown the report writes (its own small subset: headings,
//! paragraphs, lists, tables, images, `code` and **bold**). A script at the end checks that every
//! chart rendered and records any script error, so a headless browser can verify the page.

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn inline(s: &str) -> String {
    let mut out = String::new();
    let (mut code, mut bold) = (false, false);
    let mut rest = escape(s);
    // Links [text](href) first.
    while let Some(start) = rest.find('[') {
        let Some(mid) = rest[start..].find("](").map(|m| start + m) else {
            break;
        };
        let Some(end) = rest[mid..].find(')').map(|e| mid + e) else {
            break;
        };
        let (text, href) = (&rest[start + 1..mid], &rest[mid + 2..end]);
        rest = format!(
            "{}<a href=\"{href}\">{text}</a>{}",
            &rest[..start],
            &rest[end + 1..]
        );
    }
    let mut chars = rest.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '`' => {
                out.push_str(if code { "</code>" } else { "<code>" });
                code = !code;
            }
            '*' if chars.peek() == Some(&'*') && !code => {
                chars.next();
                out.push_str(if bold { "</strong>" } else { "<strong>" });
                bold = !bold;
            }
            c => out.push(c),
        }
    }
    out
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split(" | ")
        .map(|c| inline(c.trim()))
        .collect()
}

/// Converts the report's Markdown to a page; `chart(path)` returns an SVG document to inline.
pub fn render(markdown: &str, chart: impl Fn(&str) -> Option<String>) -> String {
    let mut body = String::new();
    let mut lines = markdown.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(h) = line.strip_prefix("### ") {
            body.push_str(&format!("<h3>{}</h3>\n", inline(h)));
        } else if let Some(h) = line.strip_prefix("## ") {
            body.push_str(&format!("<h2>{}</h2>\n", inline(h)));
        } else if let Some(h) = line.strip_prefix("# ") {
            body.push_str(&format!("<h1>{}</h1>\n", inline(h)));
        } else if let Some(img) = line.strip_prefix("![") {
            let (alt, path) = img.split_once("](").unwrap_or((img, ""));
            let path = path.trim_end_matches(')');
            match chart(path) {
                Some(svg) => body.push_str(&format!(
                    "<figure class=\"chart\" data-chart=\"{}\">{}</figure>\n",
                    escape(path),
                    svg.trim_start_matches(|c| c != '<').replacen(
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                        "",
                        1
                    )
                )),
                None => body.push_str(&format!(
                    "<p class=\"missing\">chart {} is missing: {}</p>\n",
                    escape(path),
                    escape(alt)
                )),
            }
        } else if line.starts_with('|') {
            body.push_str("<table>\n<thead><tr>");
            for c in cells(line) {
                body.push_str(&format!("<th>{c}</th>"));
            }
            body.push_str("</tr></thead>\n<tbody>\n");
            lines.next(); // the |---| separator
            while let Some(row) = lines.next_if(|l| l.starts_with('|')) {
                body.push_str("<tr>");
                for c in cells(row) {
                    body.push_str(&format!("<td>{c}</td>"));
                }
                body.push_str("</tr>\n");
            }
            body.push_str("</tbody></table>\n");
        } else if let Some(item) = line.strip_prefix("- ") {
            body.push_str(&format!("<ul>\n<li>{}</li>\n", inline(item)));
            while let Some(item) = lines.next_if(|l| l.starts_with("- ")) {
                body.push_str(&format!("<li>{}</li>\n", inline(&item[2..])));
            }
            body.push_str("</ul>\n");
        } else if !line.trim().is_empty() {
            body.push_str(&format!("<p>{}</p>\n", inline(line)));
        }
    }
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
    fn the_markdown_subset_converts() {
        let md = "# T\n\nSome `code` and **bold** [link](a.json).\n\n| a | b |\n|---|---|\n| 1 | <2> |\n\n- x\n- y\n\n![c](charts/c.svg)\n";
        let html = render(md, |p| {
            (p == "charts/c.svg").then(|| "<svg><g/></svg>".into())
        });
        assert!(html.contains("<h1>T</h1>"));
        assert!(html
            .contains("<code>code</code> and <strong>bold</strong> <a href=\"a.json\">link</a>"));
        assert!(html.contains("<td>1</td><td>&lt;2&gt;</td>"));
        assert!(html.contains("<li>x</li>\n<li>y</li>"));
        assert!(html.contains("data-chart=\"charts/c.svg\"><svg><g/></svg>"));
        let missing = render("![c](charts/none.svg)\n", |_| None);
        assert!(missing.contains("class=\"missing\""));
    }
}
