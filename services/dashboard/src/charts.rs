//! Accessible charts for the dashboard pages, written as SVG text on the server.
//!
//! This module owns the drawing of two charts: a line chart of figures over time (scope and
//! milestones done, money spent) and a milestone timeline (baseline date against forecast date,
//! with today marked). It draws what the caller gives it and computes no business figures.
//!
//! It exists instead of a charting crate because the SVG that those crates write (plotters and
//! the like) has no `role="img"`, no `<title>`/`<desc>` and no text alternative, and they pull in
//! font rendering; our charts are a few lines, markers and rectangles. Every chart here is one
//! `<svg role="img">` labelled by its own `<title>` and by a `<desc>` that states the figures in
//! words, and a line chart's figures can be shown as a table beside it ([`series_table_rows`]).
//!
//! Nothing is told apart by colour alone. Each series of a line chart has a class
//! `wm-series-1`..`wm-series-4` (the stylesheet gives each a colour and a dash pattern), a label at
//! the end of its line and a legend entry; timeline markers differ in shape. Colours come only from
//! CSS: the dashboard's stylesheet (`assets/src/waymark.scss`) styles every class used here.
//!
//! Classes used: `wm-chart` (with `wm-chart--line` or `wm-chart--timeline`) on the `<svg>`;
//! `wm-chart__grid`, `wm-chart__axis`, `wm-chart__tick`, `wm-chart__legend`, `wm-chart__empty`;
//! line charts: `wm-series`, `wm-series-N`, `wm-chart__line`, `wm-chart__point`, `wm-chart__label`;
//! timelines: `wm-chart__row`, `wm-chart__row-label`, `wm-chart__slip`, `wm-chart__baseline`,
//! `wm-chart__forecast`, `wm-chart__done`, `wm-chart__done-tick`, `wm-chart__today`,
//! `wm-chart__today-label`.

use std::cmp::Ordering;

use chrono::{Datelike, Days, NaiveDate};

/// Width of every chart's coordinate system (the `viewBox`); the `<svg>` itself scales to fit.
const WIDTH: f64 = 720.0;
/// Font size of all chart text, in viewBox units.
const FONT_SIZE: u32 = 12;
/// Rough advance of one character at [`FONT_SIZE`], used only to leave room for text.
const CHAR_WIDTH: f64 = 6.8;
/// Number of `wm-series-N` classes; further series reuse them in turn.
const SERIES_CLASSES: usize = 4;
/// Longest label drawn at the end of a line; the legend and the point titles carry it in full.
const END_LABEL_CHARS: usize = 18;
/// Longest label drawn in a legend entry.
const LEGEND_LABEL_CHARS: usize = 40;
/// Longest milestone name drawn at the left of a timeline row; the row's `<title>` has it in full.
const ROW_LABEL_CHARS: usize = 26;
/// Spans of fewer days than this get day ticks ("3 Aug") rather than month ticks ("Jun 2026").
const DAY_TICKS_BELOW_DAYS: i64 = 60;
/// Most x ticks drawn.
const MAX_DATE_TICKS: i64 = 6;

const LINE_PLOT_TOP: f64 = 16.0;
const LINE_PLOT_BOTTOM: f64 = 276.0;
const LEGEND_ROW_HEIGHT: f64 = 22.0;
/// Width of the line or marker drawn before a legend label.
const LEGEND_SAMPLE_WIDTH: f64 = 24.0;

const TIMELINE_LABEL_X: f64 = 8.0;
const TIMELINE_PLOT_LEFT: f64 = 200.0;
const TIMELINE_PLOT_RIGHT: f64 = WIDTH - 40.0;
const TIMELINE_TOP: f64 = 30.0;
const TIMELINE_ROW_HEIGHT: f64 = 28.0;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// One line of a [`LineChart`]: a label and its values by date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub label: String,
    /// In any order; drawn sorted by date. Where a date appears twice, the later entry wins.
    pub points: Vec<(NaiveDate, u64)>,
}

/// A chart of up to four figures over time (more series reuse the four looks in turn).
#[derive(Debug, Clone)]
pub struct LineChart<'a> {
    /// Slug that makes this chart's element ids unique on the page (`{id}-title`, `{id}-desc`).
    /// Characters other than ASCII letters, digits, `-` and `_` become `-`.
    pub id: &'a str,
    pub title: String,
    /// Text alternative. When empty, one is written from the figures.
    pub desc: String,
    pub series: Vec<Series>,
    /// Writes a value for the axis, the description and the point titles, for example
    /// [`compact_pounds`] or [`plain_number`].
    pub format: fn(u64) -> String,
    /// Draw step-after lines (a value holds until the next date), for cumulative counts.
    pub step: bool,
}

/// One milestone of a [`TimelineChart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub baseline: NaiveDate,
    pub forecast: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

/// One row per milestone: baseline and forecast dates, the slippage between them, the done date,
/// and a line at today.
#[derive(Debug, Clone)]
pub struct TimelineChart<'a> {
    /// Slug that makes this chart's element ids unique on the page, as for [`LineChart::id`].
    pub id: &'a str,
    pub title: String,
    /// Text alternative. When empty, one is written from the dates.
    pub desc: String,
    pub today: NaiveDate,
    pub bars: Vec<Bar>,
}

/// The SVG of a line chart. Every plotted point is a `<circle class="wm-chart__point">` with
/// `data-date="YYYY-MM-DD"` and `data-value` attributes, the same points as [`plotted_values`].
pub fn line_chart(chart: &LineChart) -> String {
    let slug = id_slug(chart.id);
    let plotted = plotted_values(chart);
    let format = chart.format;
    let desc = if chart.desc.trim().is_empty() {
        describe_lines(&plotted, format)
    } else {
        chart.desc.clone()
    };

    let max_value = plotted
        .iter()
        .flat_map(|(_, points)| points.iter().map(|&(_, value)| value))
        .max()
        .unwrap_or(0);
    let value_axis = ValueAxis::new(max_value);
    let tick_labels: Vec<(u64, String)> = value_axis
        .ticks()
        .into_iter()
        .map(|tick| (tick, format(tick)))
        .collect();
    let widest_tick = tick_labels
        .iter()
        .map(|(_, text)| text_width(text))
        .fold(0.0, f64::max);
    let plot_left = (widest_tick + 14.0).clamp(40.0, 200.0);

    let end_labels: Vec<String> = plotted
        .iter()
        .map(|(label, _)| truncate(label, END_LABEL_CHARS))
        .collect();
    let widest_end_label = end_labels
        .iter()
        .map(|text| text_width(text))
        .fold(0.0, f64::max);
    let plot_right = WIDTH - (widest_end_label + 16.0).clamp(24.0, 160.0);

    let y_of = |value: u64| {
        LINE_PLOT_BOTTOM - value as f64 / value_axis.top * (LINE_PLOT_BOTTOM - LINE_PLOT_TOP)
    };
    let date_axis = date_span(
        plotted
            .iter()
            .flat_map(|(_, points)| points.iter().map(|&(date, _)| date)),
    )
    .map(|(first, last)| DateAxis::new(first, last, plot_left, plot_right));

    let legend_labels: Vec<String> = plotted
        .iter()
        .map(|(label, _)| truncate(label, LEGEND_LABEL_CHARS))
        .collect();
    let legend = legend_layout(
        legend_labels.iter().map(|label| text_width(label)),
        plot_left,
    );
    let legend_top = LINE_PLOT_BOTTOM + 50.0;
    let height = match legend.last() {
        Some(&(_, row)) => legend_top + row as f64 * LEGEND_ROW_HEIGHT + 12.0,
        None => LINE_PLOT_BOTTOM + 34.0,
    };

    let mut svg = open_svg("wm-chart--line", height, &slug, &chart.title, &desc);

    for (tick, text) in &tick_labels {
        let y = y_of(*tick);
        let class = if *tick == 0 {
            "wm-chart__axis"
        } else {
            "wm-chart__grid"
        };
        svg.push_str(&hline(class, plot_left, plot_right, y));
        svg.push_str(&text_at(
            "wm-chart__tick",
            plot_left - 8.0,
            y + 4.0,
            "end",
            text,
        ));
    }
    if let Some(axis) = &date_axis {
        for (date, text) in axis.ticks() {
            let x = axis.x(date);
            svg.push_str(&vline(
                "wm-chart__axis",
                x,
                LINE_PLOT_BOTTOM,
                LINE_PLOT_BOTTOM + 5.0,
            ));
            svg.push_str(&text_at(
                "wm-chart__tick",
                x,
                LINE_PLOT_BOTTOM + 20.0,
                "middle",
                &text,
            ));
        }
    } else {
        svg.push_str(&text_at(
            "wm-chart__empty",
            (plot_left + plot_right) / 2.0,
            (LINE_PLOT_TOP + LINE_PLOT_BOTTOM) / 2.0,
            "middle",
            "No data",
        ));
    }

    let end_label_ys = spread_labels(
        plotted
            .iter()
            .enumerate()
            .filter_map(|(index, (_, points))| {
                points.last().map(|&(_, value)| (index, y_of(value) + 4.0))
            })
            .collect(),
        14.0,
        LINE_PLOT_TOP + 4.0,
        LINE_PLOT_BOTTOM + 4.0,
    );

    for (index, ((label, points), end_label)) in plotted.iter().zip(&end_labels).enumerate() {
        svg.push_str(&format!("<g class=\"wm-series {}\">", series_class(index)));
        if let Some(axis) = &date_axis {
            let coordinates: Vec<(f64, f64)> = points
                .iter()
                .map(|&(date, value)| (axis.x(date), y_of(value)))
                .collect();
            if coordinates.len() > 1 {
                svg.push_str(&format!(
                    "<path class=\"wm-chart__line\" fill=\"none\" d=\"{}\"/>",
                    line_path(&coordinates, chart.step)
                ));
            }
            for (&(date, value), &(x, y)) in points.iter().zip(&coordinates) {
                svg.push_str(&format!(
                    "<circle class=\"wm-chart__point\" cx=\"{}\" cy=\"{}\" r=\"3.5\" \
                     data-date=\"{date}\" data-value=\"{value}\"><title>{}</title></circle>",
                    Num(x),
                    Num(y),
                    escape(&format!("{label}: {} on {date}", format(value)))
                ));
            }
            let end_label_y = end_label_ys
                .iter()
                .find(|&&(series, _)| series == index)
                .map(|&(_, y)| y);
            if let (Some(&(x, _)), Some(y)) = (coordinates.last(), end_label_y) {
                svg.push_str(&text_at("wm-chart__label", x + 8.0, y, "start", end_label));
            }
        }
        svg.push_str("</g>");
    }

    for (index, (label, &(x, row))) in legend_labels.iter().zip(&legend).enumerate() {
        let y = legend_top + row as f64 * LEGEND_ROW_HEIGHT;
        svg.push_str(&format!("<g class=\"wm-series {}\">", series_class(index)));
        svg.push_str(&format!(
            "<path class=\"wm-chart__line\" fill=\"none\" d=\"M{} {}H{}\"/>",
            Num(x),
            Num(y - 4.0),
            Num(x + LEGEND_SAMPLE_WIDTH)
        ));
        svg.push_str(&text_at(
            "wm-chart__legend",
            x + LEGEND_SAMPLE_WIDTH + 6.0,
            y,
            "start",
            label,
        ));
        svg.push_str("</g>");
    }

    svg.push_str("</svg>");
    svg
}

/// The SVG of a milestone timeline. Each row is a `<g class="wm-chart__row">` with
/// `data-baseline`, `data-forecast` and, when done, `data-done` attributes (`YYYY-MM-DD`).
pub fn timeline_chart(chart: &TimelineChart) -> String {
    let slug = id_slug(chart.id);
    let desc = if chart.desc.trim().is_empty() {
        describe_timeline(&chart.bars)
    } else {
        chart.desc.clone()
    };

    let dates = chart
        .bars
        .iter()
        .flat_map(|bar| [Some(bar.baseline), Some(bar.forecast), bar.done_on])
        .flatten()
        .chain([chart.today]);
    let (first, last) = date_span(dates).unwrap_or((chart.today, chart.today));
    let axis = DateAxis::new(first, last, TIMELINE_PLOT_LEFT, TIMELINE_PLOT_RIGHT);

    // An empty timeline keeps one row's height for its "No milestones" note.
    let rows = chart.bars.len().max(1);
    let rows_bottom = TIMELINE_TOP + rows as f64 * TIMELINE_ROW_HEIGHT;
    let legend_entries: [(&str, Marker); 4] = [
        ("Baseline", baseline_marker),
        ("Forecast", forecast_marker),
        ("Done", done_marker),
        ("Today", today_sample),
    ];
    let legend = legend_layout(
        legend_entries.iter().map(|(label, _)| text_width(label)),
        TIMELINE_LABEL_X,
    );
    let legend_top = rows_bottom + 50.0;
    let legend_rows = legend.last().map_or(1, |&(_, row)| row + 1);
    let height = legend_top + (legend_rows - 1) as f64 * LEGEND_ROW_HEIGHT + 12.0;

    let mut svg = open_svg("wm-chart--timeline", height, &slug, &chart.title, &desc);

    for (date, text) in axis.ticks() {
        let x = axis.x(date);
        svg.push_str(&vline("wm-chart__grid", x, TIMELINE_TOP, rows_bottom));
        svg.push_str(&vline("wm-chart__axis", x, rows_bottom, rows_bottom + 5.0));
        svg.push_str(&text_at(
            "wm-chart__tick",
            x,
            rows_bottom + 20.0,
            "middle",
            &text,
        ));
    }
    svg.push_str(&hline(
        "wm-chart__axis",
        TIMELINE_PLOT_LEFT,
        TIMELINE_PLOT_RIGHT,
        rows_bottom,
    ));
    for row in 1..rows {
        let y = TIMELINE_TOP + row as f64 * TIMELINE_ROW_HEIGHT;
        svg.push_str(&hline(
            "wm-chart__grid",
            TIMELINE_LABEL_X,
            TIMELINE_PLOT_RIGHT,
            y,
        ));
    }

    let today_x = axis.x(chart.today);
    svg.push_str(&vline(
        "wm-chart__today",
        today_x,
        TIMELINE_TOP - 6.0,
        rows_bottom,
    ));
    svg.push_str(&text_at(
        "wm-chart__today-label",
        today_x,
        TIMELINE_TOP - 12.0,
        "middle",
        "Today",
    ));

    if chart.bars.is_empty() {
        svg.push_str(&text_at(
            "wm-chart__empty",
            TIMELINE_LABEL_X,
            TIMELINE_TOP + TIMELINE_ROW_HEIGHT / 2.0 + 4.0,
            "start",
            "No milestones",
        ));
    }

    for (row, bar) in chart.bars.iter().enumerate() {
        let y = TIMELINE_TOP + (row as f64 + 0.5) * TIMELINE_ROW_HEIGHT;
        let baseline_x = axis.x(bar.baseline);
        let forecast_x = axis.x(bar.forecast);
        let done_attribute = bar
            .done_on
            .map(|done| format!(" data-done=\"{done}\""))
            .unwrap_or_default();
        svg.push_str(&format!(
            "<g class=\"wm-chart__row\" data-baseline=\"{}\" data-forecast=\"{}\"{done_attribute}>\
             <title>{}</title>",
            bar.baseline,
            bar.forecast,
            escape(&describe_bar(bar))
        ));
        svg.push_str(&text_at(
            "wm-chart__row-label",
            TIMELINE_LABEL_X,
            y + 4.0,
            "start",
            &truncate(&bar.label, ROW_LABEL_CHARS),
        ));
        if bar.baseline != bar.forecast {
            svg.push_str(&format!(
                "<line class=\"wm-chart__slip\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
                Num(baseline_x),
                Num(y),
                Num(forecast_x),
                Num(y)
            ));
        }
        svg.push_str(&forecast_marker(forecast_x, y));
        svg.push_str(&baseline_marker(baseline_x, y));
        if let Some(done) = bar.done_on {
            svg.push_str(&done_marker(axis.x(done), y));
        }
        svg.push_str("</g>");
    }

    for (&(label, sample), &(x, row)) in legend_entries.iter().zip(&legend) {
        let y = legend_top + row as f64 * LEGEND_ROW_HEIGHT;
        svg.push_str(&sample(x + LEGEND_SAMPLE_WIDTH / 2.0, y - 4.0));
        svg.push_str(&text_at(
            "wm-chart__legend",
            x + LEGEND_SAMPLE_WIDTH + 6.0,
            y,
            "start",
            label,
        ));
    }

    svg.push_str("</svg>");
    svg
}

/// The points each series is drawn with, by series label: sorted by date, and where the caller
/// gave a date twice, only its later value.
pub fn plotted_values(chart: &LineChart) -> Vec<(String, Vec<(NaiveDate, u64)>)> {
    chart
        .series
        .iter()
        .map(|series| (series.label.clone(), drawn_points(&series.points)))
        .collect()
}

/// The figures of a line chart as a table: every date of any series, sorted, one row each, and
/// in each row one cell per series (`rows[row][series]`). A cell holds the series' value at that
/// date; with `step` (as for [`LineChart::step`]) it holds the last value at or before the date
/// instead, and `None` only before the series' first point.
pub fn series_table_rows(series: &[Series], step: bool) -> (Vec<NaiveDate>, Vec<Vec<Option<u64>>>) {
    let drawn: Vec<Vec<(NaiveDate, u64)>> = series
        .iter()
        .map(|series| drawn_points(&series.points))
        .collect();
    let mut dates: Vec<NaiveDate> = drawn
        .iter()
        .flat_map(|points| points.iter().map(|&(date, _)| date))
        .collect();
    dates.sort_unstable();
    dates.dedup();
    let rows = dates
        .iter()
        .map(|&date| {
            drawn
                .iter()
                .map(|points| {
                    // Points are sorted by date, so those at or before `date` form a prefix.
                    let at_or_before =
                        points.partition_point(|&(point_date, _)| point_date <= date);
                    let latest = at_or_before
                        .checked_sub(1)
                        .and_then(|index| points.get(index));
                    match latest {
                        Some(&(point_date, value)) if step || point_date == date => Some(value),
                        _ => None,
                    }
                })
                .collect()
        })
        .collect();
    (dates, rows)
}

/// Y-axis ticks for values up to `max_value`: 0 and then equal steps of 1, 2 or 5 × 10ⁿ, four to
/// six ticks in all, the last at or above `max_value`. (Near `u64::MAX` the top tick would not fit
/// in a `u64` and is left out.)
pub fn nice_ticks(max_value: u64) -> Vec<u64> {
    ValueAxis::new(max_value).ticks()
}

/// Money in pence, compactly for axes and descriptions: `£0`, `£950`, `£1.5k`, `£12k`, `£1.2m`,
/// `£3bn`. Rounded to the nearest pound first; one decimal place below 10 of a unit.
pub fn compact_pounds(pence: u64) -> String {
    const UNITS: [(u128, &str); 4] = [
        (1, ""),
        (1_000, "k"),
        (1_000_000, "m"),
        (1_000_000_000, "bn"),
    ];
    let pounds = rounded_div(u128::from(pence), 100);
    let mut unit_index = UNITS
        .iter()
        .rposition(|&(size, _)| pounds >= size)
        .unwrap_or(0);
    loop {
        let (size, suffix) = UNITS[unit_index];
        let tenths = rounded_div(pounds * 10, size);
        // Rounding can carry into the next unit (£999,950 is £1m, not £1000k).
        if tenths >= 10_000 && unit_index + 1 < UNITS.len() {
            unit_index += 1;
            continue;
        }
        return if size > 1 && tenths < 100 && !tenths.is_multiple_of(10) {
            format!("£{}.{}{suffix}", tenths / 10, tenths % 10)
        } else {
            format!("£{}{suffix}", rounded_div(pounds, size))
        };
    }
}

/// A count with thousands separators: `0`, `950`, `12,345`.
pub fn plain_number(value: u64) -> String {
    proto::group_thousands(value)
}

/// `numerator / denominator` rounded half up; `denominator` is never 0 here.
fn rounded_div(numerator: u128, denominator: u128) -> u128 {
    (numerator + denominator / 2) / denominator.max(1)
}

/// Escapes text for XML content and attribute values, and drops characters XML 1.0 forbids
/// (most C0 controls), which would otherwise make the whole SVG unreadable to an XML parser.
/// `text` with XML's special characters escaped, for SVG and Atom.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => escaped.push(character),
        }
    }
    escaped
}

/// The caller's id reduced to characters that are safe in an id and in `aria-labelledby`'s
/// space-separated list.
fn id_slug(id: &str) -> String {
    let slug: String = id
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() || character == '-' || character == '_' {
                character
            } else {
                '-'
            }
        })
        .collect();
    if slug.is_empty() {
        "chart".to_string()
    } else {
        slug
    }
}

fn open_svg(modifier: &str, height: f64, slug: &str, title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"wm-chart {modifier}\" \
         viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"{slug}-title {slug}-desc\" \
         focusable=\"false\" font-size=\"{FONT_SIZE}\">\
         <title id=\"{slug}-title\">{}</title><desc id=\"{slug}-desc\">{}</desc>",
        Num(WIDTH),
        Num(height),
        escape(title),
        escape(desc)
    )
}

/// A number for the SVG: at most one decimal place, and never `NaN` or `inf` (a non-finite
/// value, which the layout never produces, is written as 0 so the SVG stays valid).
struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = if self.0.is_finite() {
            // `as` saturates, so even a huge value gives a finite integer.
            (self.0 * 10.0).round() as i64
        } else {
            0
        };
        let sign = if tenths < 0 { "-" } else { "" };
        let magnitude = tenths.unsigned_abs();
        if magnitude.is_multiple_of(10) {
            write!(formatter, "{sign}{}", magnitude / 10)
        } else {
            write!(formatter, "{sign}{}.{}", magnitude / 10, magnitude % 10)
        }
    }
}

fn text_at(class: &str, x: f64, y: f64, anchor: &str, text: &str) -> String {
    format!(
        "<text class=\"{class}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
        Num(x),
        Num(y),
        escape(text)
    )
}

fn hline(class: &str, x1: f64, x2: f64, y: f64) -> String {
    format!(
        "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        Num(x1),
        Num(y),
        Num(x2),
        Num(y)
    )
}

fn vline(class: &str, x: f64, y1: f64, y2: f64) -> String {
    format!(
        "<line class=\"{class}\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        Num(x),
        Num(y1),
        Num(x),
        Num(y2)
    )
}

/// Draws a marker centred on (x, y).
type Marker = fn(f64, f64) -> String;

/// A ring wide enough to show a forecast diamond inside it when the two dates agree.
fn baseline_marker(x: f64, y: f64) -> String {
    format!(
        "<circle class=\"wm-chart__baseline\" cx=\"{}\" cy=\"{}\" r=\"7.5\"/>",
        Num(x),
        Num(y)
    )
}

/// A filled diamond that fits inside the baseline ring.
fn forecast_marker(x: f64, y: f64) -> String {
    format!(
        "<path class=\"wm-chart__forecast\" d=\"M{} {}L{} {}L{} {}L{} {}Z\"/>",
        Num(x),
        Num(y - 6.0),
        Num(x + 6.0),
        Num(y),
        Num(x),
        Num(y + 6.0),
        Num(x - 6.0),
        Num(y)
    )
}

/// A filled disc with a tick cut out of it. Drawn last, it covers the forecast diamond when the
/// milestone was done on its forecast date, where the diamond would say nothing more.
fn done_marker(x: f64, y: f64) -> String {
    format!(
        "<circle class=\"wm-chart__done\" cx=\"{}\" cy=\"{}\" r=\"7\"/>\
         <path class=\"wm-chart__done-tick\" d=\"M{} {}L{} {}L{} {}\"/>",
        Num(x),
        Num(y),
        Num(x - 3.5),
        Num(y + 0.5),
        Num(x - 1.0),
        Num(y + 3.0),
        Num(x + 3.5),
        Num(y - 2.5)
    )
}

/// A short stretch of the today line, for the legend.
fn today_sample(x: f64, y: f64) -> String {
    vline("wm-chart__today", x, y - 8.0, y + 8.0)
}

fn series_class(index: usize) -> String {
    format!("wm-series-{}", index % SERIES_CLASSES + 1)
}

/// SVG path data through the points, or with `step` a horizontal run to each next date and then
/// a vertical jump to its value.
fn line_path(coordinates: &[(f64, f64)], step: bool) -> String {
    let mut path = String::new();
    for (index, &(x, y)) in coordinates.iter().enumerate() {
        if index == 0 {
            path.push_str(&format!("M{} {}", Num(x), Num(y)));
        } else if step {
            path.push_str(&format!("H{}V{}", Num(x), Num(y)));
        } else {
            path.push_str(&format!("L{} {}", Num(x), Num(y)));
        }
    }
    path
}

fn drawn_points(points: &[(NaiveDate, u64)]) -> Vec<(NaiveDate, u64)> {
    let mut sorted = points.to_vec();
    // A stable sort keeps the caller's order among equal dates, so the later entry stays last.
    sorted.sort_by_key(|&(date, _)| date);
    let mut drawn: Vec<(NaiveDate, u64)> = Vec::with_capacity(sorted.len());
    for (date, value) in sorted {
        match drawn.last_mut() {
            Some(last) if last.0 == date => last.1 = value,
            _ => drawn.push((date, value)),
        }
    }
    drawn
}

fn date_span(dates: impl Iterator<Item = NaiveDate>) -> Option<(NaiveDate, NaiveDate)> {
    dates.fold(None, |span, date| match span {
        None => Some((date, date)),
        Some((first, last)) => Some((first.min(date), last.max(date))),
    })
}

fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_WIDTH
}

/// `text` cut to at most `max_chars` characters, ending in an ellipsis when cut.
fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// Where each legend entry starts: (x, row), filling rows left to right from `left`.
fn legend_layout(label_widths: impl Iterator<Item = f64>, left: f64) -> Vec<(f64, usize)> {
    let right = WIDTH - 8.0;
    let mut placed = Vec::new();
    let mut x = left;
    let mut row = 0;
    for label_width in label_widths {
        let entry_width = LEGEND_SAMPLE_WIDTH + 6.0 + label_width;
        if x > left && x + entry_width > right {
            row += 1;
            x = left;
        }
        placed.push((x, row));
        x += entry_width + 24.0;
    }
    placed
}

/// Moves label baselines (series index, y) apart so no two are closer than `gap`, keeping them
/// within `top..=bottom` where there is room.
fn spread_labels(
    mut labels: Vec<(usize, f64)>,
    gap: f64,
    top: f64,
    bottom: f64,
) -> Vec<(usize, f64)> {
    labels.sort_by(|a, b| a.1.total_cmp(&b.1));
    for index in 1..labels.len() {
        let lowest_allowed = labels[index - 1].1 + gap;
        if labels[index].1 < lowest_allowed {
            labels[index].1 = lowest_allowed;
        }
    }
    if let Some(last) = labels.last_mut()
        && last.1 > bottom
    {
        last.1 = bottom;
        for index in (0..labels.len().saturating_sub(1)).rev() {
            let highest_allowed = labels[index + 1].1 - gap;
            if labels[index].1 > highest_allowed {
                labels[index].1 = highest_allowed;
            }
        }
    }
    for label in &mut labels {
        label.1 = label.1.max(top);
    }
    labels
}

/// The y axis: ticks from 0 in steps of 1, 2 or 5 × 10ⁿ. Works in u128 so the top tick may
/// exceed `u64::MAX` without overflow.
struct ValueAxis {
    step: u128,
    intervals: u128,
    /// Value at the top of the plot; never 0, so scaling by it is safe.
    top: f64,
}

impl ValueAxis {
    const MIN_INTERVALS: u128 = 3;
    const MAX_INTERVALS: u128 = 5;

    fn new(max_value: u64) -> Self {
        let max_value = u128::from(max_value);
        // 5 × 10²⁰ steps cover u64::MAX in one interval, so the search always ends in range.
        let (step, intervals) = (0..=20u32)
            .flat_map(|power| [1, 2, 5].map(|multiple| multiple * 10u128.pow(power)))
            .map(|step| (step, max_value.div_ceil(step).max(Self::MIN_INTERVALS)))
            .find(|&(_, intervals)| intervals <= Self::MAX_INTERVALS)
            .unwrap_or((10u128.pow(20), Self::MIN_INTERVALS));
        Self {
            step,
            intervals,
            top: (step * intervals) as f64,
        }
    }

    fn ticks(&self) -> Vec<u64> {
        (0..=self.intervals)
            .filter_map(|index| u64::try_from(index * self.step).ok())
            .collect()
    }
}

/// The x axis: dates mapped linearly onto `left..=right`.
struct DateAxis {
    first: NaiveDate,
    last: NaiveDate,
    span_days: i64,
    left: f64,
    right: f64,
}

impl DateAxis {
    fn new(first: NaiveDate, last: NaiveDate, left: f64, right: f64) -> Self {
        Self {
            first,
            last,
            span_days: (last - first).num_days(),
            left,
            right,
        }
    }

    fn x(&self, date: NaiveDate) -> f64 {
        if self.span_days <= 0 {
            // One date only: it sits in the middle.
            return (self.left + self.right) / 2.0;
        }
        let offset = (date - self.first).num_days() as f64;
        self.left + offset / self.span_days as f64 * (self.right - self.left)
    }

    /// A handful of labelled dates within the span: month starts ("Jun 2026") for long spans,
    /// days ("3 Aug") for short ones, and the one date in full for a span of one day.
    fn ticks(&self) -> Vec<(NaiveDate, String)> {
        if self.span_days <= 0 {
            let date = self.first;
            return vec![(date, format!("{} {}", day_month(date), date.year()))];
        }
        if self.span_days < DAY_TICKS_BELOW_DAYS {
            let step = [1, 2, 3, 7, 14]
                .into_iter()
                .find(|step| self.span_days / step < MAX_DATE_TICKS)
                .unwrap_or(14);
            return (0..=self.span_days / step)
                .filter_map(|index| {
                    let days = u64::try_from(index * step).ok()?;
                    self.first.checked_add_days(Days::new(days))
                })
                .map(|date| (date, day_month(date)))
                .collect();
        }
        let first_month = month_index(self.first) + i64::from(self.first.day() != 1);
        let last_month = month_index(self.last);
        // Steps under a year start at the first month shown; longer ones fall on Januaries of
        // round years.
        let first_tick = |step: i64| {
            if step < 12 {
                first_month
            } else {
                (first_month + step - 1).div_euclid(step) * step
            }
        };
        let count = |step: i64| (last_month - first_tick(step)).div_euclid(step) + 1;
        let step = [1, 2, 3, 6]
            .into_iter()
            .chain((0..16u32).flat_map(|power| [12, 24, 60].map(|years| years * 10i64.pow(power))))
            .find(|&step| count(step) <= MAX_DATE_TICKS)
            .unwrap_or(12);
        let first_tick = first_tick(step);
        (0..count(step).max(0))
            .filter_map(|index| month_start(first_tick + index * step))
            .map(|date| (date, format!("{} {}", month_name(date), date.year())))
            .collect()
    }
}

/// Months since year 0, so that month starts can be stepped through with whole numbers.
fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

fn month_start(index: i64) -> Option<NaiveDate> {
    let year = i32::try_from(index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    NaiveDate::from_ymd_opt(year, month, 1)
}

fn month_name(date: NaiveDate) -> &'static str {
    // month0() is always 0..12.
    MONTHS[date.month0() as usize % MONTHS.len()]
}

fn day_month(date: NaiveDate) -> String {
    format!("{} {}", date.day(), month_name(date))
}

/// One clause per series, for example "Done rose from 0 to 4 between 2026-06-01 and 2026-08-03".
/// Dates are given for the first series and for any whose span differs from it.
fn describe_lines(
    plotted: &[(String, Vec<(NaiveDate, u64)>)],
    format: fn(u64) -> String,
) -> String {
    if plotted.is_empty() {
        return "No data to show.".to_string();
    }
    let mut described_span: Option<(NaiveDate, NaiveDate)> = None;
    let clauses: Vec<String> = plotted
        .iter()
        .map(|(label, points)| {
            let (Some(&(first_date, first_value)), Some(&(last_date, last_value))) =
                (points.first(), points.last())
            else {
                return format!("{label} has no data");
            };
            if points.len() == 1 {
                return format!("{label} was {} on {first_date}", format(first_value));
            }
            let movement = match last_value.cmp(&first_value) {
                Ordering::Greater => {
                    format!(
                        "rose from {} to {}",
                        format(first_value),
                        format(last_value)
                    )
                }
                Ordering::Less => {
                    format!(
                        "fell from {} to {}",
                        format(first_value),
                        format(last_value)
                    )
                }
                Ordering::Equal => format!("started and ended at {}", format(first_value)),
            };
            let span = (first_date, last_date);
            let dates = if described_span.is_none_or(|described| described != span) {
                described_span.get_or_insert(span);
                format!(" between {first_date} and {last_date}")
            } else {
                String::new()
            };
            // The first highest point, mentioned only when it is above both ends.
            let peak = points.iter().fold(
                None,
                |peak: Option<(NaiveDate, u64)>, &(date, value)| match peak {
                    Some((_, highest)) if highest >= value => peak,
                    _ => Some((date, value)),
                },
            );
            let peak = match peak {
                Some((date, value)) if value > first_value.max(last_value) => {
                    format!(", peaking at {} on {date}", format(value))
                }
                _ => String::new(),
            };
            format!("{label} {movement}{dates}{peak}")
        })
        .collect();
    format!("{}.", clauses.join("; "))
}

fn describe_timeline(bars: &[Bar]) -> String {
    if bars.is_empty() {
        return "No milestones to show.".to_string();
    }
    let total = bars.len();
    let noun = if total == 1 {
        "milestone"
    } else {
        "milestones"
    };
    let slipped: Vec<(&Bar, i64)> = bars
        .iter()
        .filter_map(|bar| {
            let days = (bar.forecast - bar.baseline).num_days();
            (days > 0).then_some((bar, days))
        })
        .collect();
    let total_slip = slipped
        .iter()
        .fold(0i64, |sum, &(_, days)| sum.saturating_add(days));
    // The first of those that slipped most, so ties go to the earlier row.
    let most = slipped
        .iter()
        .fold(None, |most: Option<(&Bar, i64)>, &(bar, days)| match most {
            Some((_, most_days)) if most_days >= days => most,
            _ => Some((bar, days)),
        });
    let mut summary = match (slipped.len(), most) {
        (1, Some((bar, days))) => format!(
            "1 of {total} {noun} has slipped past its baseline date: {}, by {}.",
            bar.label,
            days_text(days)
        ),
        (count, Some((bar, days))) => format!(
            "{count} of {total} {noun} have slipped past their baseline dates, by {} in total; \
             {} slipped most, by {}.",
            days_text(total_slip),
            bar.label,
            days_text(days)
        ),
        _ => format!("{total} {noun}; none has slipped past its baseline date."),
    };
    let done = bars.iter().filter(|bar| bar.done_on.is_some()).count();
    if done > 0 {
        let verb = if done == 1 { "is" } else { "are" };
        summary.push_str(&format!(" {done} of {total} {verb} done."));
    }
    summary
}

/// The full text for a timeline row's `<title>`.
fn describe_bar(bar: &Bar) -> String {
    let slip_days = (bar.forecast - bar.baseline).num_days();
    let slip = match slip_days.cmp(&0) {
        Ordering::Greater => format!(" ({} late)", days_text(slip_days)),
        Ordering::Less => format!(" ({} early)", days_text(-slip_days)),
        Ordering::Equal => " (on baseline)".to_string(),
    };
    let done = bar
        .done_on
        .map(|done| format!(", done {done}"))
        .unwrap_or_default();
    format!(
        "{}: baseline {}, forecast {}{slip}{done}",
        bar.label, bar.baseline, bar.forecast
    )
}

fn days_text(days: i64) -> String {
    if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn series(label: &str, points: &[(&str, u64)]) -> Series {
        Series {
            label: label.to_string(),
            points: points
                .iter()
                .map(|&(day, value)| (date(day), value))
                .collect(),
        }
    }

    fn line(id: &str, series: Vec<Series>, step: bool) -> LineChart<'_> {
        LineChart {
            id,
            title: "Milestones over time".to_string(),
            desc: String::new(),
            series,
            format: plain_number,
            step,
        }
    }

    fn scope_and_done() -> Vec<Series> {
        vec![
            series(
                "Planned scope",
                &[("2026-06-01", 3), ("2026-09-01", 8), ("2026-12-01", 11)],
            ),
            series(
                "Done",
                &[("2026-06-01", 0), ("2026-08-03", 2), ("2026-12-01", 4)],
            ),
        ]
    }

    fn bar(label: &str, baseline: &str, forecast: &str, done_on: Option<&str>) -> Bar {
        Bar {
            label: label.to_string(),
            baseline: date(baseline),
            forecast: date(forecast),
            done_on: done_on.map(date),
        }
    }

    fn timeline<'a>(id: &'a str, bars: Vec<Bar>, today: &str) -> TimelineChart<'a> {
        TimelineChart {
            id,
            title: "Milestones".to_string(),
            desc: String::new(),
            today: date(today),
            bars,
        }
    }

    /// A crude XML check: every tag closes in order, every `&` starts an entity, no `NaN` or
    /// `inf`, and numeric attributes have at most one decimal place.
    fn assert_well_formed(svg: &str) {
        assert_eq!(svg.matches("<svg").count(), 1, "{svg}");
        assert_eq!(svg.matches("</svg>").count(), 1, "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let end = after.find('>').expect("a tag that never ends");
            let tag = &after[..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "misnested in {svg}");
            } else if !tag.ends_with('/') {
                open.push(tag.split_whitespace().next().unwrap_or(""));
            }
            for attribute in tag.split(" ").filter_map(|part| part.split_once("=\"")) {
                let value = attribute.1.trim_end_matches(['"', '/']);
                if !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                    && let Some((_, decimals)) = value.split_once('.')
                {
                    assert!(decimals.len() <= 1, "{value} in {svg}");
                }
            }
            rest = &after[end + 1..];
        }
        assert!(open.is_empty(), "unclosed {open:?} in {svg}");
        for (index, _) in svg.match_indices('&') {
            let entity = &svg[index..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                    .iter()
                    .any(|known| entity.starts_with(known)),
                "bare & in {svg}"
            );
        }
    }

    fn attribute_values<'s>(svg: &'s str, name: &str) -> Vec<&'s str> {
        let marker = format!(" {name}=\"");
        svg.match_indices(&marker)
            .filter_map(|(index, _)| {
                let value = &svg[index + marker.len()..];
                value.split('"').next()
            })
            .collect()
    }

    fn ids(svg: &str) -> Vec<&str> {
        attribute_values(svg, "id")
    }

    #[test]
    fn every_chart_is_an_image_labelled_by_its_own_title_and_desc() {
        let first = line_chart(&line("scope", scope_and_done(), true));
        let second = line_chart(&line("spend", scope_and_done(), false));
        let third = timeline_chart(&timeline(
            "dates",
            vec![bar("Design", "2026-06-01", "2026-06-20", None)],
            "2026-06-10",
        ));
        for (svg, slug) in [(&first, "scope"), (&second, "spend"), (&third, "dates")] {
            assert!(svg.contains("role=\"img\""));
            assert!(svg.contains("focusable=\"false\""));
            assert!(svg.contains("viewBox=\"0 0 720 "));
            assert!(svg.contains("class=\"wm-chart "));
            assert!(!svg.contains(" width=") && !svg.contains(" height="));
            assert!(svg.contains(&format!("aria-labelledby=\"{slug}-title {slug}-desc\"")));
            assert!(svg.contains(&format!("<title id=\"{slug}-title\">")));
            assert!(svg.contains(&format!("<desc id=\"{slug}-desc\">")));
            assert_eq!(ids(svg), [format!("{slug}-title"), format!("{slug}-desc")]);
        }
        let mut all_ids = [ids(&first), ids(&second), ids(&third)].concat();
        let count = all_ids.len();
        all_ids.sort_unstable();
        all_ids.dedup();
        assert_eq!(all_ids.len(), count);
    }

    #[test]
    fn ids_are_reduced_to_safe_characters() {
        let svg = line_chart(&line("a b\"<c>", Vec::new(), false));
        assert!(svg.contains("aria-labelledby=\"a-b--c--title a-b--c--desc\""));
        let svg = line_chart(&line("", Vec::new(), false));
        assert!(svg.contains("<title id=\"chart-title\">"));
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&apos;");
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "abc\td");
        assert_eq!(escape("Café £5"), "Café £5");
    }

    #[test]
    fn caller_text_is_escaped_everywhere() {
        let hostile = "<script>&\"'";
        let mut chart = line(
            "x",
            vec![series(hostile, &[("2026-06-01", 1), ("2026-07-01", 2)])],
            false,
        );
        chart.title = hostile.to_string();
        let svg = line_chart(&chart);
        assert!(!svg.contains("<script"));
        assert!(svg.contains("<title id=\"x-title\">&lt;script&gt;&amp;&quot;&apos;</title>"));
        assert_well_formed(&svg);

        let mut chart = timeline(
            "t",
            vec![bar(hostile, "2026-06-01", "2026-06-05", None)],
            "2026-06-02",
        );
        chart.title = hostile.to_string();
        let svg = timeline_chart(&chart);
        assert!(!svg.contains("<script"));
        assert_well_formed(&svg);
    }

    #[test]
    fn nice_ticks_step_by_one_two_or_five() {
        assert_eq!(nice_ticks(0), [0, 1, 2, 3]);
        assert_eq!(nice_ticks(1), [0, 1, 2, 3]);
        assert_eq!(nice_ticks(3), [0, 1, 2, 3]);
        assert_eq!(nice_ticks(4), [0, 1, 2, 3, 4]);
        assert_eq!(nice_ticks(7), [0, 2, 4, 6, 8]);
        assert_eq!(nice_ticks(11), [0, 5, 10, 15]);
        assert_eq!(nice_ticks(100), [0, 20, 40, 60, 80, 100]);
        assert_eq!(nice_ticks(1_234), [0, 500, 1_000, 1_500]);
        assert_eq!(
            nice_ticks(120_000_000),
            [0, 50_000_000, 100_000_000, 150_000_000]
        );

        let mut value = 1u64;
        while value < u64::MAX / 21 {
            for max in [value - 1, value, value + 1, value * 3 - 1] {
                let ticks = nice_ticks(max);
                assert!((4..=6).contains(&ticks.len()), "{max}: {ticks:?}");
                assert_eq!(ticks[0], 0);
                assert!(*ticks.last().unwrap() >= max, "{max}: {ticks:?}");
                let step = ticks[1];
                let mantissa = step / 10u64.pow(step.ilog10());
                assert!([1, 2, 5].contains(&mantissa), "{max}: {ticks:?}");
                assert!(ticks.windows(2).all(|pair| pair[1] - pair[0] == step));
            }
            value *= 7;
        }
        let ticks = nice_ticks(u64::MAX);
        assert_eq!(ticks[0], 0);
        assert!(ticks.len() >= 3);
    }

    #[test]
    fn y_ticks_use_the_callers_format() {
        let mut chart = line(
            "spend",
            vec![series(
                "Spend",
                &[("2026-04-01", 0), ("2027-03-31", 120_000_000)],
            )],
            false,
        );
        chart.format = compact_pounds;
        let svg = line_chart(&chart);
        for label in ["£0", "£500k", "£1m", "£1.5m"] {
            assert!(
                svg.contains(&format!(">{label}</text>")),
                "{label} in {svg}"
            );
        }
        assert!(svg.contains("<title>Spend: £1.2m on 2027-03-31</title>"));
        assert!(svg.contains("Spend rose from £0 to £1.2m between 2026-04-01 and 2027-03-31."));
    }

    #[test]
    fn date_ticks_are_months_for_long_spans_and_days_for_short_ones() {
        let long = DateAxis::new(date("2026-06-01"), date("2026-12-01"), 0.0, 100.0);
        let labels: Vec<String> = long.ticks().into_iter().map(|(_, label)| label).collect();
        assert_eq!(labels, ["Jun 2026", "Aug 2026", "Oct 2026", "Dec 2026"]);

        let short = DateAxis::new(date("2026-08-03"), date("2026-08-31"), 0.0, 100.0);
        let ticks = short.ticks();
        assert_eq!(ticks[0].1, "3 Aug");
        assert!((2..=6).contains(&ticks.len()));

        let years = DateAxis::new(date("2020-03-15"), date("2031-02-01"), 0.0, 100.0);
        let labels: Vec<String> = years.ticks().into_iter().map(|(_, label)| label).collect();
        assert_eq!(
            labels,
            ["Jan 2022", "Jan 2024", "Jan 2026", "Jan 2028", "Jan 2030"]
        );

        let one_day = DateAxis::new(date("2026-08-03"), date("2026-08-03"), 0.0, 100.0);
        assert_eq!(
            one_day.ticks(),
            [(date("2026-08-03"), "3 Aug 2026".to_string())]
        );
        assert_eq!(one_day.x(date("2026-08-03")), 50.0);

        for (first, last) in [
            ("2026-01-01", "2026-03-01"),
            ("2026-01-31", "2026-04-01"),
            ("2025-12-31", "2026-02-28"),
            ("1990-01-01", "2100-01-01"),
        ] {
            let axis = DateAxis::new(date(first), date(last), 0.0, 100.0);
            let ticks = axis.ticks();
            assert!((1..=6).contains(&ticks.len()), "{first}..{last}: {ticks:?}");
            assert!(
                ticks
                    .iter()
                    .all(|&(tick, _)| tick >= date(first) && tick <= date(last))
            );
        }
        let widest = DateAxis::new(NaiveDate::MIN, NaiveDate::MAX, 0.0, 100.0);
        assert!(widest.ticks().len() <= 6);
    }

    #[test]
    fn degenerate_line_charts_are_valid_svg() {
        let cases: Vec<(&str, Vec<Series>)> = vec![
            ("no series", Vec::new()),
            ("empty series", vec![series("Done", &[])]),
            ("single point", vec![series("Done", &[("2026-08-03", 4)])]),
            (
                "all zero",
                vec![series("Done", &[("2026-06-01", 0), ("2026-09-01", 0)])],
            ),
            (
                "one date only",
                vec![
                    series("Scope", &[("2026-06-01", 3), ("2026-06-01", 5)]),
                    series("Done", &[("2026-06-01", 0)]),
                ],
            ),
            (
                "all dates equal",
                vec![
                    series("Scope", &[("2026-06-01", 3)]),
                    series("Done", &[("2026-06-01", 3)]),
                    series("Other", &[]),
                ],
            ),
            (
                "extremes",
                vec![series(
                    "Huge",
                    &[("0001-01-01", u64::MAX), ("9999-12-31", 0)],
                )],
            ),
        ];
        for (name, series) in cases {
            for step in [false, true] {
                let chart = line("case", series.clone(), step);
                let svg = line_chart(&chart);
                assert_well_formed(&svg);
                let drawn: usize = plotted_values(&chart).iter().map(|(_, p)| p.len()).sum();
                assert_eq!(svg.matches("<circle").count(), drawn, "{name}");
            }
        }
        let empty = line_chart(&line("case", Vec::new(), false));
        assert!(empty.contains(">No data</text>"));
        assert!(empty.contains("<desc id=\"case-desc\">No data to show.</desc>"));
    }

    #[test]
    fn degenerate_timelines_are_valid_svg() {
        let cases = vec![
            Vec::new(),
            vec![bar(
                "Same day",
                "2026-06-01",
                "2026-06-01",
                Some("2026-06-01"),
            )],
            vec![bar("Early", "2026-06-10", "2026-06-01", None)],
            vec![bar("Far", "0001-01-01", "9999-12-31", None)],
        ];
        for bars in cases {
            let svg = timeline_chart(&timeline("tl", bars, "2026-06-01"));
            assert_well_formed(&svg);
        }
        let empty = timeline_chart(&timeline("tl", Vec::new(), "2026-06-01"));
        assert!(empty.contains(">No milestones</text>"));
        assert!(empty.contains(">Today</text>"));
        assert!(empty.contains("No milestones to show."));
    }

    #[test]
    fn circles_carry_exactly_the_plotted_values() {
        let mut input = scope_and_done();
        // Out of order, and 2026-12-01 given twice: the later value, 5, is the one drawn.
        input[1].points.push((date("2026-07-01"), 1));
        input[1].points.push((date("2026-12-01"), 5));
        input[1].points.swap(0, 2);
        let chart = line("figures", input, true);
        let svg = line_chart(&chart);

        let dates = attribute_values(&svg, "data-date");
        let values = attribute_values(&svg, "data-value");
        let from_svg: Vec<(String, String)> = dates
            .iter()
            .zip(&values)
            .map(|(d, v)| (d.to_string(), v.to_string()))
            .collect();
        let plotted = plotted_values(&chart);
        let expected: Vec<(String, String)> = plotted
            .iter()
            .flat_map(|(_, points)| points.iter().map(|(d, v)| (d.to_string(), v.to_string())))
            .collect();
        assert_eq!(from_svg, expected);
        assert_eq!(
            plotted[1].1,
            [
                (date("2026-06-01"), 0),
                (date("2026-07-01"), 1),
                (date("2026-08-03"), 2),
                (date("2026-12-01"), 5),
            ]
        );
        assert!(svg.contains("<title>Done: 2 on 2026-08-03</title>"));

        // The table beside the chart holds the same figure at every plotted point.
        let (table_dates, rows) = series_table_rows(&chart.series, chart.step);
        for (series_index, (_, points)) in plotted.iter().enumerate() {
            for (point_date, value) in points {
                let row = table_dates.iter().position(|d| d == point_date).unwrap();
                assert_eq!(rows[row][series_index], Some(*value));
            }
        }
    }

    #[test]
    fn points_lie_inside_the_plot() {
        let svg = line_chart(&line("inside", scope_and_done(), false));
        for x in attribute_values(&svg, "cx") {
            let x: f64 = x.parse().unwrap();
            assert!((0.0..=WIDTH).contains(&x));
        }
        for y in attribute_values(&svg, "cy") {
            let y: f64 = y.parse().unwrap();
            assert!((LINE_PLOT_TOP..=LINE_PLOT_BOTTOM).contains(&y));
        }
    }

    #[test]
    fn series_are_told_apart_by_class_end_label_and_legend() {
        let input: Vec<Series> = (1..=5)
            .map(|n| {
                series(
                    &format!("Series {n}"),
                    &[("2026-06-01", n), ("2026-07-01", n * 2)],
                )
            })
            .collect();
        let svg = line_chart(&line("five", input, false));
        for class in 1..=4 {
            assert!(svg.contains(&format!("class=\"wm-series wm-series-{class}\"")));
        }
        // The fifth series reuses the first look: two groups (line and legend) each.
        assert_eq!(svg.matches("class=\"wm-series wm-series-1\"").count(), 4);
        for n in 1..=5 {
            let label = format!(">Series {n}</text>");
            assert_eq!(svg.matches(&label).count(), 2, "{label}");
        }
        assert!(!svg.contains("stroke=\"#") && !svg.contains("fill=\"#"));
    }

    #[test]
    fn end_labels_do_not_overlap() {
        let labels = spread_labels(vec![(0, 100.0), (1, 101.0), (2, 99.0)], 14.0, 20.0, 280.0);
        let mut ys: Vec<f64> = labels.iter().map(|&(_, y)| y).collect();
        ys.sort_by(f64::total_cmp);
        assert!(ys.windows(2).all(|pair| pair[1] - pair[0] >= 14.0));
        let labels = spread_labels(vec![(0, 280.0), (1, 280.0)], 14.0, 20.0, 280.0);
        assert!(labels.iter().all(|&(_, y)| (20.0..=280.0).contains(&y)));
        assert!((labels[0].1 - labels[1].1).abs() >= 14.0);
    }

    #[test]
    fn line_desc_states_the_figures() {
        let svg = line_chart(&line("scope", scope_and_done(), true));
        assert!(svg.contains(
            "<desc id=\"scope-desc\">Planned scope rose from 3 to 11 between 2026-06-01 and \
             2026-12-01; Done rose from 0 to 4.</desc>"
        ));

        let plotted = vec![
            (
                "Spend".to_string(),
                vec![
                    (date("2026-01-01"), 5),
                    (date("2026-02-01"), 9),
                    (date("2026-03-01"), 2),
                ],
            ),
            (
                "Flat".to_string(),
                vec![(date("2026-01-01"), 7), (date("2026-02-15"), 7)],
            ),
            ("Once".to_string(), vec![(date("2026-01-01"), 1_500)]),
            ("Nothing".to_string(), Vec::new()),
        ];
        assert_eq!(
            describe_lines(&plotted, plain_number),
            "Spend fell from 5 to 2 between 2026-01-01 and 2026-03-01, peaking at 9 on 2026-02-01; \
             Flat started and ended at 7 between 2026-01-01 and 2026-02-15; \
             Once was 1,500 on 2026-01-01; Nothing has no data."
        );

        let mut chart = line("own", scope_and_done(), false);
        chart.desc = "Written by hand.".to_string();
        assert!(line_chart(&chart).contains("<desc id=\"own-desc\">Written by hand.</desc>"));
    }

    #[test]
    fn timeline_draws_a_row_per_milestone() {
        let long_name = "Full business case approved by the investment committee";
        let bars = vec![
            bar("Design", "2026-06-01", "2026-07-01", Some("2026-07-03")),
            bar(long_name, "2026-08-01", "2026-08-11", None),
            bar("Build", "2026-09-01", "2026-09-01", None),
        ];
        let svg = timeline_chart(&timeline("ms", bars, "2026-07-15"));
        assert_well_formed(&svg);
        assert_eq!(svg.matches("<g class=\"wm-chart__row\"").count(), 3);
        // One of each per row, plus one in the legend.
        assert_eq!(svg.matches("class=\"wm-chart__baseline\"").count(), 4);
        assert_eq!(svg.matches("class=\"wm-chart__forecast\"").count(), 4);
        assert_eq!(svg.matches("class=\"wm-chart__done\"").count(), 2);
        assert_eq!(svg.matches("class=\"wm-chart__slip\"").count(), 2);
        assert_eq!(svg.matches("class=\"wm-chart__today\"").count(), 2);
        assert!(svg.contains(">Today</text>"));
        assert!(svg.contains(
            "data-baseline=\"2026-06-01\" data-forecast=\"2026-07-01\" data-done=\"2026-07-03\""
        ));
        assert!(svg.contains(
            "<title>Design: baseline 2026-06-01, forecast 2026-07-01 (30 days late), done 2026-07-03</title>"
        ));
        assert!(svg.contains(&format!("<title>{long_name}: baseline 2026-08-01")));
        assert!(svg.contains(">Full business case approv…</text>"));
        assert!(svg.contains(
            "<title>Build: baseline 2026-09-01, forecast 2026-09-01 (on baseline)</title>"
        ));
    }

    #[test]
    fn timeline_desc_summarises_slippage() {
        let bars = vec![
            bar("Design", "2026-06-01", "2026-07-01", Some("2026-07-03")),
            bar("Business case", "2026-08-01", "2026-08-11", None),
            bar("Build", "2026-09-01", "2026-08-20", None),
            bar("Go live", "2026-10-01", "2026-10-31", None),
        ];
        assert_eq!(
            describe_timeline(&bars),
            "3 of 4 milestones have slipped past their baseline dates, by 70 days in total; \
             Design slipped most, by 30 days. 1 of 4 is done."
        );
        assert_eq!(
            describe_timeline(&bars[1..3]),
            "1 of 2 milestones has slipped past its baseline date: Business case, by 10 days."
        );
        assert_eq!(
            describe_timeline(&bars[2..3]),
            "1 milestone; none has slipped past its baseline date."
        );
        let svg = timeline_chart(&timeline("ms", bars, "2026-07-15"));
        assert!(svg.contains("<desc id=\"ms-desc\">3 of 4 milestones have slipped"));
    }

    #[test]
    fn compact_pounds_cases() {
        for (pence, shown) in [
            (0, "£0"),
            (49, "£0"),
            (95_000, "£950"),
            (99_949, "£999"),
            (99_950, "£1k"),
            (100_000, "£1k"),
            (150_000, "£1.5k"),
            (1_200_000, "£12k"),
            (1_234_500, "£12k"),
            (99_999_900, "£1m"),
            (120_000_000, "£1.2m"),
            (1_250_000_000, "£13m"),
            (300_000_000_000, "£3bn"),
            (u64::MAX, "£184467441bn"),
        ] {
            assert_eq!(compact_pounds(pence), shown, "{pence} pence");
        }
    }

    #[test]
    fn plain_number_groups_thousands() {
        assert_eq!(plain_number(0), "0");
        assert_eq!(plain_number(950), "950");
        assert_eq!(plain_number(1_000), "1,000");
        assert_eq!(plain_number(12_345_678), "12,345,678");
    }

    #[test]
    fn table_rows_carry_step_values_forward() {
        let input = vec![
            series("Scope", &[("2026-06-01", 3), ("2026-08-01", 5)]),
            series("Done", &[("2026-07-01", 1), ("2026-09-01", 2)]),
        ];
        let (dates, rows) = series_table_rows(&input, true);
        assert_eq!(
            dates,
            [
                date("2026-06-01"),
                date("2026-07-01"),
                date("2026-08-01"),
                date("2026-09-01")
            ]
        );
        assert_eq!(
            rows,
            [
                vec![Some(3), None],
                vec![Some(3), Some(1)],
                vec![Some(5), Some(1)],
                vec![Some(5), Some(2)],
            ]
        );
        let (_, rows) = series_table_rows(&input, false);
        assert_eq!(
            rows,
            [
                vec![Some(3), None],
                vec![None, Some(1)],
                vec![Some(5), None],
                vec![None, Some(2)],
            ]
        );
        assert_eq!(series_table_rows(&[], true), (Vec::new(), Vec::new()));
    }

    #[test]
    fn numbers_have_at_most_one_decimal_place() {
        assert_eq!(Num(1.0).to_string(), "1");
        assert_eq!(Num(1.25).to_string(), "1.3");
        assert_eq!(Num(-0.04).to_string(), "0");
        assert_eq!(Num(-2.5).to_string(), "-2.5");
        assert_eq!(Num(f64::NAN).to_string(), "0");
        assert_eq!(Num(f64::INFINITY).to_string(), "0");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("Short", 10), "Short");
        assert_eq!(truncate("Ééééééééééé", 5), "Éééé…");
        assert_eq!(truncate("Two words here", 5), "Two…");
    }
}
