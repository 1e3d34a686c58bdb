//! How the programme is doing, as metrics: computed from the read models at each scrape with the
//! same figures the pages show (today's view), labelled by blueprint and by closed sets (status,
//! RAG, kind, resource, stage), never by a thing's id, so the series stay few.

use std::sync::{Arc, Mutex};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, IntGaugeVec, Opts};

use projector::fold::Window;
use projector::read::Reader;
use projector::status::{Rag, RagRules};
use projector::views::BlueprintStatus;

/// The business gauges, filled from the read models when scraped.
pub struct BusinessMetrics {
    models: Arc<projector::models::ReadModels>,
    rules: RagRules,
    milestones: IntGaugeVec,
    overdue: IntGaugeVec,
    funding: IntGaugeVec,
    commitments: IntGaugeVec,
    confidence: IntGaugeVec,
    read_model_bytes: IntGauge,
    /// One scrape at a time fills the gauges.
    scraping: Mutex<()>,
}

fn gauges(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("static metric definition")
}

impl BusinessMetrics {
    pub fn new(models: Arc<projector::models::ReadModels>, rules: RagRules) -> Self {
        Self {
            models,
            rules,
            milestones: gauges(
                "waymark_blueprint_milestones",
                "Milestones by blueprint, status and RAG as of today",
                &["blueprint", "status", "rag"],
            ),
            overdue: gauges(
                "waymark_blueprint_overdue",
                "Open milestones past their forecast and open commitments past their due date short of their promise, by blueprint",
                &["blueprint", "kind"],
            ),
            funding: gauges(
                "waymark_blueprint_funding",
                "Funding by blueprint, resource (money in pence, staff_time in hundredths of a person-day) and stage",
                &["blueprint", "resource", "stage"],
            ),
            commitments: gauges(
                "waymark_blueprint_commitments",
                "Partners' commitments by blueprint and state: committed (not withdrawn), fulfilled, withdrawn",
                &["blueprint", "state"],
            ),
            confidence: gauges(
                "waymark_blueprint_confidence",
                "Delivery confidence of each open blueprint: 1 for its RAG (red, amber, green), 0 for the others",
                &["blueprint", "rag"],
            ),
            read_model_bytes: IntGauge::new(
                "waymark_read_model_bytes",
                "Size of this replica's read-model file",
            )
            .expect("static metric definition"),
            scraping: Mutex::new(()),
        }
    }

    fn all(&self) -> [&dyn Collector; 6] {
        [
            &self.milestones,
            &self.overdue,
            &self.funding,
            &self.commitments,
            &self.confidence,
            &self.read_model_bytes,
        ]
    }

    /// Sets every gauge from the read models as they are now.
    fn refresh(&self) -> Result<(), projector::DbError> {
        for vec in [
            &self.milestones,
            &self.overdue,
            &self.funding,
            &self.commitments,
            &self.confidence,
        ] {
            vec.reset();
        }
        if let Ok(meta) = std::fs::metadata(self.models.path()) {
            self.read_model_bytes.set(meta.len() as i64);
        }
        let reader = Reader::new(&self.models.current())?;
        let window = Window::today();
        for blueprint in reader.blueprints()? {
            let Some(f) = reader.figures(&blueprint.id, &window, &self.rules)? else {
                continue;
            };
            let bp = blueprint.id.as_str();
            for m in &f.milestones {
                self.milestones
                    .with_label_values(&[bp, m.milestone.status.value(), m.rag.label()])
                    .inc();
            }
            let count = |n: usize| n as i64;
            self.overdue
                .with_label_values(&[bp, "milestone"])
                .set(count(f.overdue_milestones.len()));
            self.overdue
                .with_label_values(&[bp, "commitment"])
                .set(count(f.overdue_commitments.len()));
            let funding = &f.summary.blueprint.funding;
            for (resource, totals) in [("money", funding.money), ("staff_time", funding.staff_time)]
            {
                for (stage, amount) in [
                    ("pledged", totals.pledged),
                    ("confirmed", totals.confirmed),
                    ("disbursed", totals.disbursed),
                ] {
                    self.funding
                        .with_label_values(&[bp, resource, stage])
                        .set(amount as i64);
                }
            }
            let c = f.summary.blueprint.commitments;
            for (state, n) in [
                ("committed", c.open + c.fulfilled),
                ("fulfilled", c.fulfilled),
                ("withdrawn", c.withdrawn),
            ] {
                self.commitments
                    .with_label_values(&[bp, state])
                    .set(n as i64);
            }
            if blueprint.status != BlueprintStatus::Closed {
                for rag in [Rag::Red, Rag::Amber, Rag::Green] {
                    let on = f.summary.confidence.rag == rag;
                    self.confidence
                        .with_label_values(&[bp, rag.label()])
                        .set(i64::from(on));
                }
            }
        }
        Ok(())
    }
}

impl Collector for BusinessMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.all().into_iter().flat_map(|c| c.desc()).collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let _one = self.scraping.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = self.refresh() {
            tracing::warn!(error = %e, "failed to read the read models for the business metrics");
            return Vec::new();
        }
        self.all().into_iter().flat_map(|c| c.collect()).collect()
    }
}
