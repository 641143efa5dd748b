//! The calendar: how many entries each day of a month has.

use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::days::{self, Calendar};
use crate::domain::days::Month;

/// The route /api/v1/calendar.
pub fn router() -> OpenApiRouter<ApiContext> {
    OpenApiRouter::new().routes(routes!(calendar))
}

/// Query of the calendar.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CalendarQuery {
    /// A month, `YYYY-MM`; by default this month in your time zone.
    month: Option<String>,
}

/// The days of a month that have entries, with how many, the first entry's id and the id of
/// the first with a video (for a thumbnail). Days are those of your time zone.
#[utoipa::path(
    get, path = "/api/v1/calendar", tag = "journals",
    params(CalendarQuery),
    responses(
        (status = 200, body = Calendar),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Not a month", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn calendar(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Query(query): Query<CalendarQuery>,
) -> Result<ApiJson<Calendar>, ApiError> {
    let month = query
        .month
        .as_deref()
        .map(|m| Month::parse(m, "month"))
        .transpose()?;
    Ok(ApiJson(
        days::calendar_page(&context.pool, current.user.id, month).await?,
    ))
}
