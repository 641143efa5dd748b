//! "On this day": the entries of the same day in earlier years.

use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::current::CurrentUser;
use crate::api::error::ErrorBody;
use crate::api::ApiContext;
use crate::api::{ApiError, ApiJson};
use crate::db::days::{self, OnThisDay};
use crate::domain::days::parse_date;

/// Query of "On this day".
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct OnThisDayQuery {
    /// A day, `YYYY-MM-DD`; by default today in your time zone.
    date: Option<String>,
}

/// Your entries of the same month and day in earlier years, newest first, each with how
/// many years ago it was. Days are those of your time zone. On 28 February of a year
/// without a 29th, the 29ths of earlier years are shown too; on a 29 February, only the
/// 29ths of earlier leap years.
#[utoipa::path(
    get, path = "/api/v1/journals/on-this-day", tag = "journals",
    params(OnThisDayQuery),
    responses(
        (status = 200, body = OnThisDay),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Not a date", body = ErrorBody),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub(super) async fn on_this_day(
    State(context): State<ApiContext>,
    current: CurrentUser,
    Query(query): Query<OnThisDayQuery>,
) -> Result<ApiJson<OnThisDay>, ApiError> {
    let date = query
        .date
        .as_deref()
        .map(|d| parse_date(d, "date"))
        .transpose()?;
    Ok(ApiJson(
        days::on_this_day_page(&context.pool, current.user.id, date).await?,
    ))
}
