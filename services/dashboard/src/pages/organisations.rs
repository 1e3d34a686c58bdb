//! Organisations: every organisation registered, with forms for admins.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use proto::ThingKind;

use crate::AppState;
use crate::api::ReadParams;

use super::*;
use crate::forms::{self, Choices, FormView, Refused};
use crate::problem::ApiError;
use crate::session::Visitor;

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    nav: Nav,
    organisations: Vec<(projector::views::OrganisationView, Option<FormView>)>,
    register: Option<FormView>,
}

pub async fn organisations(State(state): State<AppState>, visitor: Visitor) -> Response {
    organisations_page(&state, &visitor, None, StatusCode::OK).await
}

pub(super) async fn organisations_page(
    state: &AppState,
    visitor: &Visitor,
    refusal: Option<(&str, &str, &Refused)>,
    status: StatusCode,
) -> Response {
    let result: Result<OrganisationsPage, ApiError> = async {
        let reader = state.reader(&ReadParams::default()).await?;
        let nav = Nav::of(visitor);
        let admin = may_write(visitor, ThingKind::Organisation, "register", None);
        let empty = Choices::default();
        let rename = forms::spec(ThingKind::Organisation, "rename");
        let organisations = reader
            .organisations()?
            .into_iter()
            .map(|o| {
                let form = rename.filter(|_| admin).map(|spec| {
                    let refused =
                        refusal.and_then(|(id, a, r)| (id == o.id && a == "rename").then_some(r));
                    forms::render(
                        spec,
                        format!("/organisations/{}/rename", o.id),
                        &nav.csrf,
                        Some(o.version),
                        &empty,
                        refused,
                    )
                });
                (o, form)
            })
            .collect();
        let register = Some(forms::create_spec(ThingKind::Organisation))
            .filter(|_| admin)
            .map(|spec| {
                let refused =
                    refusal.and_then(|(id, a, r)| (id.is_empty() && a == "register").then_some(r));
                forms::render(
                    spec,
                    "/organisations".into(),
                    &nav.csrf,
                    None,
                    &empty,
                    refused,
                )
            });
        Ok(OrganisationsPage {
            nav,
            organisations,
            register,
        })
    }
    .await;
    show(visitor, status, result)
}
