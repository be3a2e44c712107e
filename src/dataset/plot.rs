//! SVG plots (plotters' SVG backend: text is written as SVG `<text>` and sized by plotters'
//! own estimate, so no font library is needed) and the one-page `report.html`.

use super::build::BuildReport;
use super::stats::{markdown_table, SplitStats};
use plotters::prelude::*;

const W: u32 = 720;
const ROW: u32 = 22;

/// A horizontal bar chart of `(label, value)` rows as an SVG document.
pub fn bar_chart(title: &str, rows: &[(String, f64)]) -> String {
    let h = 50 + ROW * rows.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W, h)).into_drawing_area();
        // Drawing into a String cannot fail; errors would only come from a backend's I/O.
        let _ = draw(&root, title, rows);
        let _ = root.present();
    }
    svg
}

fn draw(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    rows: &[(String, f64)],
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        title.to_string(),
        (10, 10),
        ("sans-serif", 18).into_font().color(&BLACK),
    ))?;
    let label_w = 230i32;
    let max = rows.iter().map(|r| r.1).fold(0.0f64, f64::max).max(1e-9);
    let bar_max = (W as i32) - label_w - 90;
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 40 + (i as i32) * ROW as i32;
        let short: String = if label.chars().count() > 32 {
            format!("{}…", label.chars().take(31).collect::<String>())
        } else {
            label.clone()
        };
        root.draw(&Text::new(
            short,
            (8, y + 3),
            ("sans-serif", 13).into_font().color(&BLACK),
        ))?;
        let len = ((v / max) * bar_max as f64).round() as i32;
        root.draw(&Rectangle::new(
            [(label_w, y), (label_w + len.max(1), y + ROW as i32 - 6)],
            RGBColor(70, 110, 180).filled(),
        ))?;
        let value = if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        };
        root.draw(&Text::new(
            value,
            (label_w + len.max(1) + 6, y + 3),
            ("sans-serif", 12).into_font().color(&BLACK),
        ))?;
    }
    Ok(())
}

/// The plots of one split: (id, title, svg).
pub fn split_plots(name: &str, s: &SplitStats) -> Vec<(String, String, String)> {
    let d = &s.distributions;
    let top = |v: &[(String, usize)]| -> Vec<(String, f64)> {
        v.iter()
            .take(20)
            .map(|(k, n)| (k.clone(), *n as f64))
            .collect()
    };
    vec![
        (
            format!("{name}-actions"),
            format!("{name}: actions per workflow"),
            bar_chart(
                &format!("{name}: workflows by number of actions"),
                &d.actions
                    .iter()
                    .map(|(k, n)| (k.clone(), *n as f64))
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            format!("{name}-categories"),
            format!("{name}: categories"),
            bar_chart(
                &format!("{name}: workflows per category (top 20)"),
                &top(&d.categories),
            ),
        ),
        (
            format!("{name}-apps"),
            format!("{name}: apps"),
            bar_chart(
                &format!("{name}: workflows using each app (top 20)"),
                &top(&d.apps),
            ),
        ),
        (
            format!("{name}-origin"),
            format!("{name}: seed vs synthesized, built-in vs third-party"),
            bar_chart(
                &format!("{name}: origin and API kind"),
                &[
                    ("seed workflows".into(), d.seed as f64),
                    ("synthesized workflows".into(), d.synthesized as f64),
                    ("built-in API uses".into(), d.builtin_api_uses as f64),
                    ("third-party API uses".into(), d.third_party_api_uses as f64),
                ],
            ),
        ),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A Markdown table as an HTML table.
fn md_to_html(md: &str) -> String {
    let mut s = String::from("<table>\n");
    for (i, line) in md.lines().enumerate() {
        if i == 1 {
            continue;
        }
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let tag = if i == 0 { "th" } else { "td" };
        s.push_str("<tr>");
        for c in cells {
            s.push_str(&format!("<{tag}>{}</{tag}>", esc(c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

fn kv_table(head: (&str, &str), rows: &[(String, String)]) -> String {
    let mut s = format!(
        "<table>\n<tr><th>{}</th><th>{}</th></tr>\n",
        esc(head.0),
        esc(head.1)
    );
    for (k, v) in rows {
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    s.push_str("</table>\n");
    s
}

/// Table 1 of a build as Markdown (train, test_id, test_ood, all).
pub fn table1_markdown(r: &BuildReport) -> String {
    let cols: Vec<(&str, &super::stats::Table1)> = ["train", "test_id", "test_ood", "all"]
        .iter()
        .filter_map(|k| r.stats.get(*k).map(|s| (*k, &s.table)))
        .collect();
    markdown_table(&cols)
}

/// The whole report page: tables and every plot inline, no external assets. Returns the
/// page and the plots (id, svg) written beside it.
pub fn report_html(r: &BuildReport) -> (String, Vec<(String, String)>) {
    let mut body = String::new();
    body.push_str("<h1>wfc dataset build</h1>\n");
    body.push_str(&format!(
        "<p>{} records read from {} input file(s); {} kept, {} rejected.</p>\n",
        r.records_read,
        r.inputs.len(),
        r.records_read - r.rejected,
        r.rejected
    ));
    body.push_str("<h2>Splits</h2>\n");
    body.push_str(&kv_table(
        ("split", "records"),
        &r.splits
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect::<Vec<_>>(),
    ));
    let v = &r.verification;
    body.push_str(&format!(
        "<p>Verification: disjoint {}, every record accounted for {}, OOD invariants {}; {} held-out APIs.</p>\n",
        v.disjoint, v.accounted, v.ood_invariants, r.held_out_apis.len()
    ));
    body.push_str("<h2>Table 1</h2>\n");
    body.push_str(&md_to_html(&table1_markdown(r)));
    body.push_str("<h2>Rejected, by rule</h2>\n");
    body.push_str(&kv_table(
        ("rule", "records"),
        &r.rejected_by_rule
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect::<Vec<_>>(),
    ));
    body.push_str("<h2>Duplicates removed</h2>\n");
    body.push_str(&kv_table(
        ("kind", "records"),
        &r.duplicates
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect::<Vec<_>>(),
    ));
    let rp = &r.repair;
    body.push_str("<h2>WorkflowBench repair</h2>\n");
    let mut rows = vec![
        ("repair enabled".to_string(), rp.enabled.to_string()),
        (
            "WorkflowBench records".into(),
            rp.workflowbench_records.to_string(),
        ),
        (
            "parse as released".into(),
            rp.workflowbench_parse_as_is.to_string(),
        ),
        (
            "parse after repair".into(),
            rp.workflowbench_parse_after_repair.to_string(),
        ),
        (
            "pass the filter without repair".into(),
            rp.workflowbench_pass_without_repair.to_string(),
        ),
        (
            "pass the filter with repair".into(),
            rp.workflowbench_pass_with_repair.to_string(),
        ),
    ];
    for (k, n) in &rp.kinds {
        rows.push((format!("repair kind {k}"), n.to_string()));
    }
    body.push_str(&kv_table(("", ""), &rows));
    let mut plots = Vec::new();
    body.push_str("<h2>Plots</h2>\n");
    for name in ["all", "train", "test_id", "test_ood"] {
        if let Some(s) = r.stats.get(name) {
            for (id, title, svg) in split_plots(name, s) {
                body.push_str(&format!(
                    "<figure class=\"plot\" id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                    esc(&id),
                    strip_xml_decl(&svg),
                    esc(&title)
                ));
                plots.push((id, svg));
            }
        }
    }
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>wfc dataset report</title>\n<style>\nbody {{ font-family: sans-serif; margin: 2em; }}\ntable {{ border-collapse: collapse; margin: 1em 0; }}\ntd, th {{ border: 1px solid #999; padding: 2px 8px; text-align: right; }}\ntd:first-child, th:first-child {{ text-align: left; }}\nfigure {{ margin: 1em 0; }}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    );
    (page, plots)
}

fn strip_xml_decl(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_chart_is_svg_with_every_label() {
        let svg = bar_chart("t & co", &[("a<b".into(), 3.0), ("c".into(), 1.5)]);
        assert!(svg.contains("<svg"));
        assert!(svg.contains("a&lt;b"), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
    }
}
