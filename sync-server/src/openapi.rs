//! The OpenAPI document of the HTTP API (`/openapi.json`), generated: the paths from the
//! `#[utoipa::path]` of each handler that [`crate::http`] routes, the schemas from the core's
//! boundary and vocabulary types (`ToSchema`, feature `openapi` of `gridvoice-core`). Nothing here
//! is written by hand but the title, the description and the security scheme.

use std::sync::OnceLock;

use gridvoice_core::api::{ApiError, Request, Response};
use gridvoice_core::boundary::{
    Credential, EnrolRequest, EnrolResponse, Health, PhotoStored, ReceiptsRequest,
    ReceiptsResponse, RenewResponse,
};
use gridvoice_core::error::ErrorCode;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gridvoice 网格民声 API",
        description = "Enrolment, per-record receipts, the request vocabulary for station and office clients, photos, and the automerge-repo sync WebSocket. Errors are `ApiError { code, message }`: a stable code and a message for people, in Chinese."
    ),
    modifiers(&Bearer),
    components(schemas(
        ApiError, ErrorCode, Credential, EnrolRequest, EnrolResponse, ReceiptsRequest,
        ReceiptsResponse, RenewResponse, PhotoStored, Health, Request, Response
    ))
)]
struct Base;

/// The `bearer` security scheme the authenticated routes name.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut Document) {
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("a device credential (`gv1.…`) from `/api/enrol`"))
                        .build(),
                ),
            );
    }
}

/// The document before the routes add their paths (info, security scheme, shared schemas).
pub(crate) fn base() -> Document {
    Base::openapi()
}

/// The whole document, as the router declares it.
pub fn document() -> Document {
    crate::http::routes(0).into_openapi()
}

/// The document `/openapi.json` serves, built once.
pub(crate) fn served() -> &'static Document {
    static DOC: OnceLock<Document> = OnceLock::new();
    DOC.get_or_init(document)
}
