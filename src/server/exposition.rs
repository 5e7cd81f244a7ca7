//! The two exposition formats of `GET /metrics`: OpenMetrics 1.0.0 (what the metrics crate
//! writes) and the Prometheus text format 0.0.4 (derived from it by
//! [`openmetrics_to_text004`]), chosen from the scraper's `Accept` header by [`negotiate`].
//!
//! Prometheus asks for OpenMetrics first; `curl`, `promtool check metrics` and older scrapers
//! get the text format, which is also the answer when `Accept` is missing or names neither.

/// The formats `/metrics` can answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/openmetrics-text; version=1.0.0`
    OpenMetrics,
    /// `text/plain; version=0.0.4`
    Text004,
}

impl Format {
    /// The `Content-Type` of an answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Text004 => "text/plain; version=0.0.4; charset=utf-8",
        }
    }
}

/// The format an `Accept` header prefers: OpenMetrics when it is acceptable with a quality at
/// least that of `text/plain` (or of a wildcard), otherwise the text format.
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text004;
    };
    let mut openmetrics = 0.0f32;
    let mut text = 0.0f32;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0f32;
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
        }
        match media.as_str() {
            "application/openmetrics-text" => openmetrics = openmetrics.max(q),
            "text/plain" | "text/*" | "*/*" => text = text.max(q),
            _ => {}
        }
    }
    if openmetrics > 0.0 && openmetrics >= text {
        Format::OpenMetrics
    } else {
        Format::Text004
    }
}

/// Rewrite the OpenMetrics text of the metrics crate into the text format 0.0.4: a counter's
/// family takes the name of its `_total` sample, an `info` family becomes a gauge named after
/// its `_info` sample, `# UNIT` and `# EOF` lines go. Samples are the same in both formats.
pub fn openmetrics_to_text004(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // HELP comes before TYPE: hold it until the type tells the family's 0.0.4 name.
    let mut help: Option<(&str, &str)> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            flush_help(&mut out, help.take(), None);
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name, text));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let (name, kind) = match kind {
                "counter" => (format!("{family}_total"), "counter"),
                "info" => (format!("{family}_info"), "gauge"),
                "gaugehistogram" => (family.to_string(), "histogram"),
                "stateset" | "unknown" => (family.to_string(), "untyped"),
                other => (family.to_string(), other),
            };
            match help.take() {
                Some((n, t)) if n == family => flush_help(&mut out, Some((n, t)), Some(&name)),
                other => flush_help(&mut out, other, None),
            }
            out.push_str("# TYPE ");
            out.push_str(&name);
            out.push(' ');
            out.push_str(kind);
            out.push('\n');
            continue;
        }
        flush_help(&mut out, help.take(), None);
        out.push_str(line);
        out.push('\n');
    }
    flush_help(&mut out, help.take(), None);
    out
}

fn flush_help(out: &mut String, help: Option<(&str, &str)>, rename: Option<&str>) {
    if let Some((name, text)) = help {
        out.push_str("# HELP ");
        out.push_str(rename.unwrap_or(name));
        out.push(' ');
        out.push_str(text);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_gets_openmetrics_and_curl_gets_text() {
        // Prometheus 2.x/3.x scrape header.
        let prom = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(negotiate(Some(prom)), Format::OpenMetrics);
        assert_eq!(negotiate(None), Format::Text004);
        assert_eq!(negotiate(Some("*/*")), Format::Text004);
        assert_eq!(negotiate(Some("text/plain;version=0.0.4")), Format::Text004);
        assert_eq!(
            negotiate(Some("text/plain;q=0.9, application/openmetrics-text;q=0.5")),
            Format::Text004
        );
        assert_eq!(
            negotiate(Some("application/openmetrics-text; version=1.0.0")),
            Format::OpenMetrics
        );
        assert_eq!(
            negotiate(Some("application/openmetrics-text;q=0")),
            Format::Text004
        );
    }

    #[test]
    fn conversion_renames_counters_and_info_and_drops_openmetrics_lines() {
        let om = "# HELP p_calls Calls.\n# TYPE p_calls counter\n# UNIT p_calls calls\np_calls_total{a=\"1\"} 3\n# HELP p_build Build.\n# TYPE p_build info\np_build_info{version=\"1\"} 1\n# HELP p_up Up.\n# TYPE p_up gauge\np_up 1\n# EOF\n";
        assert_eq!(
            openmetrics_to_text004(om),
            "# HELP p_calls_total Calls.\n# TYPE p_calls_total counter\np_calls_total{a=\"1\"} 3\n# HELP p_build_info Build.\n# TYPE p_build_info gauge\np_build_info{version=\"1\"} 1\n# HELP p_up Up.\n# TYPE p_up gauge\np_up 1\n"
        );
    }
}
